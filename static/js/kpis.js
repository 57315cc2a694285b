// KPI pages: Chart.js charts from the JSON the page embeds, sortable tables, heat map switcher.
(function () {
  "use strict";

  const brand = "#1f4e79";
  const colors = { dials: "#8fb3d9", contacts: "#2f6fb0", successes: "#1a9b68", rate: "#f79009", rate2: "#d92d20" };

  function drawCharts() {
    const source = document.getElementById("kpi-charts");
    if (!source || typeof Chart === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    const text = data.text;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.maintainAspectRatio = false;

    const trend = document.getElementById("chart-trend");
    if (trend) {
      new Chart(trend, {
        data: {
          labels: data.trend.labels,
          datasets: [
            { type: "bar", label: text.dials, data: data.trend.dials, backgroundColor: colors.dials, yAxisID: "y", order: 3 },
            { type: "bar", label: text.contacts, data: data.trend.contacts, backgroundColor: colors.contacts, yAxisID: "y", order: 2 },
            { type: "bar", label: text.successes, data: data.trend.successes, backgroundColor: colors.successes, yAxisID: "y", order: 1 },
            { type: "line", label: text.contact_rate, data: data.trend.contact_rate, borderColor: colors.rate, backgroundColor: colors.rate,
              yAxisID: "rate", tension: 0.25, pointRadius: 2, spanGaps: true, order: 0 },
            { type: "line", label: text.success_rate, data: data.trend.success_rate, borderColor: colors.rate2, backgroundColor: colors.rate2,
              yAxisID: "rate", tension: 0.25, pointRadius: 2, spanGaps: true, borderDash: [4, 3], order: 0 },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { stacked: false, grid: { display: false } },
            y: { beginAtZero: true, title: { display: true, text: text.dials } },
            rate: { position: "right", beginAtZero: true, suggestedMax: 50, grid: { drawOnChartArea: false },
                    ticks: { callback: (v) => v + "%" } },
          },
          plugins: { legend: { position: "bottom", labels: { usePointStyle: true, boxHeight: 8 } } },
        },
      });
    }

    const hours = document.getElementById("chart-hours");
    if (hours) {
      new Chart(hours, {
        data: {
          labels: data.hours.labels,
          datasets: [
            { type: "bar", label: text.dials, data: data.hours.dials, backgroundColor: colors.dials, yAxisID: "y", order: 2 },
            { type: "line", label: text.contact_rate, data: data.hours.contact_rate, borderColor: colors.rate, backgroundColor: colors.rate,
              yAxisID: "rate", tension: 0.25, pointRadius: 3, order: 1 },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { grid: { display: false } },
            y: { beginAtZero: true },
            rate: { position: "right", beginAtZero: true, suggestedMax: 50, grid: { drawOnChartArea: false },
                    ticks: { callback: (v) => v + "%" } },
          },
          plugins: { legend: { position: "bottom", labels: { usePointStyle: true, boxHeight: 8 } } },
        },
      });
    }

    const funnel = document.getElementById("chart-funnel");
    if (funnel) {
      const rates = data.funnel.rates;
      new Chart(funnel, {
        type: "bar",
        data: {
          labels: data.funnel.labels,
          datasets: [{ data: data.funnel.values, backgroundColor: [colors.dials, colors.contacts, colors.successes], borderRadius: 4 }],
        },
        options: {
          indexAxis: "y",
          scales: { x: { beginAtZero: true }, y: { grid: { display: false } } },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                label: (ctx) => {
                  const rate = rates[ctx.dataIndex];
                  return ctx.formattedValue + (rate === null ? "" : " (" + rate.toFixed(1) + "% " + text.of_dials + ")");
                },
              },
            },
          },
        },
        plugins: [{
          // the share of dials written at the end of each bar
          id: "funnelLabels",
          afterDatasetsDraw(chart) {
            const ctx = chart.ctx;
            const meta = chart.getDatasetMeta(0);
            ctx.save();
            ctx.fillStyle = "#344054";
            ctx.font = "600 12px " + Chart.defaults.font.family;
            ctx.textBaseline = "middle";
            meta.data.forEach((bar, i) => {
              const value = data.funnel.values[i].toLocaleString();
              const rate = rates[i] === null ? "" : "  " + rates[i].toFixed(1) + "%";
              const label = value + rate;
              const width = ctx.measureText(label).width;
              const inside = bar.x - chart.chartArea.left > width + 12;
              ctx.fillStyle = inside && i !== 0 ? "#fff" : "#344054";
              ctx.fillText(label, inside ? bar.x - width - 6 : bar.x + 6, bar.y);
            });
            ctx.restore();
          },
        }],
      });
    }
  }

  // Tables: click a heading to sort by that column (again to reverse).
  function sortable(table) {
    table.querySelectorAll("th .sort-btn").forEach((button) => {
      button.addEventListener("click", () => {
        const column = Number(button.dataset.col);
        const numeric = button.hasAttribute("data-numeric");
        const descending = button.dataset.dir !== "desc";
        table.querySelectorAll("th .sort-btn").forEach((b) => { delete b.dataset.dir; b.removeAttribute("aria-sort"); });
        button.dataset.dir = descending ? "desc" : "asc";
        button.closest("th").setAttribute("aria-sort", descending ? "descending" : "ascending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows).filter((row) => row.cells.length > 1);
        rows.sort((a, b) => {
          let x = a.cells[column].dataset.sort;
          let y = b.cells[column].dataset.sort;
          if (numeric) {
            // empty ("no figure") always last
            if (x === "" || y === "") { return (x === "") - (y === ""); }
            x = Number(x); y = Number(y);
            return descending ? y - x : x - y;
          }
          x = a.cells[column].textContent.trim();
          y = b.cells[column].textContent.trim();
          return descending ? y.localeCompare(x, "ja") : x.localeCompare(y, "ja");
        });
        rows.forEach((row) => body.appendChild(row));
      });
    });
  }

  function heatSwitcher(select) {
    select.addEventListener("change", () => {
      document.querySelectorAll("[data-heat]").forEach((panel) => { panel.hidden = panel.dataset.heat !== select.value; });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
    document.querySelectorAll("table[data-sortable]").forEach(sortable);
    document.querySelectorAll("[data-heat-select]").forEach(heatSwitcher);
  });
})();
