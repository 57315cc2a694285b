"""Registry pages: register with validation, revoke with a reason (a stale page gets a message),
list filters, the change log for managers."""

import datetime
import html

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from callcenter.history import history_change
from callcenter.models import AuditEvent
from contacts.models import DoNotCall
from contacts.services.dnc import is_blocked, register_dnc, revoke_dnc
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
CREATE = reverse("contacts:dnc_create")


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English (the default language is Japanese) so messages can be asserted."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sv(login, supervisor):
    return login(supervisor)


def form(**values):
    data = {
        "phone": "",
        "customer": "",
        "scope": "global",
        "campaign": "",
        "reason": "customer_request",
        "source": "supervisor",
        "expires_at": "",
        "note": "",
    }
    data.update(values)
    return data


def test_register_a_number_in_any_format(sv, supervisor):
    customer = CustomerFactory(phone="090-1234-5678")
    response = sv.post(CREATE, form(phone="０９０－１２３４－５６７８", note="本人より"))
    entry = DoNotCall.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("contacts:dnc_detail", args=[entry.pk])
    assert entry.phone_number == "+819012345678" and entry.created_by == supervisor and entry.note == "本人より"
    assert is_blocked(customer=customer)


def test_register_a_customer_for_one_campaign_with_an_expiry(sv):
    campaign = apps.get_model("campaigns", "Campaign").objects.create(name="春の案内", purpose="sales")
    customer = CustomerFactory(external_id="K-42")
    expires = (timezone.localtime() + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    sv.post(CREATE, form(customer="K-42", scope="campaign", campaign=campaign.pk, expires_at=expires))
    entry = DoNotCall.objects.get()
    assert entry.customer == customer and entry.campaign == campaign and entry.expires_at is not None


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({}, None, "Give a phone number, a customer or both."),
        ({"phone": "12-34"}, "phone", "is not a valid phone number"),
        ({"customer": "NOPE"}, "customer", "No customer has the ID"),
        ({"phone": "090-1234-5678", "scope": "campaign"}, "campaign", "Choose the campaign."),
        (
            {"phone": "090-1234-5678", "expires_at": "2001-01-01T10:00"},
            "expires_at",
            "The expiry must be in the future.",
        ),
        ({"phone": "090-1234-5678", "reason": "boredom"}, "reason", "Select a valid choice"),
    ],
)
def test_bad_input_shows_a_clear_error_and_keeps_what_was_typed(sv, values, field, message):
    response = sv.post(CREATE, form(**values))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in str(errors.get(field or "__all__")), errors
    assert not DoNotCall.objects.exists()
    if values.get("phone"):
        assert values["phone"] in html.unescape(response.content.decode())


def test_the_form_is_prefilled_from_the_customer_page(sv):
    customer = CustomerFactory(external_id="PRE-1")
    response = sv.get(CREATE, {"customer": customer.pk, "phone": "03-1234-5678"})
    assert response.context["form"].initial == {"customer": "PRE-1", "phone": "03-1234-5678"}
    assert sv.get(CREATE, {"customer": "abc"}).status_code == 200


def test_revoke_needs_a_reason_and_keeps_the_entry(sv, supervisor):
    entry = register_dnc(by=supervisor, phone="090-1234-5678", reason="customer_request", source="supervisor")
    url = reverse("contacts:dnc_revoke", args=[entry.pk])
    response = sv.post(url, {"reason": ""})
    assert response.status_code == 400 and "Say why the entry is revoked." in html.unescape(response.content.decode())
    response = sv.post(url, {"reason": "本人が再開を希望"}, follow=True)
    entry.refresh_from_db()
    assert entry.revoked_at and entry.revoke_reason == "本人が再開を希望"
    assert entry.revoked_by == supervisor  # who revoked it is kept (rule 6)
    assert "kept in the registry" in html.unescape(response.content.decode())
    assert DoNotCall.objects.filter(pk=entry.pk).exists()


def test_revoking_from_a_stale_page_gets_a_message_not_an_error(sv, supervisor, manager):
    entry = register_dnc(by=supervisor, customer=CustomerFactory(), reason="complaint", source="inbound")
    revoke_dnc(entry=entry, by=supervisor, reason="first")
    response = sv.post(reverse("contacts:dnc_revoke", args=[entry.pk]), {"reason": "second"}, follow=True)
    assert response.status_code == 200
    assert "already revoked" in html.unescape(response.content.decode())
    entry.refresh_from_db()
    assert entry.revoke_reason == "first"


def test_list_filters_by_status_and_search(sv, supervisor):
    active = register_dnc(by=supervisor, phone="090-1111-1111", reason="customer_request", source="operator")
    revoked = register_dnc(by=supervisor, phone="090-2222-2222", reason="complaint", source="inbound")
    revoke_dnc(entry=revoked, by=supervisor, reason="x")
    expired = register_dnc(
        by=supervisor,
        phone="090-3333-3333",
        reason="legal",
        source="supervisor",
        expires_at=timezone.now() + datetime.timedelta(seconds=1),
    )
    with history_change("test: an entry that expired yesterday"):
        DoNotCall.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))

    def listed(**params):
        return {e.pk for e in sv.get(reverse("contacts:dnc_list"), params).context["page"]}

    assert listed() == {active.pk}, "active entries by default"
    assert listed(status="revoked") == {revoked.pk}
    assert listed(status="expired") == {expired.pk}
    assert listed(status="all") == {active.pk, revoked.pk, expired.pk}
    assert listed(status="all", q="０９０－２２２２－２２２２") == {revoked.pk}
    assert listed(status="all", reason="legal") == {expired.pk}
    assert listed(status="all", source="operator") == {active.pk}


def test_managers_read_the_registry_and_its_change_log(login, manager, supervisor):
    entry = register_dnc(by=supervisor, phone="090-1234-5678", reason="customer_request", source="supervisor")
    revoke_dnc(entry=entry, by=supervisor, reason="再開")
    client = login(manager)
    log = client.get(reverse("contacts:dnc_audit"))
    assert log.status_code == 200
    assert [e.action for e in log.context["page"]] == ["dnc.revoke", "dnc.create"]
    assert [e.action for e in client.get(reverse("contacts:dnc_audit"), {"action": "dnc.create"}).context["page"]] == [
        "dnc.create"
    ]
    detail = client.get(reverse("contacts:dnc_detail", args=[entry.pk]))
    body = detail.content.decode()
    assert "再開" in body and 'data-testid="revoke-form"' not in body, "managers see, but cannot revoke"
    assert AuditEvent.objects.filter(action__startswith="dnc.").count() == 2
