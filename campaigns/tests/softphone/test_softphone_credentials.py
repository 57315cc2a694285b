"""The softphone's time-limited SIP credentials, issued to a signed-in operator only, and the
console page in SIP mode (its policy lets it reach the SIP server, nothing else) and without one."""

import base64
import hashlib
import hmac
import time

import pytest
from django.urls import reverse

from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign

pytestmark = pytest.mark.django_db
SECRET = "test-shared-secret"


@pytest.fixture
def sip_configured(settings):
    settings.SIP_WS_URL = "wss://sip.example.jp:8443/ws"
    settings.SIP_DOMAIN = "sip.example.jp"
    settings.SIP_SHARED_SECRET = SECRET
    settings.SIP_CREDENTIAL_SECONDS = 600


def test_an_operator_gets_ephemeral_credentials(login, operator, sip_configured):
    response = login(operator).post(reverse("campaigns:console_sip_credentials"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    expiry, user = body["username"].split(":")
    assert user == f"agent{operator.pk}" and body["uri"] == f"sip:agent{operator.pk}@sip.example.jp"
    assert 590 <= int(expiry) - time.time() <= 601
    expected = base64.b64encode(hmac.new(SECRET.encode(), body["username"].encode(), hashlib.sha1).digest()).decode()
    assert body["password"] == expected


def test_only_operators_get_credentials_and_only_with_a_sip_server(client, login, supervisor, operator, settings):
    url = reverse("campaigns:console_sip_credentials")
    assert login(operator).post(url).status_code == 404  # no SIP server configured
    settings.SIP_WS_URL, settings.SIP_DOMAIN, settings.SIP_SHARED_SECRET = "wss://x/ws", "x", SECRET
    assert login(supervisor).post(url).status_code == 403
    client.logout()
    assert client.post(url).status_code in (302, 403)
    assert login(operator).get(url).status_code == 405


def held_console(client, operator):
    ready = ready_list(working_campaign(operators=[operator], policy=open_around_the_clock(), caller_id="0312345678"))
    entry(ready)
    dispatch_next(operator=operator)
    return client.get(reverse("campaigns:console"))


def test_the_console_registers_a_softphone_when_a_sip_server_is_set(login, operator, sip_configured):
    response = held_console(login(operator), operator)
    page = response.content.decode()
    assert 'data-softphone="1"' in page and "js/softphone.js" in page and "vendor/jssip/jssip.min.js" in page
    assert "0312345678" in page and "sip:+81" in page
    policy = response["Content-Security-Policy"]
    connect = next(part for part in policy.split(";") if part.strip().startswith("connect-src"))
    assert connect.split()[1:] == ["'self'", "wss://sip.example.jp:8443/ws"]


def test_without_a_sip_server_the_console_keeps_the_tel_link(login, operator):
    response = held_console(login(operator), operator)
    page = response.content.decode()
    assert 'data-softphone="0"' in page and "softphone.js" not in page and 'href="tel:+81' in page
    assert "wss:" not in response["Content-Security-Policy"]
