// Wallboard: full-screen button; a campaign chosen in the filter applies at once.
document.querySelector("[data-fullscreen]").addEventListener("click", function () {
  if (document.fullscreenElement) { document.exitFullscreen(); } else { document.documentElement.requestFullscreen(); }
});
document.querySelector("[data-testid=wallboard-filter] select").addEventListener("change", function () { this.form.submit(); });
