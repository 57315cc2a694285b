"""The console's softphone: whether a SIP server is configured, and the time-limited SIP
credentials the server issues to a signed-in operator.

The credentials follow the "ephemeral credentials" scheme of Kamailio's auth_ephemeral module
(and of TURN servers' REST API): the username is "<expiry unix time>:<user>", the password
base64(HMAC-SHA1(shared secret, username)). The SIP server recomputes the password from the
username with the same secret and refuses it after the expiry; nothing is stored on either side,
and the browser never keeps a password beyond the page."""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone


def enabled() -> bool:
    return bool(settings.SIP_WS_URL and settings.SIP_DOMAIN and settings.SIP_SHARED_SECRET)


def sip_user(operator) -> str:
    """The operator's SIP user: their id, so no name or sign-in handle travels in SIP headers."""
    return f"agent{operator.pk}"


@dataclass(frozen=True)
class SipCredentials:
    username: str
    password: str
    uri: str
    expires_at: int  # unix time


def ephemeral_password(username: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def issue_credentials(*, operator, now=None) -> SipCredentials:
    now = now or timezone.now()
    expires_at = int(now.timestamp()) + max(60, settings.SIP_CREDENTIAL_SECONDS)
    user = sip_user(operator)
    username = f"{expires_at}:{user}"
    return SipCredentials(
        username=username,
        password=ephemeral_password(username, settings.SIP_SHARED_SECRET),
        uri=f"sip:{user}@{settings.SIP_DOMAIN}",
        expires_at=expires_at,
    )


def dial_target(phone: str) -> str:
    """The SIP URI the softphone dials for an E.164 number (the PBX routes it to its trunk)."""
    return f"sip:{phone}@{settings.SIP_DOMAIN}"
