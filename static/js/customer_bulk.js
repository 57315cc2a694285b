// Bulk actions on the customer list: the form carries the filters shown (htmx changes them
// without reloading), and a header box ticks every row of the page.
(function () {
  function syncQuery() {
    const field = document.getElementById("bulk-query");
    if (field) field.value = window.location.search.replace(/^\?/, "");
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "customer-results") syncQuery();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id !== "tick-all") return;
    document.querySelectorAll("input[name=ids][form=bulk-form]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id === "bulk-form") syncQuery();
  }, true);
})();
