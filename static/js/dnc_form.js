// Do-not-call form: the campaign field only for a campaign-scoped entry.
(function () {
  const field = document.getElementById("campaign-field");
  function sync() {
    const scope = document.querySelector("input[name=scope]:checked");
    field.style.display = scope && scope.value === "campaign" ? "" : "none";
  }
  document.querySelectorAll("input[name=scope]").forEach(function (r) { r.addEventListener("change", sync); });
  sync();
})();
