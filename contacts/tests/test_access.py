"""Who may open what: customers, the registry and segments are for supervisors (and managers
read-only); operators and client viewers get 403, anonymous users the login page / 401."""

import pytest
from django.urls import reverse

from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects():
    return {"customer": CustomerFactory(), "dnc": DoNotCallFactory(), "segment": SegmentFactory()}


def pages(objects):
    return {
        "customer_list": reverse("contacts:customer_list"),
        "customer_detail": reverse("contacts:customer_detail", args=[objects["customer"].pk]),
        "dnc_list": reverse("contacts:dnc_list"),
        "dnc_detail": reverse("contacts:dnc_detail", args=[objects["dnc"].pk]),
        "dnc_audit": reverse("contacts:dnc_audit"),
        "dnc_create": reverse("contacts:dnc_create"),
        "segment_list": reverse("contacts:segment_list"),
        "segment_edit": reverse("contacts:segment_edit", args=[objects["segment"].pk]),
        "segment_create": reverse("contacts:segment_create"),
    }


ALLOWED = {
    "supervisor": {
        "customer_list",
        "customer_detail",
        "dnc_list",
        "dnc_detail",
        "dnc_audit",
        "dnc_create",
        "segment_list",
        "segment_edit",
        "segment_create",
    },
    "manager": {"customer_list", "customer_detail", "dnc_list", "dnc_detail", "dnc_audit"},
    "operator": set(),
    "client_viewer": set(),
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_pages_by_role(request, login, objects, role):
    client = login(request.getfixturevalue(role))
    for name, url in pages(objects).items():
        expected = 200 if name in ALLOWED[role] else 403
        assert client.get(url).status_code == expected, (role, name)


def test_anonymous_users_go_to_the_login_page(client, objects):
    for url in pages(objects).values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


@pytest.mark.parametrize("role", ["manager", "operator", "client_viewer"])
def test_only_supervisors_change_the_registry_and_segments(request, login, objects, role):
    client = login(request.getfixturevalue(role))
    entry, segment = objects["dnc"], objects["segment"]
    assert client.post(reverse("contacts:dnc_create"), {"phone": "090-1234-5678"}).status_code == 403
    assert client.post(reverse("contacts:dnc_revoke", args=[entry.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("contacts:segment_delete", args=[segment.pk])).status_code == 403
    assert client.post(reverse("contacts:segment_duplicate", args=[segment.pk])).status_code == 403
    entry.refresh_from_db()
    assert entry.revoked_at is None


API = {
    "customers": "/api/v1/customers/",
    "dnc": "/api/v1/dnc/",
    "segments": "/api/v1/segments/",
}


@pytest.mark.parametrize(
    "role, expected",
    [
        ("supervisor", {"customers": 200, "dnc": 200, "segments": 200}),
        ("manager", {"customers": 200, "dnc": 200, "segments": 200}),
        ("operator", {"customers": 403, "dnc": 403, "segments": 403}),
        ("client_viewer", {"customers": 403, "dnc": 403, "segments": 403}),
    ],
)
def test_api_reads_by_role(request, api_as, objects, role, expected):
    client = api_as(request.getfixturevalue(role))
    for name, url in API.items():
        assert client.get(url).status_code == expected[name], (role, name)
    customer_url = f"/api/v1/customers/{objects['customer'].pk}/"
    assert client.get(customer_url).status_code == expected["customers"]


def test_api_without_credentials_is_401(api_client):
    for url in API.values():
        assert api_client.get(url).status_code == 401
