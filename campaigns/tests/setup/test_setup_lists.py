"""Building call lists: every exclusion reason, ordering, counts, the DNC re-check, recycle."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.models import CallAttempt, CallList, CallListEntry, Disposition
from campaigns.services.lists import (
    BuildSpec,
    ListError,
    change_list_status,
    create_call_list,
    preview_call_list,
    recycle_call_list,
    request_call_list,
    run_call_list_build,
)
from campaigns.tests.factories import (
    CallingPolicyFactory,
    CallListEntryFactory,
    CallListFactory,
    CampaignFactory,
    PreNoticeFactory,
)
from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory

pytestmark = pytest.mark.django_db

VIP = {"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]}


def vip(**kwargs):
    return CustomerFactory(tags=["vip"], **kwargs)


def attempt(*, customer, campaign, code, days_ago=1, at=None):
    started = (at or timezone.now()) - datetime.timedelta(days=days_ago)
    return CallAttempt.objects.create(
        campaign=campaign,
        customer=customer,
        phone="+819000000000",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=1),
        disposition=Disposition.objects.get(code=code),
    )


def build(campaign, *, by=None, criteria=VIP, **kwargs):
    call_list = create_call_list(campaign=campaign, name=kwargs.pop("name", "list"), by=by, criteria=criteria, **kwargs)
    return run_call_list_build(call_list_id=call_list.pk)


def listed(call_list):
    return set(call_list.entries.values_list("customer_id", flat=True))


@pytest.fixture
def campaign(reference_data):
    return CampaignFactory(policy=CallingPolicyFactory())


def test_build_snapshots_the_segment_with_phone_rank_and_counts(campaign, supervisor):
    recent = vip(last_purchase_at=timezone.now() - datetime.timedelta(days=1))
    older = vip(last_purchase_at=timezone.now() - datetime.timedelta(days=30))
    never = vip()
    CustomerFactory(tags=["regular"])  # not in the segment
    segment = SegmentFactory(criteria=VIP)
    call_list = request_call_list(campaign=campaign, name="VIP", by=supervisor, segment=segment)
    assert call_list.status == CallList.Status.READY
    entries = list(call_list.entries.order_by("rank"))
    assert [e.customer_id for e in entries] == [recent.pk, older.pk, never.pk]
    assert [e.rank for e in entries] == [1, 2, 3]
    assert entries[0].phone == recent.phones.get().number
    assert all(e.status == CallListEntry.Status.PENDING and e.next_attempt_at == call_list.built_at for e in entries)
    assert call_list.counts["matched"] == 3
    assert call_list.counts["included"] == 3
    assert set(call_list.counts["excluded"]) == {
        "dnc",
        "no_phone",
        "cap",
        "cooloff",
        "refused_before",
        "duplicate",
        "in_other_list",
        "prenotice",
    }
    assert sum(call_list.counts["excluded"].values()) == 0
    assert AuditEvent.objects.filter(action="list.built", object_id=str(call_list.pk)).exists()
    # Customers added to the segment later do not join the snapshot.
    vip()
    assert call_list.entries.count() == 3


def test_active_dnc_in_scope_excludes_by_number_or_customer(campaign):
    by_number, by_customer, scoped, other_scope, revoked, expired, kept = (vip() for _ in range(7))
    DoNotCallFactory(phone_number=by_number.phones.get().number)
    DoNotCallFactory(customer=by_customer, phone_number="")
    DoNotCallFactory(customer=scoped, phone_number="", campaign=campaign)
    DoNotCallFactory(customer=other_scope, phone_number="", campaign=CampaignFactory())
    DoNotCallFactory(customer=revoked, phone_number="", revoked_at=timezone.now())
    DoNotCallFactory(customer=expired, phone_number="", expires_at=timezone.now() - datetime.timedelta(hours=1))
    call_list = build(campaign)
    assert listed(call_list) == {other_scope.pk, revoked.pk, expired.pk, kept.pk}
    assert call_list.counts["excluded"]["dnc"] == 3


def test_dnc_on_a_second_number_blocks_the_customer(campaign):
    vip(phones=["090-1111-2222", "03-1234-5678"])
    DoNotCallFactory(phone_number="+81312345678")
    call_list = build(campaign)
    assert listed(call_list) == set()
    assert call_list.counts["excluded"]["dnc"] == 1


def test_customers_without_a_valid_number_are_excluded(campaign):
    no_phone = vip(phone=False)
    invalid = vip(phone="12")
    assert not invalid.phones.get().is_valid
    kept = vip()
    call_list = build(campaign)
    assert listed(call_list) == {kept.pk}
    assert call_list.counts["excluded"]["no_phone"] == 2
    assert no_phone.pk not in listed(call_list)


def test_an_imported_unusable_number_is_kept_but_never_dialed(campaign, supervisor, settings, tmp_path):
    """An import keeps an unusable number as entered, marked invalid: the list dials the
    customer's valid number instead, and a customer with no valid number is not listed."""
    from contacts.models import Customer
    from contacts.tests.factories_imports import csv_file, run_import

    settings.MEDIA_ROOT = str(tmp_path)
    rows = [
        ["顧客ID", "氏名", "電話番号", "携帯電話", "タグ"],
        ["I001", "山田 太郎", "03-12", "090-1111-2222", "vip"],
        ["I002", "佐藤 花子", "12345", "", "vip"],
    ]
    job = run_import(supervisor, csv_file(rows))
    assert (job.created_count, job.row_errors.count()) == (2, 2)
    with_valid, without = Customer.objects.get(external_id="I001"), Customer.objects.get(external_id="I002")
    assert without.phones.get().raw == "12345" and not without.phones.get().is_valid
    call_list = build(campaign)
    assert listed(call_list) == {with_valid.pk}
    assert call_list.entries.get().phone == "+819011112222"
    assert call_list.counts["excluded"]["no_phone"] == 1


def test_the_valid_primary_number_is_dialed(campaign):
    customer = vip(phones=["03-1234-5678", "090-1111-2222"])
    call_list = build(campaign)
    assert call_list.entries.get().phone == "+81312345678"
    customer.phones.filter(number="+81312345678").update(is_valid=False)
    second = build(CampaignFactory(policy=campaign.policy))
    assert second.entries.get().phone == "+819011112222"


def test_cross_campaign_cap_counts_attempts_in_every_campaign(reference_data):
    policy = CallingPolicyFactory(cap_attempts=3, cap_days=7)
    campaign, other = CampaignFactory(policy=policy), CampaignFactory(policy=policy)
    capped, under, old = vip(), vip(), vip()
    for days_ago, target in ((1, campaign), (2, other), (3, other)):
        attempt(customer=capped, campaign=target, code="no_answer", days_ago=days_ago)
    for days_ago in (1, 2):
        attempt(customer=under, campaign=other, code="no_answer", days_ago=days_ago)
    for days_ago in (8, 9, 10):
        attempt(customer=old, campaign=other, code="no_answer", days_ago=days_ago)
    call_list = build(campaign)
    assert listed(call_list) == {under.pk, old.pk}
    assert call_list.counts["excluded"]["cap"] == 1


def test_cooling_off_after_a_conversation_in_any_campaign(reference_data):
    policy = CallingPolicyFactory(cooloff_days_after_contact=7)
    campaign, other = CampaignFactory(policy=policy), CampaignFactory(policy=policy)
    talked, no_answer, long_ago = vip(), vip(), vip()
    attempt(customer=talked, campaign=other, code="success", days_ago=3)
    attempt(customer=no_answer, campaign=other, code="no_answer", days_ago=1)
    attempt(customer=long_ago, campaign=other, code="success", days_ago=8)
    call_list = build(campaign)
    assert listed(call_list) == {no_answer.pk, long_ago.pk}
    assert call_list.counts["excluded"]["cooloff"] == 1


def test_cap_and_cool_off_windows_of_the_build_span_the_full_days(reference_data):
    """Calls just inside the 7 rolling days still count at build time; just outside they do not."""
    policy = CallingPolicyFactory(cap_attempts=2, cap_days=7, cooloff_days_after_contact=7)
    campaign, other = CampaignFactory(policy=policy), CampaignFactory(policy=policy)
    capped, talked, free = vip(), vip(), vip()
    attempt(customer=capped, campaign=other, code="no_answer", days_ago=6.9)
    attempt(customer=capped, campaign=other, code="no_answer", days_ago=1)
    attempt(customer=talked, campaign=other, code="success", days_ago=6.9)
    attempt(customer=free, campaign=other, code="success", days_ago=7.1)
    attempt(customer=free, campaign=other, code="no_answer", days_ago=7.1)
    call_list = build(campaign)
    assert listed(call_list) == {free.pk}
    assert call_list.counts["excluded"]["cap"] == 1
    assert call_list.counts["excluded"]["cooloff"] == 1


def test_a_refused_customer_never_enters_the_same_campaigns_new_lists(campaign):
    refused, dnc_requested, busy = vip(), vip(), vip()
    attempt(customer=refused, campaign=campaign, code="refused", days_ago=300)
    attempt(customer=dnc_requested, campaign=campaign, code="dnc_request", days_ago=300)
    attempt(customer=busy, campaign=campaign, code="callback", days_ago=300)
    call_list = build(campaign)
    assert listed(call_list) == {busy.pk}
    assert call_list.counts["excluded"]["refused_before"] == 2
    # Another campaign may still call them (the rule is per campaign, as 特定商取引法 Art. 17).
    other = build(CampaignFactory(policy=campaign.policy))
    assert listed(other) == {refused.pk, dnc_requested.pk, busy.pk}


def test_without_the_resolicitation_rule_refusals_are_not_excluded(reference_data):
    campaign = CampaignFactory(policy=CallingPolicyFactory(no_resolicit_after_refusal=False))
    refused = vip()
    attempt(customer=refused, campaign=campaign, code="refused")
    assert listed(build(campaign)) == {refused.pk}


def test_two_customers_sharing_a_number_are_called_once(campaign):
    rich = vip(phone="03-1111-2222", total_spent=Decimal(90000))
    poor = vip(phone="03-1111-2222", total_spent=Decimal(100))
    other = vip()
    call_list = build(campaign, order_by=CallList.Order.HIGHEST_SPEND)
    assert listed(call_list) == {rich.pk, other.pk}
    assert call_list.counts["excluded"]["duplicate"] == 1
    assert poor.pk not in listed(call_list)


def test_customers_in_another_open_list_of_the_campaign_are_excluded(campaign):
    in_open, in_closed, in_other_campaign, fresh = vip(), vip(), vip(), vip()
    CallListEntryFactory(call_list=CallListFactory(campaign=campaign), customer=in_open)
    CallListEntryFactory(
        call_list=CallListFactory(campaign=campaign, status=CallList.Status.CLOSED), customer=in_closed
    )
    CallListEntryFactory(call_list=CallListFactory(), customer=in_other_campaign)
    call_list = build(campaign)
    assert listed(call_list) == {in_closed.pk, in_other_campaign.pk, fresh.pk}
    assert call_list.counts["excluded"]["in_other_list"] == 1


def test_prenotice_must_exist_and_be_old_enough(reference_data):
    campaign = CampaignFactory(policy=CallingPolicyFactory(), prenotice_days=5)
    today = timezone.localdate()
    old_enough, too_recent, _missing, other_campaign = vip(), vip(), vip(), vip()
    PreNoticeFactory(campaign=campaign, customer=old_enough, sent_on=today - datetime.timedelta(days=5))
    PreNoticeFactory(campaign=campaign, customer=too_recent, sent_on=today - datetime.timedelta(days=4))
    PreNoticeFactory(customer=other_campaign, sent_on=today - datetime.timedelta(days=30))
    call_list = build(campaign)
    assert listed(call_list) == {old_enough.pk}
    assert call_list.counts["excluded"]["prenotice"] == 3


def test_each_customer_is_counted_once_so_the_figures_add_up(reference_data):
    policy = CallingPolicyFactory(cap_attempts=1, cap_days=7, cooloff_days_after_contact=7)
    campaign = CampaignFactory(policy=policy)
    both = vip()  # DNC and over the cap: counted under DNC only
    DoNotCallFactory(customer=both, phone_number="")
    attempt(customer=both, campaign=campaign, code="success")
    vip(), vip(phone=False)
    call_list = build(campaign)
    counts = call_list.counts
    assert counts["excluded"]["dnc"] == 1 and counts["excluded"]["cap"] == 0 and counts["excluded"]["cooloff"] == 0
    assert counts["matched"] == counts["included"] + sum(counts["excluded"].values()) == 3


def test_preview_counts_what_the_build_will_do_and_writes_nothing(campaign):
    _kept, blocked = vip(), vip()
    vip(phone=False)
    DoNotCallFactory(customer=blocked, phone_number="")
    preview = preview_call_list(spec=BuildSpec(campaign=campaign, criteria=VIP))
    assert preview["matched"] == 3 and preview["included"] == 1
    assert preview["excluded"]["dnc"] == 1 and preview["excluded"]["no_phone"] == 1
    assert not CallListEntry.objects.exists() and not CallList.objects.exists()
    call_list = build(campaign)
    assert {k: call_list.counts[k] for k in ("matched", "included", "excluded")} == preview


def test_dnc_added_after_the_preview_is_honoured_by_the_build(campaign, supervisor):
    customer, other = vip(), vip()
    assert preview_call_list(spec=BuildSpec(campaign=campaign, criteria=VIP))["included"] == 2
    call_list = create_call_list(campaign=campaign, name="queued", by=supervisor, criteria=VIP)
    # The request is queued; the customer opts out before the worker runs it.
    DoNotCallFactory(phone_number=customer.phones.get().number)
    call_list = run_call_list_build(call_list_id=call_list.pk)
    assert listed(call_list) == {other.pk}
    assert call_list.counts["excluded"]["dnc"] == 1


def test_order_by_a_numeric_attribute_puts_unknown_values_last(campaign):
    low = vip(attributes={"churn_score": 0.2})
    high = vip(attributes={"churn_score": 0.9})
    text = vip(attributes={"churn_score": "high"})
    missing = vip()
    call_list = build(campaign, order_by=CallList.Order.ATTRIBUTE, order_attribute="churn_score")
    ranked = list(call_list.entries.order_by("rank").values_list("customer_id", flat=True))
    assert ranked[:2] == [high.pk, low.pk]
    assert set(ranked[2:]) == {text.pk, missing.pk}


def test_the_build_is_one_set_based_statement_whatever_the_size(campaign):
    """The entries go in with one INSERT … SELECT (anti-joins for the rules), not a statement
    per customer: the same statements for 3 customers as for 30."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def build_statements(n):
        CallListEntry.objects.all().delete()
        CallList.objects.all().delete()
        for _ in range(n):
            vip()
        call_list = create_call_list(campaign=campaign, name=f"{n}", by=None, criteria=VIP)
        with CaptureQueriesContext(connection) as queries:
            call_list = run_call_list_build(call_list_id=call_list.pk)
        assert call_list.counts["included"] == call_list.entries.count()
        return [q["sql"] for q in queries.captured_queries]

    few = build_statements(3)
    inserts = [sql for sql in few if "INSERT INTO campaigns_calllistentry" in sql]
    assert len(inserts) == 1 and "SELECT" in inserts[0] and "LEFT JOIN rule_dnc" in inserts[0]
    assert len(build_statements(30)) == len(few)


def test_highest_spend_and_longest_since_purchase_orders(campaign):
    """The orders a supervisor picks at build time become the rank dispatch follows; ties go to
    the lower customer id, customers never seen buying go last."""
    now = timezone.now()
    small = vip(total_spent=Decimal(5_000), last_purchase_at=now - datetime.timedelta(days=3))
    big = vip(total_spent=Decimal(120_000), last_purchase_at=now - datetime.timedelta(days=1))
    tie = vip(total_spent=Decimal(5_000), last_purchase_at=now - datetime.timedelta(days=400))
    never = vip()
    by_spend = build(campaign, name="spend", order_by=CallList.Order.HIGHEST_SPEND)
    assert list(by_spend.entries.order_by("rank").values_list("customer_id", flat=True)) == [
        big.pk,
        small.pk,
        tie.pk,
        never.pk,
    ]
    change_list_status(call_list=by_spend, action="close", by=None)
    dormant_first = build(campaign, name="dormant", order_by=CallList.Order.OLDEST_PURCHASE)
    assert list(dormant_first.entries.order_by("rank").values_list("customer_id", flat=True)) == [
        tie.pk,
        small.pk,
        big.pk,
        never.pk,
    ]


def test_bad_requests_are_refused_with_a_reason(campaign, supervisor):
    with pytest.raises(ListError):
        create_call_list(
            campaign=campaign,
            name="x",
            by=supervisor,
            criteria=VIP,
            order_by=CallList.Order.ATTRIBUTE,
            order_attribute="bad\tkey",
        )
    with pytest.raises(ValidationError):
        create_call_list(
            campaign=campaign,
            name="x",
            by=supervisor,
            criteria={"match": "all", "rules": [{"field": "nope", "op": "eq", "value": 1}]},
        )
    campaign.status = "finished"
    campaign.save()
    with pytest.raises(ListError):
        create_call_list(campaign=campaign, name="x", by=supervisor, criteria=VIP)
    assert not CallList.objects.exists()


def test_a_built_list_is_not_built_twice(campaign):
    vip()
    call_list = build(campaign)
    assert run_call_list_build(call_list_id=call_list.pk).entries.count() == 1


def test_pause_resume_and_close(campaign, supervisor):
    vip()
    call_list = build(campaign)
    assert change_list_status(call_list=call_list, action="pause", by=supervisor).status == "paused"
    assert change_list_status(call_list=call_list, action="resume", by=supervisor).status == "ready"
    closed = change_list_status(call_list=call_list, action="close", by=supervisor)
    assert closed.status == "closed"
    assert set(closed.entries.values_list("status", flat=True)) == {"cancelled"}
    with pytest.raises(ListError):
        change_list_status(call_list=call_list, action="resume", by=supervisor)


# ---------------------------------------------------------------- recycle


def finish_entry(entry, code, *, attempts=6):
    entry.status = CallListEntry.Status.EXHAUSTED if code in ("no_answer", "busy") else CallListEntry.Status.DONE
    entry.last_disposition = Disposition.objects.get(code=code)
    entry.attempts = attempts
    entry.save()
    attempt(customer=entry.customer, campaign=entry.campaign, code=code, days_ago=10)
    return entry


def test_recycle_resets_chosen_outcomes_and_never_revives_dnc_or_refusals(campaign, supervisor):
    call_list = CallListFactory(campaign=campaign)
    no_answer = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "no_answer")
    busy = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "busy")
    opted_out = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "no_answer")
    DoNotCallFactory(customer=opted_out.customer, phone_number="")
    # Refused on an earlier list of the campaign; this entry ended "no answer".
    refused_elsewhere = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "no_answer")
    attempt(customer=refused_elsewhere.customer, campaign=campaign, code="refused", days_ago=40)
    success = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "success")

    result = recycle_call_list(call_list=call_list, disposition_codes=["no_answer"], by=supervisor)
    assert result == {"reset": 1, "skipped": {"dnc": 1, "refused_before": 1}}
    no_answer.refresh_from_db()
    assert no_answer.status == "pending" and no_answer.attempts == 0
    for entry, status in (
        (busy, "exhausted"),
        (opted_out, "blocked"),
        (refused_elsewhere, "exhausted"),
        (success, "done"),
    ):
        entry.refresh_from_db()
        assert entry.status == status
    # Recycling again never brings the DNC'd customer back.
    result = recycle_call_list(call_list=call_list, disposition_codes=["no_answer", "busy"], by=supervisor)
    assert result["reset"] == 1
    opted_out.refresh_from_db()
    assert opted_out.status == "blocked"
    assert AuditEvent.objects.filter(action="list.recycled").count() == 2


def test_refusal_outcomes_cannot_be_recycled(campaign, supervisor):
    call_list = CallListFactory(campaign=campaign)
    entry = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "refused")
    for codes in (["refused"], ["dnc_request"], []):
        with pytest.raises(ListError):
            recycle_call_list(call_list=call_list, disposition_codes=codes, by=supervisor)
    entry.refresh_from_db()
    assert entry.status == "done"


def test_recycle_respects_the_cap_and_cooloff(reference_data, supervisor):
    policy = CallingPolicyFactory(cap_attempts=2, cap_days=7, cooloff_days_after_contact=7)
    campaign = CampaignFactory(policy=policy)
    call_list = CallListFactory(campaign=campaign)
    capped = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "no_answer")
    attempt(customer=capped.customer, campaign=CampaignFactory(policy=policy), code="no_answer", days_ago=1)
    attempt(customer=capped.customer, campaign=campaign, code="no_answer", days_ago=2)
    talked = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "no_answer")
    attempt(customer=talked.customer, campaign=CampaignFactory(policy=policy), code="success", days_ago=2)
    fine = finish_entry(CallListEntryFactory(call_list=call_list, customer=vip()), "no_answer")
    result = recycle_call_list(call_list=call_list, disposition_codes=["no_answer"], by=supervisor)
    assert result == {"reset": 1, "skipped": {"cap": 1, "cooloff": 1}}
    fine.refresh_from_db()
    assert fine.status == "pending"


def test_the_set_based_dnc_check_agrees_with_the_registry_rule(campaign):
    """blocked_customers_sql (used by builds and recycles) says what dnc.is_blocked says."""
    from django.db import connection

    from campaigns.services.lists import blocked_customers_sql
    from contacts.services.dnc import is_blocked

    other = CampaignFactory()
    now = timezone.now()
    cases = {
        "by_number": lambda c: DoNotCallFactory(phone_number=c.phones.get().number),
        "by_customer": lambda c: DoNotCallFactory(customer=c, phone_number=""),
        "this_campaign": lambda c: DoNotCallFactory(customer=c, phone_number="", campaign=campaign),
        "other_campaign": lambda c: DoNotCallFactory(customer=c, phone_number="", campaign=other),
        "revoked": lambda c: DoNotCallFactory(phone_number=c.phones.get().number, revoked_at=now),
        "expired": lambda c: DoNotCallFactory(
            customer=c, phone_number="", expires_at=now - datetime.timedelta(minutes=1)
        ),
        "expires_later": lambda c: DoNotCallFactory(
            customer=c, phone_number="", expires_at=now + datetime.timedelta(days=1)
        ),
        "number_and_other_customer": lambda c: DoNotCallFactory(
            phone_number=c.phones.get().number, customer=CustomerFactory()
        ),
        "nothing": lambda c: None,
    }
    customers = {}
    for name, register in cases.items():
        customers[name] = CustomerFactory()
        register(customers[name])
    second_number = CustomerFactory(phones=["090-5555-6666", "03-5555-6666"])
    DoNotCallFactory(phone_number="+81355556666")
    customers["second_number"] = second_number
    # A family landline: the mother opted out as a customer, so her number is off limits for the
    # son who shares it too.
    mother = CustomerFactory(phones=["03-7777-8888"])
    DoNotCallFactory(customer=mother, phone_number="")
    customers["shares_number_with_opted_out"] = CustomerFactory(phones=["03-7777-8888"])
    with connection.cursor() as cursor:
        cursor.execute(blocked_customers_sql(campaign_id=campaign.pk, at=now).replace("%%", "%"))
        blocked = {row[0] for row in cursor.fetchall()}
    for name, customer in customers.items():
        assert (customer.pk in blocked) == is_blocked(customer=customer, campaign=campaign, at=now), name
    assert blocked & {c.pk for c in customers.values()} == {
        customers[n].pk
        for n in (
            "by_number",
            "by_customer",
            "this_campaign",
            "expires_later",
            "number_and_other_customer",
            "second_number",
            "shares_number_with_opted_out",
        )
    }


def test_a_failed_build_is_marked_failed_with_the_reason(campaign, supervisor, monkeypatch, login):
    from django.urls import reverse

    import campaigns.services.lists as lists

    vip()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lists, "_insert_entries", broken)
    call_list = request_call_list(campaign=campaign, name="broken", by=supervisor, criteria=VIP)
    assert call_list.status == CallList.Status.FAILED and "disk full" in call_list.message
    assert not CallListEntry.objects.exists()
    page = login(supervisor).get(reverse("campaigns:list_detail", args=[call_list.pk])).content.decode()
    assert 'data-testid="build-failed"' in page and "disk full" in page
