"""API throttles: list endpoints per user, the token endpoint per address and per username, each
answered with a 429 and a JSON body in the caller's language. Each test lowers the rates for
itself (the suite runs with very high ones, see settings_test) and uses identities of its own, so
counts left in Redis by other tests do not matter."""

import uuid

import pytest
from rest_framework.test import APIClient

from callcenter.signin.tokens import issue_personal_token
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    """rates(list=..., token_ip=..., token_username=...) for this test only."""

    def set_rates(**changed):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**current, **changed}}

    return set_rates


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_personal_token(user)[1]}")
    return client


def an_address() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


def assert_throttled(response, message: str):
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert message in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_list_endpoints_are_limited_per_user(rates, reference_data):
    from contacts.tests.factories import CustomerFactory

    rates(list="3/minute")
    customer = CustomerFactory()
    first, second = make_user(unique("sv"), "supervisor"), make_user(unique("sv"), "supervisor")
    client = token_client(first)
    for _ in range(3):
        assert client.get("/api/v1/customers/").status_code == 200
    assert_throttled(client.get("/api/v1/customers/"), "リクエストが多すぎます")
    assert_throttled(client.get("/api/v1/dnc/", HTTP_ACCEPT_LANGUAGE="en"), "Too many requests: try again in")
    # One customer at a time is not a list; another user has a count of their own.
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    assert token_client(second).get("/api/v1/customers/").status_code == 200


def post_token(username: str, password: str, address: str, language: str = "ja"):
    return APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_the_token_endpoint_is_limited_per_address(rates, reference_data):
    rates(token_ip="3/minute")
    user = make_user(unique("integration"))
    address = an_address()
    for _ in range(3):  # spraying usernames from one machine
        assert post_token(unique("guess"), "wrong", address).status_code == 400
    assert_throttled(post_token(user.username, PASSWORD, address), "リクエストが多すぎます")
    assert_throttled(post_token(user.username, PASSWORD, address, "en"), "Too many requests")
    # A spoofed X-Forwarded-For does not make another address (no proxy is trusted by default).
    spoofed = APIClient().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD},
        format="json",
        REMOTE_ADDR=address,
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert spoofed.status_code == 429
    other = post_token(user.username, PASSWORD, f"203.0.113.{uuid.uuid4().int % 250 + 1}")
    assert other.status_code == 200 and other.json()["token"]


def test_the_token_endpoint_is_limited_per_username(rates, reference_data):
    rates(token_username="2/minute")
    user = make_user(unique("integration"))
    for _ in range(2):  # guessing one account's password from many machines
        assert post_token(user.username, "wrong", an_address()).status_code == 400
    assert_throttled(post_token(user.username, PASSWORD, an_address()), "リクエストが多すぎます")
    other = make_user(unique("integration"))
    assert post_token(other.username, PASSWORD, an_address()).status_code == 200


def test_throttles_let_requests_through_while_redis_is_away(rates, settings, reference_data):
    rates(list="1/minute", token_ip="1/minute", token_username="1/minute")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    client = token_client(make_user(unique("sv"), "supervisor"))
    assert [client.get("/api/v1/segments/").status_code for _ in range(3)] == [200, 200, 200]
    user = make_user(unique("integration"))
    address = an_address()
    assert [post_token(user.username, PASSWORD, address).status_code for _ in range(3)] == [200, 200, 200]
