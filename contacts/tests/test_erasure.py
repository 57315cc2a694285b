"""Deletion requests: a supervisor erases a customer; the past calls keep their timings and
outcomes, the numbers become keyed hashes on the do-not-call registry, and the same number
imported again is still blocked."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from callcenter.models import AuditEvent
from campaigns.models import CallAttempt, CallListEntry, Disposition
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, past_attempt, ready_list, working_campaign
from contacts.models import Customer, DoNotCall, PhoneNumber
from contacts.services.dnc import is_blocked
from contacts.services.erasure import erase_customer, number_hash
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import csv_file, run_import

pytestmark = pytest.mark.django_db

NAME, KANA, EMAIL = "消去 希望子", "ショウキョ キボウコ", "kibouko@example.jp"
NUMBER, OTHER_NUMBER = "+819012340001", "+81312340002"


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


@pytest.fixture
def called(reference_data, operator):
    """A customer with personal data, two numbers, a call with notes and answers, and an open entry."""
    customer = CustomerFactory(
        name=NAME,
        name_kana=KANA,
        email=EMAIL,
        address="東京都千代田区1-1",
        postal_code="100-0001",
        notes="夜は不在",
        attributes={"favourite": "tea"},
        phones=["090-1234-0001", "03-1234-0002"],
    )
    campaign = working_campaign(operators=[operator])
    call_list = ready_list(campaign)
    one = entry(call_list, customer=customer, phone=NUMBER)
    started = timezone.now() - dt.timedelta(days=3)
    attempt = past_attempt(entry=one, at=started, code="success", notes="奥様と話した", answers={"q1": "yes"})
    return customer, campaign, call_list, one, attempt


def test_erasure_clears_personal_data_and_keeps_the_calls_for_kpis(called, supervisor):
    customer, campaign, call_list, open_entry, attempt = called
    erase_customer(customer=customer, by=supervisor, reason="削除依頼 2026-12-01 受付番号 42")
    customer.refresh_from_db()
    assert customer.erased_at is not None
    for field in ("name", "name_kana", "email", "address", "postal_code", "notes"):
        assert getattr(customer, field) == "", field
    assert customer.attributes == {}
    assert customer.external_id.startswith("#")
    assert set(customer.phones.values_list("number", flat=True)) == {number_hash(NUMBER), number_hash(OTHER_NUMBER)}
    assert not PhoneNumber.objects.filter(number__in=[NUMBER, OTHER_NUMBER]).exists()
    # the call is still there, with its timing and outcome, without what was written about the person
    kept = CallAttempt.objects.get(pk=attempt.pk)
    assert (kept.started_at, kept.disposition_id, kept.is_success) == (attempt.started_at, attempt.disposition_id, True)
    assert (kept.phone, kept.notes, kept.answers) == (number_hash(NUMBER), "", {})
    open_entry.refresh_from_db()
    assert open_entry.status == CallListEntry.Status.BLOCKED and open_entry.phone == number_hash(NUMBER)
    # never called again: hashed numbers and the customer are on the registry
    active = DoNotCall.objects.filter(revoked_at__isnull=True, campaign__isnull=True)
    assert active.filter(phone_number=number_hash(NUMBER)).exists()
    assert active.filter(phone_number=number_hash(OTHER_NUMBER)).exists()
    assert active.filter(customer=customer, phone_number="").exists()
    assert is_blocked(customer=customer) and is_blocked(phone=NUMBER)
    assert dispatch_next(operator=campaign.operators.first()) is None
    # audited, without personal data
    event = AuditEvent.objects.get(action="customer.erased", object_id=str(customer.pk))
    assert event.actor_id == supervisor.pk
    assert NAME not in str(event.summary) and NUMBER not in str(event.data)


def test_the_same_number_imported_again_after_erasure_is_blocked(called, supervisor):
    customer, campaign, call_list, _open_entry, _attempt = called
    erase_customer(customer=customer, by=supervisor, reason="削除依頼")
    job = run_import(supervisor, csv_file([["顧客ID", "氏名", "電話番号"], ["NEW-1", "新規 太郎", "090-1234-0001"]]))
    assert job.status == "done", job.message
    newcomer = Customer.objects.get(external_id="NEW-1")
    assert newcomer.phones.get().number == NUMBER
    assert is_blocked(customer=newcomer)
    assert DoNotCall.objects.filter(phone_number=NUMBER, revoked_at__isnull=True, campaign__isnull=True).exists()
    # the list build leaves them out, as any do-not-call entry
    from campaigns.services.lists import BuildSpec, preview_call_list

    counts = preview_call_list(spec=BuildSpec(campaign=campaign, criteria={}))
    assert counts["matched"] == 2 and counts["included"] == 0 and counts["excluded"]["dnc"] == 2


def test_a_number_added_by_hand_after_erasure_is_blocked_too(called, supervisor, api_as):
    customer, *_rest = called
    erase_customer(customer=customer, by=supervisor, reason="削除依頼")
    response = api_as(supervisor).post(
        "/api/v1/customers/",
        {"external_id": "NEW-2", "name": "新規 次郎", "phones": [{"number": "03-1234-0002"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert is_blocked(customer=Customer.objects.get(external_id="NEW-2"))


def test_a_number_shared_with_a_household_keeps_its_opt_out(called, supervisor):
    customer, *_rest = called
    household = CustomerFactory(phones=["03-1234-0002"])
    erase_customer(customer=customer, by=supervisor, reason="削除依頼")
    assert is_blocked(customer=household)


def test_erasure_through_the_api_needs_a_reason_and_happens_once(called, supervisor, operator, api_as):
    customer, *_rest = called
    url = f"/api/v1/customers/{customer.pk}/erase/"
    assert api_as(operator).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api_as(supervisor).post(url, {}, format="json").status_code == 400
    response = api_as(supervisor).post(url, {"reason": "削除依頼"}, format="json")
    assert response.status_code == 200 and response.json()["id"] == customer.pk
    assert api_as(supervisor).post(url, {"reason": "again"}, format="json").status_code == 409
    assert NAME not in api_as(supervisor).get(f"/api/v1/customers/{customer.pk}/").content.decode()
    edit = api_as(supervisor).patch(f"/api/v1/customers/{customer.pk}/", {"name": NAME}, format="json")
    assert edit.status_code == 400


def test_the_erasure_page_asks_for_a_reason_and_a_confirmation(called, supervisor, login):
    customer, *_rest = called
    browser = login(supervisor)
    url = reverse("contacts:customer_erase", args=[customer.pk])
    page = browser.get(url)
    assert page.status_code == 200 and 'data-testid="erase-warning"' in page.content.decode()
    refused = browser.post(url, {"reason": "削除依頼"})
    assert refused.status_code == 400
    customer.refresh_from_db()
    assert customer.erased_at is None and customer.name == NAME
    done = browser.post(url, {"reason": "削除依頼", "confirm": "on"})
    assert done.status_code == 302
    detail = browser.get(reverse("contacts:customer_detail", args=[customer.pk])).content.decode()
    assert 'data-testid="customer-erased"' in detail and NAME not in detail
    # Nothing left to edit or erase again: the page offers neither.
    assert 'data-testid="edit-customer"' not in detail and 'data-testid="erase-customer"' not in detail
    assert Disposition.objects.get(code="success").display_label in detail  # the call history is still shown
