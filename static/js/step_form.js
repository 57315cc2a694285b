// Step form of the script editor: show the fields of the chosen kind and answer type; insert placeholders at the cursor.
(function () {
  const form = document.getElementById("step-form");
  const kind = form.querySelector("[name=kind]");
  const answerType = form.querySelector("[name=answer_type]");
  function sync() {
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = !el.dataset.kinds.split(" ").includes(kind.value);
    });
    form.querySelectorAll("[data-answer-types]").forEach(function (el) {
      if (el.dataset.kinds && el.hidden) return;
      el.hidden = !el.dataset.answerTypes.split(" ").includes(answerType.value);
    });
  }
  kind.addEventListener("change", sync);
  answerType.addEventListener("change", sync);
  sync();
  const text = form.querySelector("[name=text]");
  form.querySelectorAll("[data-insert-placeholder]").forEach(function (button) {
    button.addEventListener("click", function () {
      const token = "{" + "{ " + button.dataset.insertPlaceholder + " }" + "}";
      const start = text.selectionStart ?? text.value.length;
      text.setRangeText(token, start, text.selectionEnd ?? start, "end");
      text.focus();
    });
  });
})();
