/* Talk-script walk-through panel (scripts/templates/scripts/walk/panel.html).
 *
 * The server renders every step; this file shows one at a time, keeps the answers and the
 * history (Back), and writes the answers as JSON into the hidden input that submits with the
 * console's outcome form. Moving forward follows the same rules as scripts/flow.py (next_step,
 * compare): keep the two in step. State survives a re-render of the panel (sessionStorage).
 *
 * Loaded by the panel itself, possibly many times (htmx swaps): it defines itself once and then
 * initialises every panel not yet initialised.
 */
(function () {
  "use strict";
  if (window.ScriptWalk) {
    window.ScriptWalk.initAll(document);
    return;
  }

  // ------------------------------------------------------------ rules (mirror of scripts/flow.py)
  function isEmpty(value) {
    return value === undefined || value === null || value === "" || value === false ||
      (Array.isArray(value) && value.length === 0);
  }

  function toNumber(value) {
    if (typeof value === "number") return isFinite(value) ? value : null;
    if (typeof value !== "string" || value.trim() === "") return null;
    const number = Number(value.trim());
    return isNaN(number) ? null : number;
  }

  function equals(value, target) {
    const left = toNumber(value), right = toNumber(target);
    if (left !== null && right !== null) return left === right;
    return String(value).trim() === String(target).trim();
  }

  function compare(op, value, target) {
    if (op === "empty") return isEmpty(value);
    if (op === "not_empty") return !isEmpty(value);
    if (op === "ne") return !compare("eq", value, target);
    if (isEmpty(value)) return false;
    if (Array.isArray(value)) {
      if (op === "eq" || op === "contains") return value.some(function (item) { return equals(item, target); });
      if (op === "in") return value.some(function (item) { return compare("in", item, target); });
      return false;
    }
    if (op === "eq") return equals(value, target);
    if (op === "in") {
      return String(target).split(",").some(function (item) { return item.trim() !== "" && equals(value, item); });
    }
    if (op === "contains") return String(value).toLowerCase().includes(String(target).trim().toLowerCase());
    if (op === "lt" || op === "lte" || op === "gt" || op === "gte") {
      let left = toNumber(value), right = toNumber(target);
      if (left === null || right === null) { left = String(value); right = String(target).trim(); }
      return { lt: left < right, lte: left <= right, gt: left > right, gte: left >= right }[op];
    }
    return false;
  }

  function ruleMatches(rule, answers) {
    if (Object.prototype.hasOwnProperty.call(rule, "fixed")) return rule.fixed;  // decided on the server
    const source = String(rule.source || "");
    const colon = source.indexOf(":");
    if (source.slice(0, colon) !== "answer") return false;
    return compare(rule.op, answers[source.slice(colon + 1)], rule.value);
  }

  // ------------------------------------------------------------ one panel
  function Walk(root) {
    this.root = root;
    this.config = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    this.steps = this.config.steps;
    this.disclosureKey = Object.keys(this.steps).find((key) => this.steps[key].disclosure) || null;
    this.storageKey = root.dataset.storageKey;
    this.answersInput = root.querySelector("[data-walk-answers]");
    this.preview = root.querySelector("[data-walk-answers-preview]");
    this.jump = root.querySelector("[data-walk-jump]");
    this.state = this.restore() || { history: [], answers: {}, confirmed: false };
    if (!this.state.history.length && this.config.start) {
      this.state.history = [this.resolve(this.config.start)];
    }
    this.fillInputs();
    this.bind();
    this.render(false);
  }

  Walk.prototype.restore = function () {
    try {
      const saved = JSON.parse(window.sessionStorage.getItem(this.storageKey) || "null");
      if (saved && Array.isArray(saved.history) && saved.history.every((key) => key in this.steps)) return saved;
    } catch (error) { /* storage unavailable or corrupt: start over */ }
    return null;
  };

  Walk.prototype.save = function () {
    try { window.sessionStorage.setItem(this.storageKey, JSON.stringify(this.state)); } catch (error) { /* private mode */ }
  };

  Walk.prototype.current = function () {
    return this.state.history[this.state.history.length - 1];
  };

  Walk.prototype.section = function (key) {
    return this.root.querySelector(".walk-step[data-step='" + CSS.escape(key) + "']");
  };

  // The step after `key` given the answers (scripts.flow.Flow.next_step).
  Walk.prototype.nextKey = function (key) {
    const step = this.steps[key];
    if (!step || step.kind === "end") return null;
    if (step.kind === "branch") {
      for (const rule of step.rules) {
        if (ruleMatches(rule, this.state.answers)) return rule.next || null;
      }
      return step.next;
    }
    if (step.kind === "question" && step.answer_type === "single") {
      const answer = this.state.answers[key];
      const choice = step.choices.find((c) => !isEmpty(answer) && String(answer) === c.value && c.next);
      if (choice) return choice.next;
    }
    return step.next;
  };

  // Branches are decided at once: the operator never stops on one.
  Walk.prototype.resolve = function (key) {
    const seen = new Set();
    while (key && this.steps[key] && this.steps[key].kind === "branch" && !seen.has(key)) {
      seen.add(key);
      key = this.nextKey(key);
    }
    return key && this.steps[key] ? key : null;
  };

  // Steps the call passes with the current answers (scripts.flow.Flow.path).
  Walk.prototype.path = function () {
    const path = [], seen = new Set();
    let key = this.config.start;
    while (key && this.steps[key] && !seen.has(key)) {
      seen.add(key);
      path.push(key);
      key = this.nextKey(key);
    }
    return path;
  };

  // Answers on the current path plus steps visited by jumping; answers left behind on a branch
  // not taken are kept in memory (coming back restores them) but not saved with the call.
  Walk.prototype.savedAnswers = function () {
    const keys = new Set(this.path().concat(this.state.history));
    const out = {};
    for (const key of keys) {
      const step = this.steps[key];
      if (!step) continue;
      if (step.disclosure) {
        if (this.state.confirmed) out[key] = true;
      } else if (step.kind === "question" && !isEmpty(this.state.answers[key])) {
        out[key] = this.state.answers[key];
      }
    }
    return out;
  };

  Walk.prototype.readAnswer = function (key) {
    const section = this.section(key);
    const type = this.steps[key].answer_type;
    const inputs = Array.from(section.querySelectorAll("[name='walk-" + CSS.escape(key) + "']"));
    if (type === "single") {
      const checked = inputs.find((input) => input.checked);
      return checked ? checked.value : "";
    }
    if (type === "multiple") return inputs.filter((input) => input.checked).map((input) => input.value);
    const raw = inputs.length ? inputs[0].value : "";
    if (type === "number") {
      if (raw.trim() === "") return "";
      const number = Number(raw);
      return isNaN(number) ? raw : number;
    }
    return type === "text" ? raw : raw.trim();
  };

  Walk.prototype.fillInputs = function () {
    for (const key of Object.keys(this.state.answers)) {
      const section = this.section(key);
      if (!section || !this.steps[key]) continue;
      const value = this.state.answers[key];
      section.querySelectorAll("[name='walk-" + CSS.escape(key) + "']").forEach(function (input) {
        if (input.type === "radio" || input.type === "checkbox") {
          input.checked = Array.isArray(value) ? value.includes(input.value) : String(value) === input.value;
        } else {
          input.value = value;
        }
      });
    }
    const disclosure = this.root.querySelector("[data-walk-disclosure]");
    if (disclosure) disclosure.checked = !!this.state.confirmed;
  };

  Walk.prototype.sync = function () {
    const json = JSON.stringify(this.savedAnswers());
    if (this.answersInput) this.answersInput.value = json;
    if (this.preview) {
      const answers = this.savedAnswers();
      this.preview.textContent = Object.keys(answers).length ? JSON.stringify(answers, null, 2) : this.preview.dataset.empty;
    }
    this.save();
  };

  Walk.prototype.showError = function (key, message) {
    const box = this.section(key).querySelector("[data-walk-error]");
    box.textContent = message || "";
    box.hidden = !message;
  };

  Walk.prototype.blockedReason = function (key) {
    const step = this.steps[key];
    const text = this.root.dataset;
    if (step.disclosure && !this.state.confirmed) return text.msgDisclosure;
    if (step.kind === "question" && step.required && isEmpty(this.state.answers[key])) return text.msgRequired;
    if (step.kind === "question" && step.answer_type === "number") {
      const value = this.state.answers[key];
      if (!isEmpty(value) && typeof value !== "number") return text.msgNumber;
    }
    if (step.kind !== "end" && !this.resolve(this.nextKey(key))) return text.msgChoose;
    return "";
  };

  Walk.prototype.next = function () {
    const key = this.current();
    if (!key) return;
    const reason = this.blockedReason(key);
    this.showError(key, reason);
    if (reason) return;
    const target = this.resolve(this.nextKey(key));
    if (target) {
      this.state.history.push(target);
      this.render(true);
    }
  };

  Walk.prototype.back = function () {
    if (this.state.history.length > 1) {
      this.state.history.pop();
      this.render(true);
    }
  };

  Walk.prototype.jumpTo = function (key) {
    if (this.disclosureKey && !this.state.confirmed && key !== this.disclosureKey) {
      this.showError(this.current(), this.root.dataset.msgDisclosure);
      this.jump.value = this.current();
      return;
    }
    key = this.resolve(key);
    if (key && key !== this.current()) {
      this.state.history.push(key);
      this.render(true);
    }
  };

  Walk.prototype.suggest = function (code, button) {
    const form = document.getElementById("outcome-form");
    if (form) {
      const fields = form.querySelectorAll("[name='disposition']");
      fields.forEach(function (field) {
        if (field.tagName === "SELECT") {
          field.value = code;
          field.dispatchEvent(new Event("change", { bubbles: true }));
        } else if (field.value === code && (field.type === "radio" || field.type === "checkbox")) {
          field.checked = true;
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    }
    document.dispatchEvent(new CustomEvent("script-walk:suggest", { detail: { disposition: code } }));
    button.classList.replace("btn-outline-primary", "btn-success");
    button.textContent = "✓ " + (button.dataset.doneLabel || code);
  };

  Walk.prototype.render = function (focus) {
    const current = this.current();
    this.root.querySelectorAll(".walk-step").forEach(function (section) {
      section.hidden = section.dataset.step !== current;
    });
    const section = current && this.section(current);
    if (section) {
      this.showError(current, "");
      section.querySelectorAll("[data-walk-back]").forEach((b) => { b.disabled = this.state.history.length < 2; });
    }
    if (this.jump) {
      this.jump.value = current;
      this.jump.disabled = !!(this.disclosureKey && !this.state.confirmed);
    }
    const box = this.root.querySelector("[data-walk-disclosure-box]");
    if (box) box.classList.toggle("confirmed", !!this.state.confirmed);
    const trail = this.root.querySelector("[data-walk-trail]");
    if (trail) {
      trail.replaceChildren();
      this.state.history.forEach((key, index) => {
        const item = document.createElement("li");
        const title = this.section(key).querySelector("h3");
        item.textContent = title ? title.textContent : key;
        if (index === this.state.history.length - 1) item.className = "current";
        trail.appendChild(item);
      });
    }
    this.sync();
    if (focus && section) {
      const target = section.querySelector("input:not([type=hidden]), textarea, [data-walk-next]") || section;
      target.focus({ preventScroll: false });
    }
  };

  Walk.prototype.filterRebuttals = function (query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    this.root.querySelectorAll("[data-rebuttal-text]").forEach(function (item) {
      const text = item.dataset.rebuttalText.toLowerCase();
      const match = words.every((word) => text.includes(word));
      item.hidden = !match;
      if (match) shown += 1;
      if (words.length && match && shown === 1) item.open = true;
    });
    const empty = this.root.querySelector("[data-walk-rebuttals-empty]");
    if (empty && this.root.querySelectorAll("[data-rebuttal-text]").length) empty.hidden = shown > 0;
  };

  Walk.prototype.bind = function () {
    const root = this.root;
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || !root.contains(button)) return;
      if (button.hasAttribute("data-walk-next")) this.next();
      else if (button.hasAttribute("data-walk-back")) this.back();
      else if (button.dataset.walkSuggest) this.suggest(button.dataset.walkSuggest, button);
    });
    const onAnswer = (event) => {
      const section = event.target.closest(".walk-step");
      if (!section) return;
      const key = section.dataset.step;
      if (event.target.hasAttribute("data-walk-disclosure")) {
        this.state.confirmed = event.target.checked;
        this.render(false);
        return;
      }
      if (!event.target.name || !event.target.name.startsWith("walk-")) return;
      this.state.answers[key] = this.readAnswer(key);
      this.showError(key, "");
      this.sync();
    };
    root.addEventListener("input", onAnswer);
    root.addEventListener("change", onAnswer);
    if (this.jump) this.jump.addEventListener("change", () => this.jumpTo(this.jump.value));
    const search = root.querySelector("[data-walk-rebuttal-search]");
    if (search) search.addEventListener("input", () => this.filterRebuttals(search.value));
    root.addEventListener("keydown", (event) => {
      const target = event.target;
      const typing = target.matches("textarea, input[type=text], input[type=search], input[type=number], input[type=date], select");
      if (target === search) {
        if (event.key === "Escape") { search.value = ""; this.filterRebuttals(""); this.section(this.current()).focus(); }
        return;
      }
      if (event.ctrlKey || event.metaKey) return;  // Ctrl+Enter, Ctrl+S… belong to the console
      if (event.altKey && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
        event.preventDefault();
        if (event.key === "ArrowRight") this.next(); else this.back();
        return;
      }
      if (typing) {
        if (event.key === "Enter" && target.tagName === "INPUT") { event.preventDefault(); this.next(); }
        return;
      }
      // Keys handled here stop here: the console's own shortcuts (digits pick an outcome) apply
      // only when the focus is outside the script panel.
      if (event.key === "ArrowRight" || (event.key === "Enter" && !target.matches("button, summary"))) {
        event.preventDefault(); event.stopPropagation(); this.next();
      } else if (event.key === "ArrowLeft") {
        event.preventDefault(); event.stopPropagation(); this.back();
      } else if (event.key === "/" && search) {
        event.preventDefault(); event.stopPropagation(); search.focus();
      } else if (/^[0-9]$/.test(event.key)) {
        event.stopPropagation();
        const section = this.section(this.current());
        const choice = section && section.querySelectorAll("input[type=radio][name^='walk-'], input[type=checkbox][name^='walk-']")[Number(event.key) - 1];
        if (choice) { event.preventDefault(); choice.click(); choice.focus(); }
      }
    });
  };

  // The outcome form may carry empty fields of the same names (its own hidden inputs, rendered
  // after the panel, so they would win): whatever builds the form's data gets the panel's values.
  function bindOutcomeForm() {
    const form = document.getElementById("outcome-form");
    if (!form || form.dataset.scriptWalkBound) return;
    form.dataset.scriptWalkBound = "1";
    form.addEventListener("formdata", function (event) {
      const root = document.querySelector("[data-script-walk]");
      if (!root || !root.walk) return;
      const version = root.querySelector("input[name=script_version]");
      event.formData.set("script_version", version ? version.value : "");
      event.formData.set("answers", root.walk.answersInput ? root.walk.answersInput.value : "{}");
    });
  }

  // ------------------------------------------------------------ start-up
  const ScriptWalk = {
    compare: compare,
    initAll: function (scope) {
      (scope || document).querySelectorAll("[data-script-walk]").forEach(function (root) {
        if (root.dataset.walkReady || !root.querySelector("script[type='application/json']")) return;
        root.dataset.walkReady = "1";
        root.walk = new Walk(root);
        bindOutcomeForm();
      });
    },
  };
  window.ScriptWalk = ScriptWalk;
  document.addEventListener("htmx:load", function (event) { ScriptWalk.initAll(event.target.parentNode || document); });
  ScriptWalk.initAll(document);
})();
