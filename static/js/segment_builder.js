// Segment builder: edit the rules as rows, write them as JSON into the form, ask for a new count.
(function () {
  const schema = JSON.parse(document.getElementById("segment-schema").textContent);
  const L = JSON.parse(document.getElementById("segment-labels").textContent);
  let initial = {};
  try { initial = JSON.parse(JSON.parse(document.getElementById("segment-criteria").textContent) || "{}"); } catch (e) { initial = {}; }
  const fields = {};
  schema.fields.forEach(function (f) { fields[f.name] = f; });
  const rulesBox = document.getElementById("rules");
  const matchSelect = document.getElementById("match");
  const hidden = document.getElementById("id_criteria");
  const preview = document.getElementById("preview-criteria");
  const NUMERIC = ["days", "age", "integer", "number"];

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([k, v]) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function fieldSelect(selected) {
    const select = el("select", {"class": "form-select form-select-sm rule-field", "aria-label": L.field, "data-testid": "rule-field"});
    const groups = {};
    schema.fields.forEach(function (f) {
      if (!groups[f.group]) { groups[f.group] = el("optgroup", {label: f.group}); select.appendChild(groups[f.group]); }
      const option = el("option", {value: f.name, text: f.label});
      if (f.name === selected) option.selected = true;
      groups[f.group].appendChild(option);
    });
    return select;
  }

  function opSelect(field, selected) {
    const select = el("select", {"class": "form-select form-select-sm rule-op", "aria-label": L.operator, "data-testid": "rule-op"});
    field.ops.forEach(function (op) {
      const option = el("option", {value: op, text: schema.ops[op]});
      if (op === selected) option.selected = true;
      select.appendChild(option);
    });
    return select;
  }

  function listId(name) { return "suggest-" + name.replace(/[^a-z_]/g, ""); }

  function valueInput(field, op, value) {
    const box = el("div", {"class": "rule-value d-flex gap-1 flex-wrap"});
    const numeric = NUMERIC.indexOf(field.kind) >= 0 || (field.kind === "attribute" && ["lt", "lte", "gt", "gte", "between"].indexOf(op) >= 0);
    function input(v, extra) {
      const attrs = Object.assign({"class": "form-control form-control-sm", "data-testid": "rule-value"}, extra || {});
      if (numeric && op !== "in") { attrs.type = "number"; attrs.step = (field.kind === "number" || field.kind === "attribute") ? "any" : "1"; }
      else attrs.type = "text";
      const node = el("input", attrs);
      if (v !== undefined && v !== null) node.value = Array.isArray(v) ? v.join(", ") : v;
      const suggestions = schema.suggestions[field.name];
      if (suggestions && attrs.type === "text") {
        let list = document.getElementById(listId(field.name));
        if (!list) {
          list = el("datalist", {id: listId(field.name)});
          suggestions.forEach(function (s) { list.appendChild(el("option", Array.isArray(s) ? {value: s[0], label: s[1]} : {value: s})); });
          document.body.appendChild(list);
        }
        node.setAttribute("list", listId(field.name));
      }
      return node;
    }
    if (op === "exists" || field.kind === "flag") {
      const select = el("select", {"class": "form-select form-select-sm", "data-testid": "rule-value"});
      const labels = op === "exists" ? [L.known, L.unknown] : [L.yes, L.no];
      [[true, labels[0]], [false, labels[1]]].forEach(function ([v, label]) {
        const option = el("option", {value: String(v), text: label});
        if (value === v || (value === undefined && v === true)) option.selected = true;
        select.appendChild(option);
      });
      box.appendChild(select);
    } else if (field.kind === "choice") {
      if (op === "in") {
        const chosen = Array.isArray(value) ? value : [];
        field.choices.forEach(function ([v, label]) {
          const id = "c" + Math.random().toString(36).slice(2);
          const check = el("input", {type: "checkbox", "class": "form-check-input", value: v, id: id});
          if (chosen.indexOf(v) >= 0) check.checked = true;
          box.appendChild(el("div", {"class": "form-check form-check-inline"}, [check, el("label", {"class": "form-check-label", "for": id, text: label})]));
        });
      } else {
        const select = el("select", {"class": "form-select form-select-sm", "data-testid": "rule-value"});
        field.choices.forEach(function ([v, label]) {
          const option = el("option", {value: v, text: label});
          if (v === value) option.selected = true;
          select.appendChild(option);
        });
        box.appendChild(select);
      }
    } else if (op === "between") {
      const pair = Array.isArray(value) ? value : [];
      box.appendChild(input(pair[0], {placeholder: L.low, "aria-label": L.low, style: "max-width: 8rem"}));
      box.appendChild(el("span", {"class": "align-self-center", text: "–"}));
      box.appendChild(input(pair[1], {placeholder: L.high, "aria-label": L.high, style: "max-width: 8rem"}));
    } else {
      box.appendChild(input(value, {placeholder: op === "in" ? L.comma : L.value, "aria-label": L.value}));
    }
    return box;
  }

  function parseScalar(text, field, op) {
    const t = text.trim();
    if (NUMERIC.indexOf(field.kind) >= 0) return t === "" ? null : Number(t);
    if (field.kind === "attribute") {
      if (["lt", "lte", "gt", "gte", "between"].indexOf(op) >= 0) return t === "" ? null : Number(t);
      if (op === "contains") return t;
      if (t === "true" || t === "false") return t === "true";
      if (t !== "" && !isNaN(Number(t))) return Number(t);
    }
    return t;
  }

  function readRule(row) {
    if (row.dataset.group) return JSON.parse(row.dataset.group);
    // The field and operator the row was built for: the menus already show the new choice while
    // their "input" event runs, before the row is rebuilt for it.
    let name = row.dataset.field;
    const field = fields[name];
    const op = row.dataset.op;
    if (field.kind === "attribute") name = "attributes." + row.querySelector(".rule-key").value.trim();
    const box = row.querySelector(".rule-value");
    let value;
    if (op === "exists" || field.kind === "flag") value = box.querySelector("select").value === "true";
    else if (field.kind === "choice" && op === "in") value = Array.from(box.querySelectorAll("input:checked")).map(function (c) { return c.value; });
    else if (field.kind === "choice") value = box.querySelector("select").value;
    else if (op === "between") value = Array.from(box.querySelectorAll("input")).map(function (i) { return parseScalar(i.value, field, op); });
    else if (op === "in") value = box.querySelector("input").value.split(/[,、，]/).map(function (s) { return s.trim(); }).filter(Boolean).map(function (s) { return parseScalar(s, field, op); });
    else value = parseScalar(box.querySelector("input").value, field, op);
    return {field: name, op: op, value: value};
  }

  function criteria() {
    return {match: matchSelect.value, rules: Array.from(rulesBox.querySelectorAll(":scope > .rule-row")).map(readRule)};
  }

  function changed() {
    const json = JSON.stringify(criteria());
    hidden.value = json;
    preview.value = json;
    document.getElementById("no-rules").style.display = rulesBox.children.length ? "none" : "";
    rulesBox.querySelectorAll(".rule-join").forEach(function (j) { j.textContent = matchSelect.value === "all" ? L.and : L.or; });
    htmx.trigger("#preview-form", "criteria-changed");
  }

  // The value typed so far, fitted to a new operator: a single value becomes the first of a list
  // or range, a list or range keeps its first value; a known/unknown or yes/no choice is no value.
  function carryValue(field, fromOp, toOp, value) {
    if (fromOp === "exists" || toOp === "exists") return fromOp === toOp ? value : undefined;
    if (field.kind === "flag") return value;
    const given = (Array.isArray(value) ? value : [value]).filter(function (v) { return v !== null && v !== undefined && v !== ""; });
    if (toOp === "in") return given;
    if (toOp === "between") return fromOp === "between" ? value : [given[0], given[1]];
    return given[0];
  }

  function buildRow(rule) {
    const row = el("div", {"class": "rule-row", "data-testid": "rule-row"});
    row.appendChild(el("span", {"class": "rule-join"}));
    if (rule.rules) {  // a nested group made through the API: kept as it is
      row.dataset.group = JSON.stringify(rule);
      row.appendChild(el("div", {"class": "d-flex justify-content-between align-items-center"}, [
        el("span", {"class": "small", text: L.group + ": " + JSON.stringify(rule)}),
        el("button", {type: "button", "class": "btn btn-sm btn-link text-danger rule-remove", text: L.remove}),
      ]));
    } else {
      const isAttribute = typeof rule.field === "string" && rule.field.indexOf("attributes.") === 0;
      const fieldName = isAttribute ? "attributes." : rule.field;
      const field = fields[fieldName] || fields["last_purchase_days"];
      const op = field.ops.indexOf(rule.op) >= 0 ? rule.op : field.ops[0];
      row.dataset.field = field.name;
      row.dataset.op = op;
      const line = el("div", {"class": "d-flex gap-2 flex-wrap align-items-center"});
      const fieldBox = el("div", {style: "min-width: 14rem"}, [fieldSelect(field.name)]);
      line.appendChild(fieldBox);
      if (field.kind === "attribute") {
        const key = el("input", {type: "text", "class": "form-control form-control-sm rule-key", placeholder: L.key, "aria-label": L.key, style: "max-width: 10rem", "data-testid": "rule-key"});
        key.value = isAttribute ? rule.field.slice("attributes.".length) : "";
        line.appendChild(key);
      }
      line.appendChild(el("div", {style: "min-width: 9rem"}, [opSelect(field, op)]));
      line.appendChild(valueInput(field, op, rule.value));
      line.appendChild(el("button", {type: "button", "class": "btn btn-sm btn-outline-danger ms-auto rule-remove", "aria-label": L.remove, title: L.remove}, [el("i", {"class": "bi bi-x-lg"})]));
      row.appendChild(line);
      row.querySelector(".rule-field").addEventListener("change", function (event) {
        // The operator and value carry over to a field of the same kind (days to days, text to text).
        const next = fields[event.target.value];
        const sameKind = next.kind === field.kind && next.ops.indexOf(op) >= 0;
        const current = sameKind ? readRule(row) : null;
        replace(row, {field: next.name, op: sameKind ? op : next.ops[0], value: current && field.kind !== "choice" ? current.value : undefined});
      });
      row.querySelector(".rule-op").addEventListener("change", function (event) {
        const current = readRule(row);
        replace(row, {field: current.field, op: event.target.value, value: carryValue(field, op, event.target.value, current.value)});
      });
    }
    return row;
  }

  function addRule(rule) {
    rulesBox.appendChild(buildRow(rule || {field: "last_purchase_days", op: "gte", value: 180}));
  }

  function replace(row, rule) {
    row.replaceWith(buildRow(rule));
    changed();
  }

  rulesBox.addEventListener("click", function (event) {
    const button = event.target.closest(".rule-remove");
    if (!button) return;
    button.closest(".rule-row").remove();
    changed();
  });
  rulesBox.addEventListener("input", changed);
  rulesBox.addEventListener("change", changed);
  matchSelect.addEventListener("change", changed);
  document.getElementById("add-rule").addEventListener("click", function () { addRule(); changed(); });

  matchSelect.value = initial.match === "any" ? "any" : "all";
  (Array.isArray(initial.rules) ? initial.rules : []).forEach(function (r) { addRule(r); });
  // The first count once htmx has wired up the preview form (it does so on DOMContentLoaded).
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", changed);
  else changed();
})();
