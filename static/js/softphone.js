// Softphone: the console dials the held customer through the center's SIP server over WebSocket
// (JsSIP, static/vendor/jssip) and reports what happens to the call to the server through
// console.js (window.consoleCall.send): the server re-checks the number before the dial, times
// every event, and suggests the outcome of a failed dial. Credentials are issued by the server
// for this page only (time-limited, never stored).
(function () {
  "use strict";
  const page = document.querySelector("[data-console]");
  if (!page || page.dataset.softphone !== "1" || !window.JsSIP || !window.consoleCall) { return; }
  const config = JSON.parse(page.dataset.softphoneConfig);
  const call = window.consoleCall;
  const statusBadge = document.getElementById("softphone-status");
  const reason = document.getElementById("softphone-reason");
  const dialButton = document.getElementById("btn-dial");
  const muteButton = document.getElementById("btn-mute");
  const countdown = document.getElementById("softphone-countdown");
  const cancelAuto = document.getElementById("btn-cancel-auto");
  const audio = document.getElementById("softphone-audio");
  const SOURCE = { source: "softphone" };
  let ua = null;
  let session = null;
  let registered = false;
  let autoTimer = null;

  function showStatus(state, detail) {
    statusBadge.textContent = statusBadge.dataset[state];
    statusBadge.dataset.state = state;
    statusBadge.className = "badge rounded-pill " + { registered: "text-bg-success", unregistered: "text-bg-danger", connecting: "text-bg-secondary" }[state];
    reason.textContent = detail || "";
  }
  function sync() {
    dialButton.disabled = !registered || !!session || call.phase() !== "idle";
    const live = !!session && session.isEstablished();
    muteButton.disabled = !live;
    const muted = live && session.isMuted().audio;
    muteButton.classList.toggle("active", muted);
    muteButton.querySelector("[data-label]").textContent = muted ? muteButton.dataset.unmute : muteButton.dataset.mute;
  }
  const report = (kind, extra) => call.send(kind, Object.assign({}, SOURCE, extra || {})).then(sync, sync);

  // ---------------------------------------------------------------- the call
  function dial() {
    stopCountdown();
    if (!registered || session || call.phase() !== "idle") { return; }
    dialButton.disabled = true;
    // The server checks the do-not-call registry and the calling rules now; only then the dial.
    call.send("dialing", SOURCE).then((result) => {
      if (!result.ok) { sync(); return; }
      session = ua.call(config.target, {
        mediaConstraints: { audio: true, video: false },
        pcConfig: { iceServers: (config.ice_servers || []).map((url) => ({ urls: url })) },
        extraHeaders: config.caller_id ? ["P-Asserted-Identity: <sip:" + config.caller_id + "@" + config.domain + ">"] : [],
        eventHandlers: {
          peerconnection: (event) => {
            event.peerconnection.addEventListener("track", (track) => { audio.srcObject = track.streams[0]; });
          },
          progress: () => report("ringing"),
          accepted: () => report("answered"),
          hold: (event) => { if (event.originator === "local") { report("held"); } },
          unhold: (event) => { if (event.originator === "local") { report("resumed"); } },
          muted: sync,
          unmuted: sync,
          ended: () => { session = null; report("hung_up"); },
          failed: (event) => {
            session = null;
            const status = event.message && event.message.status_code;
            if (event.originator === "local" && event.cause === JsSIP.C.causes.CANCELED) {
              report("hung_up"); // the operator gave up while it rang
            } else {
              report("failed", { sip_status: status || "" });
              if (!status) { reason.textContent = event.cause; }
            }
          },
        },
      });
      sync();
    }, sync);
  }
  dialButton.addEventListener("click", dial);
  document.addEventListener("softphone:hangup", () => {
    stopCountdown();
    if (session) { session.terminate(); return; }
    // A call the server still shows as going on, after a reload: its media ended with the old page.
    if (!["idle", "ended", "failed"].includes(call.phase())) { report("hung_up"); }
  });
  document.addEventListener("softphone:hold", () => {
    if (!session || !session.isEstablished()) { return; }
    if (session.isOnHold().local) { session.unhold(); } else { session.hold(); }
  });
  muteButton.addEventListener("click", () => {
    if (!session || !session.isEstablished()) { return; }
    if (session.isMuted().audio) { session.unmute({ audio: true }); } else { session.mute({ audio: true }); }
  });
  document.querySelectorAll("[data-dtmf]").forEach((key) => key.addEventListener("click", () => {
    // SIP INFO: it passes any proxy, and the PBX turns it into RFC 4733 events on the trunk.
    if (session && session.isEstablished()) { session.sendDTMF(key.dataset.dtmf, { transportType: JsSIP.C.DTMF_TRANSPORT.INFO }); }
  }));

  // ---------------------------------------------------------------- progressive dialing
  function stopCountdown() {
    if (autoTimer) { clearInterval(autoTimer); autoTimer = null; }
    countdown.classList.add("d-none");
    cancelAuto.classList.add("d-none");
  }
  function startCountdown(seconds) {
    let left = seconds;
    const show = () => { countdown.textContent = countdown.dataset.template.replace("{seconds}", left); };
    show();
    countdown.classList.remove("d-none");
    cancelAuto.classList.remove("d-none");
    autoTimer = setInterval(() => {
      left -= 1;
      if (left <= 0) { stopCountdown(); dial(); return; }
      show();
    }, 1000);
  }
  cancelAuto.addEventListener("click", stopCountdown);

  // ---------------------------------------------------------------- registration
  function register(credentials) {
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(config.ws_url)],
      uri: credentials.uri,
      authorization_user: credentials.username,
      password: credentials.password,
      register: true,
      register_expires: 600,
      session_timers: false,
      user_agent: "Callcenter console (JsSIP " + JsSIP.version + ")",
    });
    ua.on("registered", () => {
      const first = !registered;
      registered = true;
      showStatus("registered");
      sync();
      if (first && config.progressive_seconds > 0 && call.phase() === "idle") { startCountdown(config.progressive_seconds); }
    });
    ua.on("unregistered", () => { registered = false; showStatus("unregistered"); sync(); });
    ua.on("registrationFailed", (event) => {
      registered = false;
      const status = event.response && event.response.status_code;
      showStatus("unregistered", status ? status + " " + event.response.reason_phrase : event.cause);
      sync();
    });
    ua.on("disconnected", () => { if (registered) { registered = false; showStatus("unregistered", "WebSocket"); sync(); } });
    ua.start();
  }
  window.addEventListener("pagehide", () => { if (ua) { ua.stop(); } });
  fetch(config.credentials_url, { method: "POST", headers: { "X-CSRFToken": page.dataset.csrf } })
    .then((response) => response.ok ? response.json() : Promise.reject(new Error(String(response.status))))
    .then(register)
    .catch((error) => showStatus("unregistered", error.message));
  sync();
})();
