"""A real SIP server for the softphone's tests: Kamailio from Debian's packages with the project's
configuration (tools/sip/kamailio.cfg), on free loopback ports, started once per test session and
stopped at its end; and the far-end "customer", a second browser page with the same SIP library
that answers (user "answer") or only rings (user "ringer")."""

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from campaigns.services import softphone

KAMAILIO = "/usr/sbin/kamailio"
MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
CONFIG = Path(settings.BASE_DIR) / "tools" / "sip" / "kamailio.cfg"
PACKAGES = "kamailio kamailio-websocket-modules kamailio-autheph-modules"
DOMAIN = "sip.callcenter.test"
# How long a number ending in 3 rings before the SIP server gives up (408).
RING_MS = 2500


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SipServer:
    ws_url: str
    udp_port: int
    secret: str
    log: Path

    def credentials(self, user: str, *, seconds: int = 3600, secret: str | None = None) -> dict:
        """Ephemeral credentials for a test user agent (the scheme the Django server uses)."""
        username = f"{int(time.time()) + seconds}:{user}"
        return {
            "username": username,
            "password": softphone.ephemeral_password(username, secret or self.secret),
            "uri": f"sip:{user}@{DOMAIN}",
        }


def _wait_for_port(port: int, process, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Kamailio exited at start ({process.returncode}):\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"Kamailio did not listen on 127.0.0.1:{port} within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def sip_server(tmp_path_factory):
    missing = [str(path) for path in (Path(KAMAILIO), MODULES / "websocket.so", MODULES / "auth_ephemeral.so")]
    missing = [path for path in missing if not Path(path).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: `make test` installs Debian's {PACKAGES}")
    workdir = tmp_path_factory.mktemp("kamailio")
    log = workdir / "kamailio.log"
    ws_port, udp_port = free_port(), free_port(socket.SOCK_DGRAM)
    secret = secrets.token_urlsafe(24)
    environment = {
        **os.environ,
        "SIP_WS_PORT": str(ws_port),
        "SIP_UDP_PORT": str(udp_port),
        "SIP_SHARED_SECRET": secret,
        "SIP_RING_MS": str(RING_MS),
    }
    # -DD: stays in the foreground (its children are its own); -E: log to stderr; -Y: its runtime
    # files in the test's directory. A session of its own, so the whole group is stopped at the end.
    with log.open("w") as output:
        process = subprocess.Popen(
            [KAMAILIO, "-f", str(CONFIG), "-DD", "-E", "-Y", str(workdir), "-m", "32", "-M", "8"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(ws_port, process, log)
        yield SipServer(ws_url=f"ws://127.0.0.1:{ws_port}", udp_port=udp_port, secret=secret, log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def sip_settings(settings, sip_server):
    """The console's softphone pointed at the test SIP server."""
    settings.SIP_WS_URL = sip_server.ws_url
    settings.SIP_DOMAIN = DOMAIN
    settings.SIP_SHARED_SECRET = sip_server.secret
    return sip_server


CUSTOMER_UA = """async ({wsUrl, agents}) => {
  window.customerCalls = [];
  for (const agent of agents) {
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(wsUrl)], uri: agent.uri,
      authorization_user: agent.username, password: agent.password, register: true, session_timers: false,
    });
    ua.on("newRTCSession", (event) => {
      if (event.originator !== "remote") { return; }
      const session = event.session;
      window.customerCalls.push({
        user: agent.name, callerId: event.request.getHeader("P-Asserted-Identity") || "", dtmf: [], ended: false,
      });
      const record = window.customerCalls[window.customerCalls.length - 1];
      session.on("newDTMF", (dtmf) => { if (dtmf.originator === "remote") { record.dtmf.push(dtmf.dtmf.tone); } });
      session.on("ended", () => { record.ended = true; });
      session.on("failed", () => { record.ended = true; });
      if (agent.answers) { session.answer({ mediaConstraints: { audio: true, video: false } }); }
    });
    await new Promise((resolve, reject) => {
      ua.on("registered", resolve);
      ua.on("registrationFailed", (event) => reject(new Error("customer registration: " + event.cause)));
      setTimeout(() => reject(new Error("customer registration: no answer from " + wsUrl)), 15000);
      ua.start();
    });
  }
  return true;
}"""


@pytest.fixture
def customer_phone(page, sip_settings):
    """The far end: another page of the same browser, registered as "answer" (answers every call)
    and "ringer" (rings until the SIP server gives up). `customer_phone.calls()` lists the calls
    that reached it."""
    far_end = page.context.new_page()
    # A static file: the far end is no page of the product (whose policy would refuse the socket).
    far_end.goto(page.base_url + settings.STATIC_URL + "vendor/VERSIONS.txt")
    far_end.add_script_tag(url=page.base_url + settings.STATIC_URL + "vendor/jssip/jssip.min.js")
    agents = [
        {"name": "answer", "answers": True, **sip_settings.credentials("answer")},
        {"name": "ringer", "answers": False, **sip_settings.credentials("ringer")},
    ]
    far_end.evaluate(CUSTOMER_UA, {"wsUrl": sip_settings.ws_url, "agents": agents})

    class Phone:
        page = far_end

        @staticmethod
        def calls():
            return far_end.evaluate("() => window.customerCalls")

    yield Phone
    far_end.close()
