// The console's booking panel: shown while the "appointment" outcome is chosen (A picks it), the
// free slots loaded from the server, arrow keys between slots, [ and ] for the week.
(function () {
  "use strict";
  const panel = document.getElementById("appointment-panel");
  const form = document.getElementById("outcome-form");
  if (!panel || !form) { return; }
  const slotsBox = panel.querySelector("[data-slots]");
  const outcome = panel.dataset.outcome;
  let loadedStart = null;
  let selected = panel.dataset.selected || "";

  const chosen = () => form.querySelector("input[name=disposition]:checked");
  const isOpen = () => !panel.classList.contains("d-none");
  const firstSlot = () => slotsBox.querySelector("input[name=appointment-slot]:checked") || slotsBox.querySelector("input[name=appointment-slot]");

  function load(start, focus) {
    const url = new URL(panel.dataset.slotsUrl, window.location.href);
    if (start) { url.searchParams.set("start", start); }
    if (selected) { url.searchParams.set("selected", selected); }
    slotsBox.textContent = panel.dataset.loading;
    fetch(url, { headers: { "HX-Request": "true" } })
      .then((response) => { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
      .then((html) => {
        slotsBox.innerHTML = html;
        loadedStart = start || "";
        if (focus) { const slot = firstSlot(); if (slot) { slot.focus(); } }
      })
      .catch(() => { slotsBox.textContent = panel.dataset.failed; });
  }

  function sync(focus) {
    const open = !!chosen() && chosen().value === outcome;
    panel.classList.toggle("d-none", !open);
    if (open && loadedStart === null) { load("", focus); } else if (open && focus) { const slot = firstSlot(); if (slot) { slot.focus(); } }
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "disposition") { sync(event.target.value === outcome); }
    if (event.target.name === "appointment-slot") { selected = event.target.value; }
  });
  slotsBox.addEventListener("click", function (event) {
    const button = event.target.closest("[data-slots-start]");
    if (button && !button.disabled) { load(button.dataset.slotsStart, true); }
  });

  document.addEventListener("keydown", function (event) {
    const el = event.target;
    const typing = el && (el.isContentEditable || ["TEXTAREA", "SELECT"].includes(el.tagName) ||
      (el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit"].includes(el.type)));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "a" || event.key === "A") {
      const radio = form.querySelector("input[name=disposition][value='" + outcome + "']");
      if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); event.preventDefault(); }
      return;
    }
    if (!isOpen()) { return; }
    if (event.key === "[" || event.key === "]") {
      const button = slotsBox.querySelector(event.key === "[" ? "[data-testid=slots-previous]" : "[data-testid=slots-next]");
      if (button && !button.disabled) { load(button.dataset.slotsStart, true); event.preventDefault(); }
    }
  });

  if (chosen() && chosen().value === outcome) { sync(false); }
})();
