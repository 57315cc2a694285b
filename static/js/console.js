// Operator console: presence pings and the signed-off banner; the call's events and timers, the hold renewal, the outcome form and keyboard shortcuts.
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

  // ---------------------------------------------------------------- the call and its timers (talk, hold, ACW)
  // The call's events live on the server: the page starts from the state the server rendered (a
  // reload or a second window shows the truth) and every button press (or softphone event) is
  // posted there; the server answers with durations it measured, which the timers continue on
  // this clock. With a softphone (data-softphone=1) the buttons ask it to act (softphone.js),
  // and it reports what really happened.
  const form = document.getElementById("outcome-form");
  const entryId = page.dataset.entry;
  const softphone = page.dataset.softphone === "1";
  let timers = { phase: "idle", answeredAt: null, endedAt: null, holdSince: null, holdMs: 0, sipStatus: null };
  const now = () => Date.now();
  const holdMs = () => timers.holdMs + (timers.holdSince ? (timers.endedAt || now()) - timers.holdSince : 0);
  const talkMs = () => {
    if (!timers.answeredAt) { return 0; }
    const end = timers.endedAt || now();
    return Math.max(0, end - timers.answeredAt - holdMs());
  };
  const acwMs = () => timers.endedAt ? now() - timers.endedAt : 0;
  const ended = () => timers.phase === "ended" || timers.phase === "failed";
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
    if (connected) { connected.disabled = !!timers.answeredAt || ended(); }
    if (hold) {
      hold.disabled = !timers.answeredAt || ended();
      hold.classList.toggle("active", !!timers.holdSince);
      hold.querySelector("[data-label]").textContent = timers.holdSince ? hold.dataset.resume : hold.dataset.hold;
    }
    if (hangup) { hangup.disabled = ended() || (softphone && timers.phase === "idle"); }
    const status = document.getElementById("call-phase");
    if (status) {
      const label = { idle: "idle", dialing: "dialing", ringing: "ringing", talking: "talk", on_hold: "hold", ended: "acw", failed: "failed" }[timers.phase];
      status.textContent = status.dataset[label] + (timers.phase === "failed" && timers.sipStatus ? " (" + timers.sipStatus + ")" : "");
    }
  }
  function enterAfterCallWork() {
    postState("acw");
    const badge = document.querySelector("[data-testid=agent-state]");
    if (badge) { badge.textContent = badge.dataset.acwLabel; badge.dataset.state = "acw"; badge.className = "badge state-badge rounded-pill text-bg-info"; }
    const first = form && form.querySelector("input[name=disposition]");
    if (first && !form.querySelector("input[name=disposition]:checked")) { first.focus(); }
  }
  function suggest(code, sipStatus) {
    const radio = form && form.querySelector("input[name=disposition][value='" + code + "']");
    const note = document.getElementById("suggested-outcome");
    if (!radio) { return; }
    if (!form.querySelector("input[name=disposition]:checked")) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
    const label = form.querySelector("label[for='" + radio.id + "']");
    if (note && label) {
      note.textContent = note.dataset.template.replace("{status}", sipStatus).replace("{outcome}", label.textContent.replace(/^\s*\d\s*/, "").trim());
      note.classList.remove("d-none");
    }
  }
  // The server's state, as durations it measured: on this page's clock from now on.
  function apply(state) {
    const wasEnded = ended();
    const at = (ago) => (ago === null || ago === undefined) ? null : now() - ago;
    timers = {
      phase: state.phase, answeredAt: at(state.answered_ms_ago), endedAt: at(state.ended_ms_ago),
      holdSince: at(state.hold_since_ms_ago), holdMs: state.closed_hold_ms || 0, sipStatus: state.sip_status,
    };
    render();
    if (state.suggested_outcome) { suggest(state.suggested_outcome, state.sip_status); }
    return wasEnded;
  }
  function showRefusal(message) {
    const box = document.getElementById("call-refused");
    if (!box) { return; }
    box.querySelector("[data-message]").textContent = message;
    box.classList.toggle("d-none", !message);
  }
  // Post one event; resolves to {ok, body}. Events go one after the other, in the order they
  // happened (quick presses must not overtake each other); a refusal is shown, and the page keeps
  // the server's state.
  let pending = Promise.resolve();
  function send(kind, extra) {
    const body = new FormData();
    body.append("kind", kind);
    Object.entries(extra || {}).forEach(([key, value]) => { if (value !== null && value !== undefined) { body.append(key, value); } });
    const post = () => fetch(page.dataset.callEventsUrl, { method: "POST", body, headers: { "X-CSRFToken": page.dataset.csrf } })
      .then((response) => response.json().then((data) => ({ ok: response.ok, body: data })))
      .then((result) => {
        if (!result.ok) { showRefusal(result.body.detail || ""); return result; }
        showRefusal("");
        const wasEnded = apply(result.body);
        if (!wasEnded && ended()) { enterAfterCallWork(); }
        renewHold();
        return result;
      });
    pending = pending.then(post, post);
    return pending;
  }
  if (page.dataset.callState) {
    try { apply(JSON.parse(page.dataset.callState)); } catch (e) { /* keep the idle state */ }
  }
  // For the softphone (softphone.js): the same event path and the call's phase.
  window.consoleCall = { send, phase: () => timers.phase };
  // The manual buttons show their effect at once; the server's answer then replaces it.
  const connect = () => {
    if (softphone) { click("#btn-dial"); return; }
    if (timers.answeredAt || ended()) { return; }
    Object.assign(timers, { phase: "talking", answeredAt: now() }); render();
    send("answered");
  };
  const toggleHold = () => {
    if (!timers.answeredAt || ended()) { return; }
    if (softphone) { document.dispatchEvent(new CustomEvent("softphone:hold")); return; }
    const resuming = !!timers.holdSince;
    if (resuming) { Object.assign(timers, { phase: "talking", holdMs: holdMs(), holdSince: null }); } else { Object.assign(timers, { phase: "on_hold", holdSince: now() }); }
    render();
    send(resuming ? "resumed" : "held");
  };
  const hangUp = () => {
    if (ended()) { return; }
    if (softphone) { document.dispatchEvent(new CustomEvent("softphone:hangup")); return; }
    send("hung_up");
  };
  // tel: mode: the number is checked again (do-not-call, calling rules) before the phone dials.
  const phoneLink = document.querySelector("[data-testid=phone-link]");
  if (phoneLink && !softphone) {
    phoneLink.addEventListener("click", function (event) {
      event.preventDefault();
      if (timers.phase !== "idle") { window.location.href = phoneLink.href; return; }
      send("dialing").then((result) => { if (result.ok) { window.location.href = phoneLink.href; } });
    });
  }
  // ---------------------------------------------------------------- the hold
  // The hold expires DISPATCH_HOLD_MINUTES after the last renewal. The page renews it at every
  // timer button and every data-renew-seconds while the customer is on the line (talking or on
  // hold) or the operator has used the page since the last renewal; a tab left alone otherwise
  // lets it expire, and the server never renews past its ceiling.
  let holdLost = false;
  let lastActivity = 0;
  let lastRenewal = now();
  ["keydown", "mousedown", "input", "touchstart"].forEach((type) => document.addEventListener(type, () => { lastActivity = now(); }, true));
  const onTheLine = () => timers.phase !== "idle" && !ended();
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
      const endedAt = timers.endedAt || now();
      form.querySelector("[name=answered_at]").value = iso(timers.answeredAt);
      form.querySelector("[name=ended_at]").value = iso(endedAt);
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
    // The chosen outcome is named next to the save buttons, so it is seen before saving.
    const chosen = document.getElementById("chosen-outcome-label");
    const showChosen = () => {
      const radio = form.querySelector("input[name=disposition]:checked");
      if (chosen) { chosen.textContent = radio ? radio.dataset.label : chosen.dataset.none; chosen.classList.toggle("text-secondary", !radio); }
    };
    form.addEventListener("change", (event) => {
      if (event.target.name !== "disposition") { return; }
      showChosen();
      // The do-not-call outcome is a do-not-call request: the box says so (and no callback is taken).
      if (dnc && event.target.dataset.dnc === "1" && !dnc.checked) { dnc.checked = true; syncDnc(); }
    });
    showChosen();
  }
  function pickOutcome(radio) {
    if (!radio) { return; }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    radio.focus();
  }
  // Timers kept in the tab by earlier versions of this page: the server keeps them now.
  Object.keys(sessionStorage).filter((k) => k.startsWith("console-timers-")).forEach((k) => sessionStorage.removeItem(k));

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
    if (key === "d") { pickOutcome(form && form.querySelector("input[name=disposition][data-dnc='1']")); return; }
    if (event.key === "?") { const help = document.getElementById("shortcuts"); if (help) { help.open = !help.open; } return; }
    if (key === "a") { return; }  // the appointment outcome: appointment_booking.js picks it and opens its panel
    if (/^[0-9a-zA-Z]$/.test(event.key) && form) {
      pickOutcome(form.querySelector("input[name=disposition][data-key='" + event.key.toUpperCase() + "']"));
    }
  });
})();
