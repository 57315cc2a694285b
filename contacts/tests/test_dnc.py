"""The do-not-call rule (docs/rules.md#do-not-call) and the registry's evidence rules."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from callcenter.models import AuditEvent
from conftest import another_transaction, race
from contacts.models import Customer, DoNotCall
from contacts.services.dnc import (
    ACTIVE_DNC_SQL,
    blocked_customers,
    blocking_entries,
    is_blocked,
    register_dnc,
    revoke_dnc,
)
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the default language is Japanese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


REQUEST = DoNotCall.Reason.CUSTOMER_REQUEST
SUPERVISOR_SOURCE = DoNotCall.Source.SUPERVISOR


def campaign(name):
    Campaign = apps.get_model("campaigns", "Campaign")
    return Campaign.objects.create(name=name, purpose="sales")


def blocked_ids_orm(campaign=None, at=None):
    return set(Customer.objects.filter(pk__in=blocked_customers(campaign=campaign, at=at)).values_list("pk", flat=True))


def blocked_ids_sql(campaign=None, at=None):
    """ACTIVE_DNC_SQL the way list builds use it: over customers joined to their primary phone."""
    condition = ACTIVE_DNC_SQL.format(
        at="%(at)s",
        campaign="%(campaign)s",
        customer="c.id",
        phone="p.number",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM contacts_customer c LEFT JOIN contacts_phonenumber p "
            f"ON p.customer_id = c.id AND p.is_primary WHERE {condition}",
            {"at": at or timezone.now(), "campaign": getattr(campaign, "pk", campaign)},
        )
        return {row[0] for row in cursor.fetchall()}


def assert_all_forms_agree(expected_ids, campaign=None, at=None):
    """is_blocked, the ORM filter and the raw SQL are three spellings of one rule."""
    one_by_one = {c.pk for c in Customer.objects.all() if is_blocked(customer=c, campaign=campaign, at=at)}
    assert one_by_one == expected_ids
    assert blocked_ids_orm(campaign, at) == expected_ids
    assert blocked_ids_sql(campaign, at) == expected_ids


def test_a_number_entry_blocks_every_customer_who_has_that_number(supervisor):
    mother = CustomerFactory(phones=["03-1234-5678", "090-1111-2222"])
    son = CustomerFactory(phones=["090-3333-4444", "(03)1234-5678"])  # same home line
    other = CustomerFactory(phone="090-5555-6666")
    register_dnc(by=supervisor, phone="０３－１２３４－５６７８", reason=REQUEST, source=SUPERVISOR_SOURCE)

    assert is_blocked(phone="+81312345678")
    assert is_blocked(customer=mother) and is_blocked(customer=son)
    assert is_blocked(customer=son, phone="+819033334444")  # his own mobile: the customer is blocked
    assert not is_blocked(customer=other)
    assert_all_forms_agree({mother.pk, son.pk})


def test_a_customer_entry_blocks_all_their_numbers(supervisor):
    customer = CustomerFactory(phones=["090-1111-2222", "03-1234-5678"])
    other = CustomerFactory(phone="090-9999-8888")
    register_dnc(by=supervisor, customer=customer, reason=REQUEST, source=SUPERVISOR_SOURCE)

    assert is_blocked(customer=customer)
    assert is_blocked(phone="+819011112222"), "a number of the customer, checked on its own"
    assert is_blocked(phone="+81312345678")
    assert not is_blocked(phone="+819099998888")
    assert not is_blocked(customer=other)
    assert_all_forms_agree({customer.pk})


def test_a_customer_entry_also_blocks_a_number_shared_with_someone_else(supervisor):
    """Opting out covers every number of that person: calling the family's shared line for
    another customer would still reach the person who asked not to be called."""
    asked = CustomerFactory(phones=["090-1111-2222", "03-1234-5678"])
    relative = CustomerFactory(phones=["03-1234-5678"])
    register_dnc(by=supervisor, customer=asked, reason=REQUEST, source=SUPERVISOR_SOURCE)
    assert is_blocked(phone="+81312345678")
    assert is_blocked(customer=relative, phone="+81312345678")
    assert_all_forms_agree({asked.pk, relative.pk})


def test_campaign_entries_block_only_their_campaign_and_global_ones_block_all(supervisor):
    summer, winter = campaign("夏のDMフォロー"), campaign("冬の掘り起こし")
    local = CustomerFactory()
    everywhere = CustomerFactory()
    free = CustomerFactory()
    register_dnc(by=supervisor, customer=local, campaign=summer, reason=REQUEST, source=SUPERVISOR_SOURCE)
    register_dnc(by=supervisor, customer=everywhere, reason=REQUEST, source=SUPERVISOR_SOURCE)

    assert is_blocked(customer=local, campaign=summer)
    assert not is_blocked(customer=local, campaign=winter)
    assert not is_blocked(customer=local), "no campaign given = only global entries apply"
    assert is_blocked(customer=everywhere, campaign=summer) and is_blocked(customer=everywhere, campaign=winter)
    assert not is_blocked(customer=free, campaign=summer)
    assert_all_forms_agree({local.pk, everywhere.pk}, campaign=summer)
    assert_all_forms_agree({everywhere.pk}, campaign=winter)


def test_an_entry_with_an_expiry_blocks_until_then_only(supervisor):
    customer = CustomerFactory()
    now = timezone.now()
    register_dnc(
        by=supervisor,
        customer=customer,
        reason=REQUEST,
        source=SUPERVISOR_SOURCE,
        expires_at=now + datetime.timedelta(days=30),
    )
    assert is_blocked(customer=customer, at=now)
    assert is_blocked(customer=customer, at=now + datetime.timedelta(days=29))
    assert not is_blocked(customer=customer, at=now + datetime.timedelta(days=31))
    assert_all_forms_agree(set(), at=now + datetime.timedelta(days=31))
    with pytest.raises(ValidationError):
        register_dnc(
            by=supervisor,
            customer=customer,
            reason=REQUEST,
            source=SUPERVISOR_SOURCE,
            expires_at=now - datetime.timedelta(minutes=1),
        )


def test_revoking_keeps_the_row_with_who_when_why_and_stops_blocking(supervisor, manager):
    customer = CustomerFactory(phone="090-1234-5678")
    entry = register_dnc(by=supervisor, phone="090-1234-5678", reason=REQUEST, source=SUPERVISOR_SOURCE)
    assert is_blocked(customer=customer)

    revoke_dnc(entry=entry, by=supervisor, reason="本人から再開の希望")

    entry.refresh_from_db()
    assert DoNotCall.objects.filter(pk=entry.pk).exists()
    assert entry.revoked_at is not None and entry.revoked_by == supervisor
    assert entry.revoke_reason == "本人から再開の希望"
    assert not is_blocked(customer=customer)
    assert list(blocking_entries(customer=customer)) == []
    actions = list(
        AuditEvent.objects.filter(object_type="contacts.donotcall", object_id=str(entry.pk))
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [("dnc.create", supervisor.pk), ("dnc.revoke", supervisor.pk)]
    revoke_event = AuditEvent.objects.get(action="dnc.revoke")
    assert revoke_event.data["reason"] == "本人から再開の希望"


def test_revoking_needs_a_reason_and_happens_once(supervisor):
    entry = DoNotCallFactory()
    with pytest.raises(ValidationError):
        revoke_dnc(entry=entry, by=supervisor, reason="   ")
    revoke_dnc(entry=entry, by=supervisor, reason="誤登録")
    with pytest.raises(ValidationError, match="already revoked"):
        revoke_dnc(entry=entry, by=supervisor, reason="again")
    assert AuditEvent.objects.filter(action="dnc.revoke").count() == 1


def test_register_records_who_what_and_normalizes_the_number(supervisor):
    entry = register_dnc(
        by=supervisor,
        phone="（０９０）１２３４－５６７８",
        reason=DoNotCall.Reason.COMPLAINT,
        source=DoNotCall.Source.INBOUND,
        note="強い口調で拒否",
    )
    assert entry.phone_number == "+819012345678"
    assert entry.created_by == supervisor
    event = AuditEvent.objects.get(action="dnc.create")
    assert event.actor == supervisor and event.object_id == str(entry.pk)
    assert event.data["phone_number"] == "+819012345678" and event.data["reason"] == "complaint"


def test_registering_the_same_active_entry_again_returns_it(supervisor):
    first = register_dnc(by=supervisor, phone="090-1234-5678", reason=REQUEST, source=SUPERVISOR_SOURCE)
    again = register_dnc(by=supervisor, phone="09012345678", reason=REQUEST, source=SUPERVISOR_SOURCE)
    assert again.pk == first.pk
    assert DoNotCall.objects.count() == 1
    revoke_dnc(entry=first, by=supervisor, reason="解除")
    renewed = register_dnc(by=supervisor, phone="09012345678", reason=REQUEST, source=SUPERVISOR_SOURCE)
    assert renewed.pk != first.pk and DoNotCall.objects.count() == 2


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({}, None),
        ({"phone": "abc"}, "phone"),
        ({"phone": "090-1234-5678", "reason": "bored"}, "reason"),
        ({"phone": "090-1234-5678", "source": "psychic"}, "source"),
    ],
)
def test_register_rejects_bad_input(supervisor, kwargs, field):
    arguments = {"reason": REQUEST, "source": SUPERVISOR_SOURCE, **kwargs}
    with pytest.raises(ValidationError) as error:
        register_dnc(by=supervisor, **arguments)
    if field:
        assert field in error.value.message_dict
    assert DoNotCall.objects.count() == 0


def test_entries_cannot_be_deleted_in_the_admin():
    from django.contrib.admin.sites import site

    assert site._registry[DoNotCall].has_delete_permission(request=None) is False


@pytest.mark.django_db
def test_the_admin_can_neither_add_nor_change_entries(login, admin_user):
    """Every change to the registry goes through register_dnc / revoke_dnc, which audit who and
    when (rule 6). The admin's forms would let anyone with admin access move an entry's expiry into
    the past or change its number without a trace, silently undoing an opt-out (rule 1)."""
    from django.urls import reverse

    entry = DoNotCallFactory(phone_number="+819011112222")
    client = login(admin_user)
    change_url = reverse("admin:contacts_donotcall_change", args=[entry.pk])
    assert client.get(change_url).status_code == 200  # still readable
    form = {
        "phone_number": "+819099999999",
        "customer": "",
        "campaign": "",
        "reason": entry.reason,
        "source": entry.source,
        "note": "",
        "expires_at_0": "2001-01-01",
        "expires_at_1": "00:00:00",
    }
    assert client.post(change_url, form).status_code == 403
    entry.refresh_from_db()
    assert (entry.phone_number, entry.expires_at) == ("+819011112222", None)
    assert is_blocked(phone="+819011112222")
    assert client.post(reverse("admin:contacts_donotcall_add"), form).status_code == 403
    assert DoNotCall.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_revoking_the_same_entry_at_once_revoke_it_once(reference_data):
    from conftest import make_user

    first, second = make_user("sv_a", "supervisor"), make_user("sv_b", "supervisor")
    entry = DoNotCallFactory()

    def revoke(user):
        try:
            revoke_dnc(entry=entry, by=user, reason=f"by {user.username}")
            return "revoked"
        except ValidationError:
            return "refused"

    outcomes = race([lambda: revoke(first), lambda: revoke(second)])
    assert sorted(outcomes) == ["refused", "revoked"]
    assert AuditEvent.objects.filter(action="dnc.revoke").count() == 1
    entry.refresh_from_db()
    assert entry.revoke_reason in ("by sv_a", "by sv_b")


@pytest.mark.django_db(transaction=True)
def test_the_same_registration_sent_twice_at_once_adds_one_entry(reference_data, monkeypatch):
    """A double click or a retried API call racing itself: the second request waits for the
    first and returns its entry. The pause between the check and the insert makes the race
    certain; without the lock both requests would insert."""
    import time

    from conftest import make_user

    user = make_user("sv_race", "supervisor")
    create = DoNotCall.objects.create

    def slow_create(**kwargs):
        time.sleep(0.3)
        return create(**kwargs)

    monkeypatch.setattr(DoNotCall.objects, "create", slow_create)

    def register():
        return register_dnc(by=user, phone="090-1111-2222", reason="customer_request", source="api").pk

    entries = race([register] * 4)
    errors = [result for result in entries if isinstance(result, Exception)]
    assert not errors
    assert len(entries) == 4 and len(set(entries)) == 1
    assert DoNotCall.objects.filter(phone_number="+819011112222").count() == 1
    assert AuditEvent.objects.filter(action="dnc.create").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_entry_committed_by_another_session_blocks_immediately(reference_data):
    """No cache between the registry and the check: a request registered by someone else is
    honoured by the very next check (what dispatch does right before handing out a call)."""
    from conftest import make_user

    customer = CustomerFactory()
    supervisor = make_user("sv_c", "supervisor")
    assert not is_blocked(customer=customer)

    def register():
        return register_dnc(by=supervisor, customer=customer.pk, reason=REQUEST, source=SUPERVISOR_SOURCE)

    with another_transaction(register):
        assert not is_blocked(customer=customer)  # not committed yet
    assert is_blocked(customer=customer)


def test_the_set_form_of_the_rule_agrees_with_the_per_row_form(supervisor):
    """BLOCKED_CUSTOMERS_SQL (the hashed set list builds use) and ACTIVE_DNC_SQL (index probes
    per row, dispatch) on a mix
    of number, customer, shared-number, campaign, expired and revoked entries."""
    summer = campaign("夏")
    shared_a = CustomerFactory(phones=["03-1111-2222", "090-1000-0001"])
    shared_b = CustomerFactory(phones=["090-1000-0002", "03-1111-2222"])
    by_number = CustomerFactory(phones=["090-1000-0003"])
    by_customer = CustomerFactory(phones=["090-1000-0004", "090-1000-0005"])
    in_summer = CustomerFactory(phones=["090-1000-0006"])
    expired = CustomerFactory(phones=["090-1000-0007"])
    CustomerFactory(phones=["090-1000-0008"])  # revoked
    CustomerFactory(phones=["090-1000-0009"])
    CustomerFactory(phone=False)
    now = timezone.now()
    register_dnc(by=supervisor, customer=shared_a, reason=REQUEST, source=SUPERVISOR_SOURCE)
    register_dnc(by=supervisor, phone="090-1000-0003", reason=REQUEST, source=SUPERVISOR_SOURCE)
    register_dnc(by=supervisor, customer=by_customer, reason=REQUEST, source=SUPERVISOR_SOURCE)
    register_dnc(by=supervisor, customer=in_summer, campaign=summer, reason=REQUEST, source=SUPERVISOR_SOURCE)
    register_dnc(
        by=supervisor,
        customer=expired,
        reason=REQUEST,
        source=SUPERVISOR_SOURCE,
        expires_at=now + datetime.timedelta(hours=1),
    )
    entry = register_dnc(by=supervisor, phone="090-1000-0008", reason=REQUEST, source=SUPERVISOR_SOURCE)
    revoke_dnc(entry=entry, by=supervisor, reason="解除")

    later = now + datetime.timedelta(hours=2)
    always = {shared_a.pk, shared_b.pk, by_number.pk, by_customer.pk}
    for scope, at, expected in [
        (None, now, always | {expired.pk}),
        (summer, now, always | {expired.pk, in_summer.pk}),
        (summer, later, always | {in_summer.pk}),
    ]:
        assert_all_forms_agree(expected, campaign=scope, at=at)


# ---------------------------------------------------------------- one "already registered" rule

IN_DAYS = {5: 5, 10: 10, 20: 20, "past": -1}


def _expiry(days):
    """A whole minute, so the import's file (local time, minutes) and register_dnc get the same instant."""
    if days is None:
        return None
    at = timezone.localtime() + datetime.timedelta(days=IN_DAYS[days])
    return at.replace(second=0, microsecond=0)


@pytest.mark.parametrize(
    "existing, request_, already_registered",
    [
        ({}, {}, True),
        ({}, {"campaign": True}, False),  # a global entry does not register a campaign's
        ({"campaign": True}, {}, False),  # nor a campaign's entry a global one
        ({"campaign": True}, {"campaign": True}, True),
        ({}, {"expires": 5}, True),  # for good lasts longer than any expiry
        ({"expires": 10}, {}, False),
        ({"expires": 10}, {"expires": 5}, True),
        ({"expires": 10}, {"expires": 20}, False),
        ({"expires": "past"}, {}, False),
        ({"revoked": True}, {}, False),
        ({"customer": True, "phone": False}, {"customer": True, "phone": False}, True),
        ({"customer": True, "phone": False}, {}, False),  # the customer's entry is not the number's
        ({"customer": True}, {"customer": True}, True),
        ({"customer": True}, {}, False),
        ({}, {"customer": True}, False),
    ],
)
def test_register_dnc_and_the_dnc_import_agree_on_what_is_already_registered(
    supervisor, settings, tmp_path, existing, request_, already_registered
):
    from django.db import transaction

    from contacts.tests.factories_imports import csv_file, run_import

    settings.MEDIA_ROOT = str(tmp_path)
    customer = CustomerFactory(external_id="C1", phone=False)
    scope = campaign("春の再購入")
    number = "+819012345678"

    def add_existing():
        DoNotCallFactory(
            phone_number=number if existing.get("phone", True) else "",
            customer=customer if existing.get("customer") else None,
            campaign=scope if existing.get("campaign") else None,
            expires_at=_expiry(existing.get("expires")),
            revoked_at=timezone.now() if existing.get("revoked") else None,
        )

    phone = "090-1234-5678" if request_.get("phone", True) else ""
    expires_at = _expiry(request_.get("expires"))

    def added_by_register_dnc() -> int:
        with transaction.atomic():
            add_existing()
            before = DoNotCall.objects.count()
            register_dnc(
                by=supervisor,
                phone=phone,
                customer=customer if request_.get("customer") else None,
                campaign=scope if request_.get("campaign") else None,
                expires_at=expires_at,
                reason=REQUEST,
                source=SUPERVISOR_SOURCE,
            )
            added = DoNotCall.objects.count() - before
            transaction.set_rollback(True)
        return added

    def added_by_import() -> int:
        row = [
            phone,
            "C1" if request_.get("customer") else "",
            timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M") if expires_at else "",
        ]
        with transaction.atomic():
            add_existing()
            job = run_import(
                supervisor,
                csv_file([["電話番号", "顧客ID", "有効期限"], row], name="dnc.csv"),
                kind="dnc",
                campaign_id=scope.pk if request_.get("campaign") else None,
            )
            assert job.failed_count == 0, list(job.row_errors.values_list("message", flat=True))
            added = job.created_count
            transaction.set_rollback(True)
        return added

    expected = 0 if already_registered else 1
    assert (added_by_register_dnc(), added_by_import()) == (expected, expected)


# ---------------------------------------------------------------- registering while a revocation commits


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_registered_while_the_same_entry_is_being_revoked_is_not_lost(reference_data):
    """A supervisor revokes an old entry for a number while the customer, on the phone, asks again
    not to be called. The new request must not be answered with the entry being revoked: once
    both have committed, the number is still blocked. (The revocation is held open until the
    registration waits for it, so the interleaving is certain.)"""
    from conftest import make_user

    supervisor, operator = make_user("sv_revoke", "supervisor"), make_user("op_request", "operator")
    old = DoNotCallFactory(phone_number="+819033334444")

    def revoke():
        return revoke_dnc(entry=old, by=supervisor, reason="entered by mistake")

    with another_transaction(revoke, commit_once_waited_on=True):
        new = register_dnc(by=operator, phone="090-3333-4444", reason=REQUEST, source=DoNotCall.Source.OPERATOR)

    assert new.pk != old.pk
    assert is_blocked(phone="+819033334444")
    assert DoNotCall.objects.filter(phone_number="+819033334444", revoked_at=None).count() == 1
