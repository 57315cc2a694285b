"""The credentials the server issues are the ones the SIP server accepts, and only those: a
REGISTER over UDP to the test Kamailio (conftest.py) with digest authentication, as any SIP phone
sends it. Expired credentials, another secret or another user's credentials are refused."""

import hashlib
import re
import secrets
import socket

import pytest

from campaigns.services import softphone

from .conftest import DOMAIN

pytestmark = pytest.mark.django_db


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest authentication is MD5


def register(server, *, user: str, username: str, password: str) -> int:
    """Send a REGISTER for `user`, answer the challenge with the credentials; the final status."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sip:
        sip.settimeout(5)
        sip.bind(("127.0.0.1", 0))
        port = sip.getsockname()[1]
        call_id, tag = secrets.token_hex(8), secrets.token_hex(4)

        def send(cseq: int, authorization: str = "") -> str:
            lines = [
                f"REGISTER sip:{DOMAIN} SIP/2.0",
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};rport;branch=z9hG4bK{secrets.token_hex(6)}",
                "Max-Forwards: 70",
                f"From: <sip:{user}@{DOMAIN}>;tag={tag}",
                f"To: <sip:{user}@{DOMAIN}>",
                f"Call-ID: {call_id}",
                f"CSeq: {cseq} REGISTER",
                f"Contact: <sip:{user}@127.0.0.1:{port}>",
                "Expires: 60",
            ]
            if authorization:
                lines.append(f"Authorization: {authorization}")
            lines += ["Content-Length: 0", "", ""]
            sip.sendto("\r\n".join(lines).encode(), ("127.0.0.1", server.udp_port))
            while True:
                answer = sip.recv(65535).decode()
                if not answer.startswith("SIP/2.0 1"):  # skip provisional answers
                    return answer

        challenge = send(1)
        assert challenge.startswith("SIP/2.0 401"), challenge
        realm = re.search(r'realm="([^"]+)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
        uri, cnonce, count = f"sip:{DOMAIN}", secrets.token_hex(4), "00000001"
        ha1, ha2 = md5(f"{username}:{realm}:{password}"), md5(f"REGISTER:{uri}")
        response = md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
        authorization = (
            f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}", algorithm=MD5, qop=auth, nc={count}, cnonce="{cnonce}"'
        )
        return int(send(2, authorization).split()[1])


def test_the_sip_server_accepts_the_credentials_the_console_gets(sip_server, settings, operator):
    settings.SIP_DOMAIN, settings.SIP_SHARED_SECRET = DOMAIN, sip_server.secret
    issued = softphone.issue_credentials(operator=operator)
    user = softphone.sip_user(operator)
    assert register(sip_server, user=user, username=issued.username, password=issued.password) == 200


def test_expired_credentials_are_refused(sip_server):
    expired = sip_server.credentials("agent7", seconds=-60)
    assert register(sip_server, user="agent7", username=expired["username"], password=expired["password"]) == 401


def test_credentials_made_with_another_secret_are_refused(sip_server):
    forged = sip_server.credentials("agent7", secret="not-the-shared-secret")
    assert register(sip_server, user="agent7", username=forged["username"], password=forged["password"]) == 401


def test_one_operators_credentials_cannot_register_another(sip_server):
    theirs = sip_server.credentials("agent7")
    assert register(sip_server, user="agent8", username=theirs["username"], password=theirs["password"]) == 403
