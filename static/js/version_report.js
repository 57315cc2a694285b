// Results by script version: the bar chart, from the JSON the page embeds.
(function () {
  const data = JSON.parse(document.getElementById("version-chart-data").textContent);
  new Chart(document.getElementById("version-chart"), {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.names.contact_rate, data: data.contact_rate, backgroundColor: "#1f4e79" },
        { label: data.names.success_rate, data: data.success_rate, backgroundColor: "#4cc38a" },
      ],
    },
    options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => v + "%" } } } },
  });
})();
