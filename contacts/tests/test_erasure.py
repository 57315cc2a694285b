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


# ---------------------------------------------------------------- what erasure leaves behind


ACCOUNT = "ACC-778899"
TRACES = (NAME, KANA, EMAIL, NUMBER, "090-1234-0001", "09012340001", "東京都千代田区1-1", "C-ERASE-1", ACCOUNT)


def leftovers(text: str) -> list[str]:
    return [trace for trace in TRACES if trace in text]


def test_erasure_removes_the_person_from_the_audit_trail_error_reports_debts_and_the_registry(
    called, supervisor, operator
):
    from callcenter.audit import record_event
    from campaigns.models import Debt
    from contacts.models import ImportJob, ImportRowError
    from contacts.services.customers import add_note, add_phone
    from contacts.services.dnc import register_dnc

    customer, campaign, _call_list, open_entry, attempt = called
    Customer.objects.filter(pk=customer.pk).update(external_id="C-ERASE-1")
    customer.refresh_from_db()
    # events as older code wrote them (the name in the summary, old and new values, the number)
    record_event(
        actor=supervisor,
        action="customer.update",
        target=customer,
        summary=str(customer),
        fields=["name", "email"],
        old={"name": "旧姓 希望子", "email": EMAIL},
        new={"name": NAME, "address": "東京都千代田区1-1"},
    )
    record_event(actor=operator, action="customer.phone_added", target=customer, summary=NAME, number="090-1234-0001")
    add_phone(customer=customer, number="080-5555-0003", by=operator)
    add_note(customer=customer, text="奥様の名前は花子", by=operator)
    number_entry = register_dnc(by=supervisor, phone=NUMBER, reason="complaint", source="inbound", note=f"{NAME} 激怒")
    record_event(actor=operator, action="list.entry_added", target=open_entry, summary=f"リスト: {customer}")
    debt = Debt.objects.create(campaign=campaign, customer=customer, amount_due=5000, account_reference=ACCOUNT)
    record_event(actor=supervisor, action="debt.saved", target=debt, summary=f"{campaign.name}: C-ERASE-1 {ACCOUNT}")
    # someone else's events stay as they are, even when they share a value
    other = CustomerFactory(name=NAME, phones=["090-7777-0009"])
    unrelated = record_event(actor=supervisor, action="customer.create", target=other, summary=f"{NAME} (other)")
    job = ImportJob.objects.create(original_name="list.csv", file="imports/uploads/x/list.csv")
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(job=job, line=2, column="電話番号", value="090-1234-0001", message="duplicate"),
            ImportRowError(job=job, line=2, column="氏名", value=NAME, message="too long"),
            ImportRowError(job=job, line=3, column="電話番号", value="090-9999-0000", message="duplicate"),
        ]
    )

    erase_customer(customer=customer, by=supervisor, reason="削除依頼")

    mine = AuditEvent.objects.filter(
        object_type__in=["contacts.customer", "contacts.donotcall", "campaigns.calllistentry", "campaigns.debt"]
    ).exclude(pk=unrelated.pk)
    for event in mine:
        assert leftovers(event.summary + str(event.data)) == [], (event.action, event.summary, event.data)
    redacted = AuditEvent.objects.filter(data__redacted_for=f"erasure of customer {customer.pk}")
    assert redacted.count() >= 7
    phone_added = redacted.get(action="customer.phone_added", data__number__isnull=False)
    assert phone_added.data["number"] == number_hash(NUMBER)  # still comparable with the registry
    assert redacted.get(action="dnc.create", object_id=str(number_entry.pk)).data["note"] == "[erased]"
    # the redaction is itself on the record: who, when, how many
    report = AuditEvent.objects.get(action="audit.redacted")
    assert (report.actor_id, report.object_id, report.data["events"]) == (
        supervisor.pk,
        str(customer.pk),
        redacted.count(),
    )
    assert AuditEvent.objects.get(pk=unrelated.pk).summary == f"{NAME} (other)"
    # the registry: the entry on the number alone now holds the hash, and still blocks
    number_entry.refresh_from_db()
    assert number_entry.phone_number == number_hash(NUMBER) and NAME not in number_entry.note
    # the error report, the debt, the attempt
    assert sorted(job.row_errors.values_list("value", flat=True)) == sorted(
        [number_hash(NUMBER), "[erased]", "090-9999-0000"]
    )
    debt.refresh_from_db()
    assert debt.account_reference == number_hash(f"account:{ACCOUNT}") and debt.amount_due == 5000
    kept = CallAttempt.objects.get(pk=attempt.pk)
    assert (kept.phone, kept.notes, kept.disposition_id) == (number_hash(NUMBER), "", attempt.disposition_id)


def test_new_customer_events_name_the_customer_by_id_only(called, supervisor, operator):
    from contacts.services.customers import add_note, add_phone, update_customer

    customer, *_rest = called
    update_customer(customer=customer, by=supervisor, name="改名 希望子")
    add_phone(customer=customer, number="080-5555-0003", by=operator)
    add_note(customer=customer, text="奥様の名前は花子", by=operator)
    for event in AuditEvent.objects.filter(object_type="contacts.customer", object_id=str(customer.pk)):
        text = event.summary + str(event.data)
        assert "希望子" not in text and "080-5555-0003" not in text and "花子" not in text, event.action


def test_the_audit_trail_opens_only_for_the_erasure_it_names(supervisor):
    """The trigger lets through a rewrite of summary and details marked with the transaction's
    redaction; any other change, a DELETE, or a rewrite without the setting stays refused."""
    from django.db import DatabaseError, connection, transaction

    from callcenter.audit import record_event
    from callcenter.history import audit_redaction

    event = record_event(actor=supervisor, action="customer.update", summary="名前")

    def attempt(sql, params, marker=None):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if marker:
                    cursor.execute("SELECT set_config('callcenter.audit_erasure', %s, true)", [marker])
                cursor.execute(sql, params)
            return "done"
        except DatabaseError:
            return "refused"

    mark = "UPDATE callcenter_auditevent SET summary = 'x', data = '{\"redacted_for\": \"erasure 1\"}' WHERE id = %s"
    assert attempt(mark, [event.pk]) == "refused"  # no setting
    assert attempt(mark, [event.pk], marker="erasure 2") == "refused"  # another erasure's mark
    assert attempt(mark.replace("summary = 'x'", "action = 'x'"), [event.pk], marker="erasure 1") == "refused"
    assert attempt("DELETE FROM callcenter_auditevent WHERE id = %s", [event.pk], marker="erasure 1") == "refused"
    assert AuditEvent.objects.get(pk=event.pk).summary == "名前"
    with audit_redaction("erasure 1"), connection.cursor() as cursor:
        cursor.execute(mark, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "x"
    # the setting ends with the block
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('callcenter.audit_erasure', true)")
        assert cursor.fetchone()[0] in ("", None)


# ---------------------------------------------------------------- the erased number, back by any path


def _by_import(supervisor, operator, api_as, login):
    job = run_import(supervisor, csv_file([["顧客ID", "氏名", "電話番号"], ["BACK-1", "新規 太郎", "090-1234-0001"]]))
    assert job.status == "done", job.message
    return Customer.objects.get(external_id="BACK-1")


def _by_create_page(supervisor, operator, api_as, login):
    from contacts.tests.test_customer_edit import form_data

    data = form_data(external_id="BACK-1", **{"phones-0-number": "090-1234-0001", "phones-1-number": ""})
    assert login(supervisor).post(reverse("contacts:customer_create"), data).status_code == 302
    return Customer.objects.get(external_id="BACK-1")


def _by_edit_page(supervisor, operator, api_as, login):
    from contacts.tests.test_customer_edit import form_data

    someone = CustomerFactory(external_id="BACK-1", phone="090-7777-0001")
    data = form_data(someone, external_id="BACK-1", **{"phones-0-number": "090-1234-0001", "phones-1-number": ""})
    assert login(supervisor).post(reverse("contacts:customer_edit", args=[someone.pk]), data).status_code == 302
    return someone


def _by_api_create(supervisor, operator, api_as, login):
    response = api_as(supervisor).post(
        "/api/v1/customers/",
        {"external_id": "BACK-1", "name": "新規", "phones": [{"number": "090-1234-0001"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return Customer.objects.get(external_id="BACK-1")


def _by_api_edit(supervisor, operator, api_as, login):
    someone = CustomerFactory(external_id="BACK-1", phone="090-7777-0001")
    response = api_as(supervisor).patch(
        f"/api/v1/customers/{someone.pk}/", {"phones": [{"number": "+81 90 1234 0001"}]}, format="json"
    )
    assert response.status_code == 200, response.content
    return someone


def _by_console(supervisor, operator, api_as, login):
    from contacts.services.customers import add_phone

    someone = CustomerFactory(external_id="BACK-1", phone="090-7777-0001")
    add_phone(customer=someone, number="09012340001", by=operator)
    return someone


def _by_any_other_save(supervisor, operator, api_as, login):
    """The admin site's phone rows, a shell: a plain ORM save of the number."""
    someone = CustomerFactory(external_id="BACK-1")
    PhoneNumber.objects.create(customer=someone, number=NUMBER, raw="090-1234-0001", kind="mobile", is_valid=True)
    return someone


def _by_changing_a_stored_number(supervisor, operator, api_as, login):
    """A stored number overwritten by a save that names only the number (the receiver skips the
    saves that leave the number alone)."""
    someone = CustomerFactory(external_id="BACK-1")
    phone = PhoneNumber.objects.create(
        customer=someone, number="+81311112222", raw="03-1111-2222", kind="landline", is_valid=True
    )
    phone.number = NUMBER
    phone.save(update_fields=["number"])
    return someone


@pytest.mark.parametrize(
    "path",
    [
        _by_import,
        _by_create_page,
        _by_edit_page,
        _by_api_create,
        _by_api_edit,
        _by_console,
        _by_any_other_save,
        _by_changing_a_stored_number,
    ],
    ids=lambda path: path.__name__.removeprefix("_by_"),
)
def test_the_erased_number_back_by_any_path_is_blocked_by_list_builds_dispatch_and_the_dial(
    path, called, supervisor, operator, api_as, login
):
    from contacts.services.dnc import blocked_customer_ids, blocked_customers

    customer, campaign, call_list, *_rest = called
    erase_customer(customer=customer, by=supervisor, reason="削除依頼")
    newcomer = path(supervisor, operator, api_as, login)
    assert NUMBER in set(newcomer.phones.values_list("number", flat=True))
    # the list build's set (BLOCKED_CUSTOMERS_SQL) and dispatch's per-row rule (ACTIVE_DNC_SQL)
    # compare plain numbers: the number got a plain entry of its own
    assert Customer.objects.filter(pk__in=blocked_customers()).filter(pk=newcomer.pk).exists()
    assert blocked_customer_ids([newcomer.pk], campaign=campaign) == {newcomer.pk}
    assert is_blocked(customer=newcomer, campaign=campaign) and is_blocked(phone=NUMBER)
    entry(call_list, customer=newcomer, phone=NUMBER)
    assert dispatch_next(operator=operator) is None


def test_the_attempts_open_only_for_the_erased_customers_number_notes_and_answers(called, supervisor):
    """Erasure changes attempts through a door of their own (callcenter.history.attempt_erasure):
    the number dialed, the notes and the answers of that customer's attempts; the times, outcome
    and anything of another customer stay refused."""
    from django.db import DatabaseError, transaction

    from callcenter.history import attempt_erasure, history_change

    customer, _campaign, call_list, _open_entry, attempt = called
    other = past_attempt(entry=entry(call_list), at=timezone.now() - dt.timedelta(days=1), notes="別の人")

    def refused(change):
        try:
            with transaction.atomic():
                change()
        except DatabaseError:
            return True
        return False

    mine = CallAttempt.objects.filter(pk=attempt.pk)
    with history_change("an erasure around it"), attempt_erasure(customer.pk):
        mine.update(phone=number_hash(NUMBER), notes="", answers={})
        assert refused(lambda: mine.update(started_at=timezone.now()))
        assert refused(lambda: mine.update(notes="", disposition=Disposition.objects.get(code="no_answer")))
        assert refused(lambda: CallAttempt.objects.filter(pk=other.pk).update(notes=""))
        assert refused(lambda: mine.delete())
    kept = CallAttempt.objects.get(pk=attempt.pk)
    assert (kept.phone, kept.notes, kept.started_at) == (number_hash(NUMBER), "", attempt.started_at)
    assert CallAttempt.objects.get(pk=other.pk).notes == "別の人"
    assert refused(lambda: mine.update(notes="after"))  # the door closes with the block


@pytest.mark.django_db(transaction=True)
def test_a_number_stored_while_its_owner_is_erased_is_blocked_whichever_commits_first(
    reference_data, settings, tmp_path
):
    """An erasure and a writer of the same number at once (contacts/locks.py, ERASED_NUMBERS):
    the erasure waits for a creation in flight and sees its number (a plain entry stays on it);
    an import waits for an erasure in flight and finds the hash. Without the lock each missed the
    other's uncommitted work and the newcomer stayed callable."""
    from conftest import another_transaction, make_user
    from contacts.services.customers import create_customer
    from contacts.services.dnc import blocked_customers

    settings.MEDIA_ROOT = str(tmp_path)
    supervisor = make_user("sv_erase_race", "supervisor")

    def blocked(customer) -> bool:
        return Customer.objects.filter(pk__in=blocked_customers()).filter(pk=customer.pk).exists()

    first = CustomerFactory(phones=["090-1234-0001"])

    def create():
        return create_customer(by=supervisor, external_id="RACE-1", name="同時 一郎", phones=[{"number": NUMBER}])

    with another_transaction(create, commit_once_waited_on=True):
        erase_customer(customer=first, by=supervisor, reason="削除依頼")
    assert blocked(Customer.objects.get(external_id="RACE-1"))

    second = CustomerFactory(phones=["03-1234-0002"])
    with another_transaction(
        lambda: erase_customer(customer=second, by=supervisor, reason="削除依頼"), commit_once_waited_on=True
    ):
        job = run_import(
            supervisor, csv_file([["顧客ID", "氏名", "電話番号"], ["RACE-2", "同時 二郎", "03-1234-0002"]])
        )
    assert job.status == "done", job.message
    assert blocked(Customer.objects.get(external_id="RACE-2"))
