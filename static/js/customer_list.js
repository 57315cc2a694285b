// Keep the export link in step with the filters shown (htmx swaps only the results).
document.body.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target.id !== "customer-results") return;
  const link = document.getElementById("export-link");
  if (link) link.href = link.href.split("?")[0] + window.location.search;
});
