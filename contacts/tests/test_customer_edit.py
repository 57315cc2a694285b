"""Creating and editing a customer on a page: every field of the API, the import's normalization
(one implementation for imports, the API and the page), a stale edit refused with a message,
audited; the operator's corrections during a call, seen on the customer page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.models import Customer
from contacts.services import customers as service
from contacts.services.dnc import revoke_dnc
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = pytest.mark.django_db


def form_data(customer=None, **overrides):
    data = {
        "external_id": "C-NEW-1",
        "name": "新井 花子",
        "name_kana": "ｱﾗｲ ﾊﾅｺ",
        "gender": "female",
        "birth_date": "1980-05-06",
        "email": "hanako@example.jp",
        "postal_code": "１５００００１",
        "prefecture": "東京",
        "address": "渋谷区神宮前1-1",
        "time_zone": "Asia/Tokyo",
        "purchase_count": "3",
        "total_spent": "12000",
        "subscription_status": "active",
        "mail_open_rate": "0.4",
        "tags": "vip、 定期",
        "attributes": "解約スコア = 0.8\n担当 = 田中",
        "preferred_call_windows": "月火水木金 18:00-20:00\n10:00-12:00",
        "notes": "夕方希望",
        "phones-TOTAL_FORMS": "3",
        "phones-INITIAL_FORMS": "0",
        "phones-0-number": "090-1111-2222",
        "phones-0-kind": "",
        "phones-1-number": "03-1234-5678",
        "phones-1-kind": "home",
        "phones-1-is_primary": "on",
        "phones-2-number": "",
    }
    if customer is not None:
        data["version"] = customer.updated_at.isoformat()
    data.update(overrides)
    return data


def test_create_a_customer_normalized_as_an_import_would(login, supervisor):
    response = login(supervisor).post(reverse("contacts:customer_create"), form_data())
    customer = Customer.objects.get(external_id="C-NEW-1")
    assert response.status_code == 302 and response["Location"] == reverse(
        "contacts:customer_detail", args=[customer.pk]
    )
    assert customer.name_kana == "アライ ハナコ"
    assert (customer.postal_code, customer.prefecture) == ("150-0001", "東京都")
    assert customer.tags == ["vip", "定期"]
    assert customer.attributes == {"解約スコア": 0.8, "担当": "田中"}
    assert customer.preferred_call_windows == [
        {"weekdays": [0, 1, 2, 3, 4], "start": "18:00", "end": "20:00"},
        {"weekdays": [], "start": "10:00", "end": "12:00"},
    ]
    phones = {p.number: p for p in customer.phones.all()}
    assert set(phones) == {"+819011112222", "+81312345678"}
    assert phones["+81312345678"].is_primary and phones["+81312345678"].kind == "home"
    assert phones["+819011112222"].kind == "mobile"
    assert AuditEvent.objects.filter(
        action="customer.create", object_type="contacts.customer", object_id=str(customer.pk)
    ).exists()


def test_the_api_normalizes_the_same_way(api_as, supervisor):
    response = api_as(supervisor).post(
        "/api/v1/customers/",
        {
            "external_id": "C-API-1",
            "name": "API 太郎",
            "prefecture": "東京",
            "postal_code": "1500001",
            "preferred_call_windows": [{"weekdays": [5], "start": "10:00", "end": "12:00"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["prefecture"], body["postal_code"]) == ("東京都", "150-0001")
    assert body["preferred_call_windows"] == [{"weekdays": [5], "start": "10:00", "end": "12:00"}]
    response = api_as(supervisor).patch(
        f"/api/v1/customers/{body['id']}/",
        {"preferred_call_windows": [{"start": "12:00", "end": "10:00"}], "time_zone": "Asia/Tokyo"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"preferred_call_windows"}


def test_bad_input_is_shown_and_nothing_is_lost(login, supervisor):
    data = form_data(email="not-an-address", time_zone="Tokyo", preferred_call_windows="毎日 夕方")
    response = login(supervisor).post(reverse("contacts:customer_create"), data)
    page = response.content.decode()
    assert response.status_code == 200 and not Customer.objects.filter(external_id="C-NEW-1").exists()
    assert "not-an-address" in page  # the typed values are kept
    assert "渋谷区神宮前1-1" in page


def test_edit_replaces_fields_and_phones_and_is_audited(login, supervisor):
    customer = CustomerFactory(name="旧姓 花子", phone="090-9999-0000")
    data = form_data(customer, external_id=customer.external_id, **{"phones-1-number": ""})
    response = login(supervisor).post(reverse("contacts:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "新井 花子"
    assert [p.number for p in customer.phones.all()] == ["+819011112222"]
    event = AuditEvent.objects.filter(action="customer.update", object_id=str(customer.pk)).get()
    assert "name" in event.data["fields"] and event.data["phones_replaced"]


def test_a_stale_edit_gets_a_message_not_an_overwrite(login, supervisor, api_as):
    customer = CustomerFactory(name="元の名前", phone="090-9999-0000")
    stale = form_data(customer, external_id=customer.external_id, name="古い画面の名前")
    # someone else saves meanwhile (a second later, as any save is)
    api_as(supervisor).patch(f"/api/v1/customers/{customer.pk}/", {"name": "別の人の変更"}, format="json")
    response = login(supervisor).post(reverse("contacts:customer_edit", args=[customer.pk]), stale)
    assert response.status_code == 200
    assert 'data-testid="reload-customer"' in response.content.decode()
    customer.refresh_from_db()
    assert customer.name == "別の人の変更"


def test_stale_check_in_the_service_also_counts_phone_changes(supervisor):
    customer = CustomerFactory(phone="090-9999-0000")
    loaded = customer.updated_at
    service.update_customer(customer=customer, by=supervisor, phones=[{"number": "080-1111-2222"}])
    with pytest.raises(service.ChangedMeanwhile):
        service.update_customer(customer=customer, by=supervisor, loaded_version=loaded, name="x")


def test_the_customer_page_shows_notes_call_times_and_changes(login, supervisor):
    customer = CustomerFactory(
        notes="夕方希望", preferred_call_windows=[{"weekdays": [5, 6], "start": "10:00", "end": "12:00"}]
    )
    service.update_customer(customer=customer, by=supervisor, name="変更 後")
    page = login(supervisor).get(reverse("contacts:customer_detail", args=[customer.pk])).content.decode()
    assert "夕方希望" in page and "土日 10:00-12:00" in page
    assert 'data-testid="customer-changes"' in page and "name" in page


# ------------------------------------------------------------------ from the console


@pytest.fixture
def held(operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock())
    customer = CustomerFactory(name="秘密 先子", phones=["090-1111-2222", "080-3333-4444"])
    entry(ready_list(campaign), customer=customer, phone="+819011112222")
    held_entry = dispatch_next(operator=operator, now=timezone.now())
    assert held_entry is not None
    return held_entry


def test_operator_marks_the_number_wrong_adds_one_and_a_note(login, operator, supervisor, held, client):
    client = login(operator)
    url = reverse("campaigns:console_customer", args=[held.pk])
    response = client.post(url, {"action": "mark_wrong"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-testid="customer-action-done"' in response.content.decode()
    phones = {p.number: p for p in held.customer.phones.all()}
    assert not phones["+819011112222"].is_valid and phones["+818033334444"].is_primary
    client.post(url, {"action": "add_phone", "number": "０７０−５５５５−６６６６"}, HTTP_HX_REQUEST="true")
    assert held.customer.phones.filter(number="+817055556666", is_valid=True).exists()
    response = client.post(url, {"action": "add_phone", "number": "123"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="customer-action-error"' in response.content.decode()
    client.post(url, {"action": "add_note", "note": "本人 不在時は 奥様へ"}, HTTP_HX_REQUEST="true")
    held.customer.refresh_from_db()
    assert held.customer.notes.endswith("鈴木 一郎: 本人 不在時は 奥様へ")
    actions = set(
        AuditEvent.objects.filter(
            object_type="contacts.customer", object_id=str(held.customer.pk), actor=operator
        ).values_list("action", flat=True)
    )
    assert actions == {"customer.phone_marked_wrong", "customer.phone_added", "customer.note_added"}
    client = login(supervisor)
    page = client.get(reverse("contacts:customer_detail", args=[held.customer.pk])).content.decode()
    assert "本人 不在時は 奥様へ" in page and "070-5555-6666" in page


def test_operator_cannot_correct_a_customer_they_do_not_hold(login, operator2, held):
    response = login(operator2).post(
        reverse("campaigns:console_customer", args=[held.pk]), {"action": "add_note", "note": "x"}
    )
    assert response.status_code == 409 and "秘密" not in response.content.decode()
    held.customer.refresh_from_db()
    assert held.customer.notes == ""


def test_an_operator_edit_moves_the_customers_version(supervisor, operator, held):
    loaded = Customer.objects.get(pk=held.customer.pk).updated_at
    service.add_note(customer=held.customer, text="x", by=operator)
    with pytest.raises(service.ChangedMeanwhile):
        service.update_customer(customer=held.customer, by=supervisor, loaded_version=loaded, name="y")


# ------------------------------------------------------------------ the registry's CSV


def test_dnc_export_follows_the_page_filters_with_a_bom_formula_safe_and_audited(login, manager, supervisor):
    DoNotCallFactory(phone_number="+819011112222", note='=HYPERLINK("x")', reason="customer_request")
    revoked = DoNotCallFactory(phone_number="+819033334444")
    revoke_dnc(entry=revoked, by=supervisor, reason="誤登録")
    response = login(manager).get(reverse("contacts:dnc_export"), {"status": "active"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeff")
    assert "090-1111-2222" in body and "090-3333-4444" not in body
    assert "'=HYPERLINK" in body
    event = AuditEvent.objects.get(action="dnc.export")
    assert event.actor == manager and event.data["filters"]["status"] == "active"
    everything = b"".join(login(manager).get(reverse("contacts:dnc_export"), {"status": "all"}).streaming_content)
    assert "090-3333-4444" in everything.decode("utf-8")


def test_operators_cannot_export_the_registry(login, operator):
    assert login(operator).get(reverse("contacts:dnc_export")).status_code == 403


def test_no_workplace_calls_on_the_page_and_the_api(login, supervisor, api_as):
    customer = CustomerFactory(phone="03-1234-5678")
    data = form_data(customer, external_id=customer.external_id, no_workplace_calls="on")
    login(supervisor).post(reverse("contacts:customer_edit", args=[customer.pk]), data)
    customer.refresh_from_db()
    assert customer.no_workplace_calls is True
    page = login(supervisor).get(reverse("contacts:customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="no-workplace-calls"' in page
    response = api_as(supervisor).patch(
        f"/api/v1/customers/{customer.pk}/", {"no_workplace_calls": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["no_workplace_calls"] is False


def test_a_call_window_needs_both_ends_in_a_patch_too(api_as, supervisor):
    customer = CustomerFactory()
    response = api_as(supervisor).patch(
        f"/api/v1/customers/{customer.pk}/", {"preferred_call_windows": [{"end": "09:00"}]}, format="json"
    )
    assert response.status_code == 400 and "preferred_call_windows" in response.json()["errors"]
