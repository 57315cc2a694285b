// Operator console: presence pings and the signed-off banner; call timers, the hold renewal, the outcome form and keyboard shortcuts.
(function () {
  "use strict";
  // Presence: the open page pings, so the absence sweep never signs off someone who is here. A
  // page that still shows a working state learns when the operator was signed off (computer
  // asleep, connection lost) and says so without reloading (typed notes are kept).
  const banner = document.querySelector("[data-presence-url]");
  if (!banner) { return; }
  const post = (url, body) => fetch(url, { method: "POST", body, headers: { "X-CSRFToken": banner.dataset.csrf, "HX-Request": "true" } });
  setInterval(function () {
    post(banner.dataset.presenceUrl)
      .then((response) => response.ok ? response.json() : null)
      .then((body) => {
        if (body && !body.working && banner.dataset.working === "1") { banner.classList.replace("d-none", "d-flex"); }
      })
      .catch(() => { /* offline for a moment: the next ping tries again */ });
  }, Math.max(1, Number(banner.dataset.presenceSeconds) || 60) * 1000);
  banner.querySelector("[data-testid=resume-work]").addEventListener("click", function () {
    const body = new FormData();
    body.append("state", "ready");
    post(banner.dataset.stateUrl, body).then((response) => {
      if (!response.ok) { return; }
      if (banner.dataset.idle === "1") { window.location.reload(); return; }
      banner.classList.replace("d-flex", "d-none");
    });
  });
})();

(function () {
  "use strict";
  const page = document.querySelector("[data-console]");
  if (!page) { return; }
  const typing = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) &&
    !(el.tagName === "INPUT" && ["radio", "checkbox", "button", "submit"].includes(el.type));
  const click = (selector) => { const el = document.querySelector(selector); if (el && !el.disabled) { el.click(); return true; } return false; };

  // ---------------------------------------------------------------- timers (talk, hold, ACW)
  const form = document.getElementById("outcome-form");
  const entryId = page.dataset.entry;
  const storeKey = entryId ? "console-timers-" + entryId : null;
  let timers = { answeredAt: null, endedAt: null, holdSince: null, holdMs: 0 };
  if (storeKey) {
    try { Object.assign(timers, JSON.parse(sessionStorage.getItem(storeKey) || "{}")); } catch (e) { /* start afresh */ }
  }
  const save = () => { if (storeKey) { sessionStorage.setItem(storeKey, JSON.stringify(timers)); } };
  const now = () => Date.now();
  const holdMs = () => timers.holdMs + (timers.holdSince ? now() - timers.holdSince : 0);
  const talkMs = () => {
    if (!timers.answeredAt) { return 0; }
    const end = timers.endedAt || now();
    return Math.max(0, end - timers.answeredAt - holdMs());
  };
  const acwMs = () => timers.endedAt ? now() - timers.endedAt : 0;
  const fmt = (ms) => { const s = Math.floor(ms / 1000); return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0"); };
  const setText = (id, text) => { const el = document.getElementById(id); if (el) { el.textContent = text; } };
  function postState(state) {
    const body = new FormData();
    body.append("state", state);
    fetch(page.dataset.stateUrl, { method: "POST", body, headers: { "X-CSRFToken": page.dataset.csrf, "HX-Request": "true" } });
  }
  function render() {
    setText("timer-talk", fmt(talkMs()));
    setText("timer-hold", fmt(holdMs()));
    setText("timer-acw", fmt(acwMs()));
    const connected = document.getElementById("btn-connected");
    const hold = document.getElementById("btn-hold");
    const hangup = document.getElementById("btn-hangup");
    if (connected) { connected.disabled = !!timers.answeredAt || !!timers.endedAt; }
    if (hold) {
      hold.disabled = !timers.answeredAt || !!timers.endedAt;
      hold.classList.toggle("active", !!timers.holdSince);
      hold.querySelector("[data-label]").textContent = timers.holdSince ? hold.dataset.resume : hold.dataset.hold;
    }
    if (hangup) { hangup.disabled = !!timers.endedAt; }
    const status = document.getElementById("call-phase");
    if (status) {
      status.textContent = timers.endedAt ? status.dataset.acw : timers.holdSince ? status.dataset.hold : timers.answeredAt ? status.dataset.talk : status.dataset.dialing;
    }
  }
  const connect = () => { if (!timers.answeredAt && !timers.endedAt) { timers.answeredAt = now(); save(); render(); renewHold(); } };
  const toggleHold = () => {
    if (!timers.answeredAt || timers.endedAt) { return; }
    if (timers.holdSince) { timers.holdMs += now() - timers.holdSince; timers.holdSince = null; } else { timers.holdSince = now(); }
    save(); render(); renewHold();
  };
  const hangUp = () => {
    if (timers.endedAt) { return; }
    if (timers.holdSince) { timers.holdMs += now() - timers.holdSince; timers.holdSince = null; }
    timers.endedAt = now(); save(); render(); postState("acw"); renewHold();
    const badge = document.querySelector("[data-testid=agent-state]");
    if (badge) { badge.textContent = badge.dataset.acwLabel; badge.dataset.state = "acw"; badge.className = "badge state-badge rounded-pill text-bg-info"; }
    const first = form && form.querySelector("input[name=disposition]");
    if (first && !form.querySelector("input[name=disposition]:checked")) { first.focus(); }
  };
  // ---------------------------------------------------------------- the hold
  // The hold expires DISPATCH_HOLD_MINUTES after the last renewal. The page renews it at every
  // timer button and every data-renew-seconds while the customer is on the line (talking or on
  // hold) or the operator has used the page since the last renewal; a tab left alone otherwise
  // lets it expire, and the server never renews past its ceiling.
  let holdLost = false;
  let lastActivity = 0;
  let lastRenewal = now();
  ["keydown", "mousedown", "input", "touchstart"].forEach((type) => document.addEventListener(type, () => { lastActivity = now(); }, true));
  const onTheLine = () => !!timers.answeredAt && !timers.endedAt;
  function heartbeat() {
    if (onTheLine() || lastActivity > lastRenewal) { renewHold(); }
  }
  function renewHold() {
    if (!page.dataset.renewUrl || holdLost) { return; }
    lastRenewal = now();
    fetch(page.dataset.renewUrl, { method: "POST", headers: { "X-CSRFToken": page.dataset.csrf } })
      .then((response) => response.json().then((body) => ({ response, body })))
      .then(({ response, body }) => {
        if (response.status === 409) {
          holdLost = true;
          const lost = document.getElementById("hold-lost");
          if (lost) { lost.querySelector("[data-message]").textContent = body.detail; lost.classList.remove("d-none"); }
          document.getElementById("hold-ceiling")?.classList.add("d-none");
          document.querySelector("[data-testid=hold-until]")?.classList.add("text-decoration-line-through");
          return;
        }
        if (!response.ok) { return; }
        const until = document.querySelector("[data-held-until]");
        if (until) { until.textContent = body.held_until_display; }
        document.getElementById("hold-ceiling")?.classList.toggle("d-none", !body.at_ceiling);
      })
      .catch(() => { /* offline for a moment: the next beat tries again */ });
  }
  if (entryId && page.dataset.renewUrl) {
    setInterval(heartbeat, Math.max(1, Number(page.dataset.renewSeconds) || 60) * 1000);
  }

  document.getElementById("btn-connected")?.addEventListener("click", connect);
  document.getElementById("btn-hold")?.addEventListener("click", toggleHold);
  document.getElementById("btn-hangup")?.addEventListener("click", hangUp);
  if (entryId) { render(); setInterval(render, 1000); }

  if (form) {
    form.addEventListener("submit", function () {
      const iso = (ms) => ms ? new Date(ms).toISOString() : "";
      const ended = timers.endedAt || now();
      form.querySelector("[name=answered_at]").value = iso(timers.answeredAt);
      form.querySelector("[name=ended_at]").value = iso(ended);
      form.querySelector("[name=talk_seconds]").value = Math.round(talkMs() / 1000);
      form.querySelector("[name=hold_seconds]").value = Math.round(holdMs() / 1000);
      form.querySelector("[name=acw_seconds]").value = timers.endedAt ? Math.round(acwMs() / 1000) : 0;
      // A second click must not send a second request (the client token makes it harmless anyway).
      setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }), 0);
    });
    const dnc = form.querySelector("[name=dnc_request]");
    const callbackBox = document.getElementById("callback-fields");
    const syncDnc = () => { if (callbackBox) { callbackBox.classList.toggle("opacity-50", dnc.checked); callbackBox.querySelectorAll("input").forEach((i) => { i.disabled = dnc.checked; }); } };
    dnc?.addEventListener("change", syncDnc);
    if (dnc) { syncDnc(); }
  }
  // Timers of earlier calls are not needed any more.
  Object.keys(sessionStorage).filter((k) => k.startsWith("console-timers-") && k !== storeKey).forEach((k) => sessionStorage.removeItem(k));

  // ---------------------------------------------------------------- keyboard
  document.addEventListener("keydown", function (event) {
    const inField = typing(event.target);
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      if (click("#btn-save-next") || click("#btn-next-call")) { event.preventDefault(); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      if (click("#btn-save")) { event.preventDefault(); }
      return;
    }
    if (event.key === "Escape" && inField) { event.target.blur(); return; }
    if (inField || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const key = event.key.toLowerCase();
    if (key === "n" || event.key === "F2") { if (click("#btn-next-call")) { event.preventDefault(); } return; }
    if (key === "c") { connect(); return; }
    if (key === "h") { toggleHold(); return; }
    if (key === "e") { hangUp(); return; }
    if (key === "m") { const notes = document.getElementById("id_notes"); if (notes) { notes.focus(); event.preventDefault(); } return; }
    if (key === "r") { const reaction = document.getElementById("id_reaction"); if (reaction) { reaction.focus(); event.preventDefault(); } return; }
    if (key === "b") { const cb = document.getElementById("id_callback_at"); if (cb && !cb.disabled) { cb.focus(); event.preventDefault(); } return; }
    if (key === "d") { const dnc = document.getElementById("id_dnc_request"); if (dnc) { dnc.click(); } return; }
    if (event.key === "?") { const help = document.getElementById("shortcuts"); if (help) { help.open = !help.open; } return; }
    if (/^[0-9]$/.test(event.key) && form) {
      const radio = form.querySelector("input[name=disposition][data-key='" + event.key + "']");
      if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); radio.focus(); }
    }
  });
})();
