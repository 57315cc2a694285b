// Confirm before destructive actions: any form or button with data-confirm="message".
document.addEventListener("submit", function (event) {
  const form = event.target;
  const submitter = event.submitter;
  const message = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);

// A select with data-submit-on-change applies at once (its form also has a button for no-JS use).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-submit-on-change]") && event.target.form) {
    event.target.form.submit();
  }
});
