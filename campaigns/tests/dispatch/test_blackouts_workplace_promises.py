"""Blackout dates, the workplace rule and promises to pay, at every moment they are checked:
dispatch (the claim), retry scheduling, callbacks and the console's reasons. Each test would fail
if its rule were dropped."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from campaigns.models import CallAttempt, CallListEntry, Debt, Disposition
from campaigns.selectors.console import explain_no_call
from campaigns.services import debts, scheduling
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.services.policies import policy_problems
from campaigns.tests.factories_console import TOKYO, WEDNESDAY_2PM, entry, japan_standard, ready_list, working_campaign
from conftest import race
from contacts.models import PhoneNumber
from contacts.tests.factories import CustomerFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db
NOW = WEDNESDAY_2PM  # Wednesday 2026-11-25 14:00 Tokyo
Status = CallListEntry.Status
YEAR_END = {"from": "12-29", "to": "01-03", "label": "年末年始"}


def jst(*args):
    return dt.datetime(*args, tzinfo=TOKYO)


def unsaved_policy(**fields):
    from campaigns.models import CallingPolicy

    values = dict(
        call_window_start=dt.time(9, 0),
        call_window_end=dt.time(20, 0),
        weekdays=[0, 1, 2, 3, 4, 5],
        skip_holidays=True,
        holiday_country="JP",
        max_attempts=6,
        max_attempts_per_day=2,
        min_gap_minutes=120,
    )
    values.update(fields)
    return CallingPolicy(**values)


def earliest(at, **fields):
    return scheduling.earliest_allowed_time(
        policy=unsaved_policy(**fields), zone_name="Asia/Tokyo", earliest=at, history=scheduling.CallHistory()
    )


# ------------------------------------------------------------------ blackout dates


def test_a_yearly_blackout_over_the_new_year_is_skipped_by_the_scheduler():
    # Monday 28 Dec evening: 29 Dec - 3 Jan are off, 4 Jan 2027 is a Monday and no holiday.
    assert earliest(jst(2026, 12, 28, 20, 30), blackout_dates=[YEAR_END]) == jst(2027, 1, 4, 9, 0)
    # Without it, Tuesday 29 Dec is an ordinary day.
    assert earliest(jst(2026, 12, 28, 20, 30)) == jst(2026, 12, 29, 9, 0)


def test_a_one_off_blackout_and_a_yearly_one_inside_the_year():
    closure = {"from": "2026-11-25", "to": "2026-11-25", "label": "創立記念日"}
    assert earliest(NOW, blackout_dates=[closure]) == jst(2026, 11, 26, 9, 0)
    obon = {"from": "08-13", "to": "08-16", "label": "お盆"}
    assert earliest(jst(2027, 8, 12, 20, 0), blackout_dates=[obon]) == jst(2027, 8, 17, 9, 0)
    assert earliest(jst(2028, 8, 12, 20, 0), blackout_dates=[obon]) == jst(2028, 8, 17, 9, 0)  # every year


def test_dispatch_skips_a_blackout_day_and_says_why(operator):
    policy = japan_standard(blackout_dates=[{"from": "11-25", "to": "11-25", "label": "社内研修日"}])
    call_list = ready_list(working_campaign(operators=[operator], policy=policy))
    one = entry(call_list)
    assert dispatch_next(operator=operator, now=NOW) is None
    reason = explain_no_call(operator=operator, now=NOW)
    assert reason.code == "outside_hours" and "社内研修日" in reason.message
    one.refresh_from_db()
    assert one.next_attempt_at == jst(2026, 11, 26, 9, 0)  # parked at the next opening
    policy.blackout_dates = []
    policy.save()
    CallListEntry.objects.filter(pk=one.pk).update(next_attempt_at=None)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk


def test_a_callback_on_a_blackout_date_is_refused_with_its_name(operator):
    policy = japan_standard(blackout_dates=[YEAR_END])
    call_list = ready_list(working_campaign(operators=[operator], policy=policy))
    one = entry(call_list)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    with pytest.raises(ValidationError) as caught:
        record_outcome(
            entry=one,
            operator=operator,
            disposition=Disposition.objects.get(code="callback"),
            started_at=NOW,
            ended_at=NOW + dt.timedelta(seconds=40),
            callback_at=jst(2026, 12, 30, 11, 0),
            now=NOW + dt.timedelta(minutes=1),
        )
    message = " ".join(caught.value.message_dict["callback_at"])
    assert "年末年始" in message


def test_the_sql_form_of_blackouts_agrees_with_the_python_form():
    periods = [
        YEAR_END,
        {"from": "08-13", "to": "08-16", "label": "お盆"},
        {"from": "02-29", "to": "02-29", "label": ""},
        {"from": "2026-05-01", "to": "2026-05-06", "label": "GW"},
    ]
    policy = unsaved_policy(blackout_dates=periods)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(800)]
    import json

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d::date, {scheduling.blackout_day_sql(dates='%s::jsonb', day='d::date')}"
            " FROM generate_series(%s::date, %s::date, interval '1 day') d",
            [json.dumps(periods), days[0], days[-1]],
        )
        from_sql = dict(cursor.fetchall())
    from_python = {day: scheduling.blackout_label(policy, day) is not None for day in days}
    assert from_sql == from_python
    assert from_python[dt.date(2026, 12, 31)] and from_python[dt.date(2027, 1, 3)]
    assert not from_python[dt.date(2027, 1, 4)] and from_python[dt.date(2028, 2, 29)]


def test_malformed_blackout_dates_are_refused_with_a_clear_message():
    for bad in (
        [{"from": "13-01", "to": "13-02"}],
        [{"from": "2026-05-06", "to": "2026-05-01"}],
        [{"from": "12-29", "to": "2027-01-03"}],
        ["12-29"],
        {"from": "12-29"},
    ):
        assert policy_problems({"blackout_dates": bad}).get("blackout_dates"), bad
    assert policy_problems({"blackout_dates": [YEAR_END, {"from": "2026-08-13"}]}) == {}


# ------------------------------------------------------------------ the workplace rule


def workplace_customer(*, other_number: bool):
    customer = CustomerFactory(phone=False, no_workplace_calls=True)
    work = PhoneNumberFactory(customer=customer, kind=PhoneNumber.Kind.WORK, is_primary=True)
    mobile = PhoneNumberFactory(customer=customer, is_primary=False) if other_number else None
    return customer, work, mobile


def test_a_workplace_number_is_never_dialed_for_a_customer_who_asked(operator):
    call_list = ready_list(working_campaign(operators=[operator], policy=japan_standard(no_workplace_calls_rule=True)))
    customer, work, _ = workplace_customer(other_number=False)
    only_work = entry(call_list, customer=customer, phone=work.number)
    assert dispatch_next(operator=operator, now=NOW) is None
    only_work.refresh_from_db()
    assert only_work.status == Status.CANCELLED


def test_a_customer_with_another_number_is_called_there_instead(operator):
    call_list = ready_list(working_campaign(operators=[operator], policy=japan_standard(no_workplace_calls_rule=True)))
    customer, work, mobile = workplace_customer(other_number=True)
    one = entry(call_list, customer=customer, phone=work.number)
    assert dispatch_next(operator=operator, now=NOW) is None  # this press moves it to the mobile number
    got = dispatch_next(operator=operator, now=NOW)
    assert got.pk == one.pk and got.phone == mobile.number


def test_the_workplace_is_called_without_the_flag_or_without_the_rule(operator):
    rule_on = ready_list(working_campaign(operators=[operator], policy=japan_standard(no_workplace_calls_rule=True)))
    customer, work, _ = workplace_customer(other_number=False)
    customer.no_workplace_calls = False
    customer.save()
    one = entry(rule_on, customer=customer, phone=work.number)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk


def test_without_the_policy_rule_the_flag_does_not_stop_dispatch(operator):
    rule_off = ready_list(working_campaign(operators=[operator], policy=japan_standard()))
    customer, work, _ = workplace_customer(other_number=False)
    one = entry(rule_off, customer=customer, phone=work.number)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk


# ------------------------------------------------------------------ promises to pay


@pytest.fixture
def collections(operator):
    policy = japan_standard(cap_attempts=None, cap_days=None, cooloff_days_after_contact=None, max_attempts_per_day=3)
    return working_campaign(operators=[operator], policy=policy, purpose="collections")


def promise(held, operator, *, promised_on, promised_amount=30000, now=NOW):
    return record_outcome(
        entry=held,
        operator=operator,
        disposition=Disposition.objects.get(code="promise_to_pay"),
        started_at=now,
        ended_at=now + dt.timedelta(seconds=90),
        promised_on=promised_on,
        promised_amount=promised_amount,
        now=now + dt.timedelta(minutes=2),
    )


def test_a_promise_rests_the_entry_until_the_day_after_the_promised_date(operator, collections):
    call_list = ready_list(collections)
    one = entry(call_list)
    debt = Debt.objects.create(campaign=collections, customer=one.customer, amount_due=52000)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    result = promise(one, operator, promised_on=dt.date(2026, 11, 27))
    attempt = CallAttempt.objects.get(pk=result.attempt.pk)
    assert attempt.promised_on == dt.date(2026, 11, 27) and attempt.promised_amount == 30000
    debt.refresh_from_db()
    assert debt.promise_status == Debt.Promise.OPEN and debt.promise_attempt_id == attempt.pk
    one.refresh_from_db()
    assert one.status == Status.PENDING and one.next_attempt_at >= jst(2026, 11, 28, 0, 0)
    # The claim refuses it on the promised date even when its time says it is due.
    CallListEntry.objects.filter(pk=one.pk).update(next_attempt_at=NOW)
    assert dispatch_next(operator=operator, now=jst(2026, 11, 27, 19, 0)) is None
    one.refresh_from_db()
    assert one.next_attempt_at >= jst(2026, 11, 28, 9, 0)  # parked at the first moment allowed
    assert dispatch_next(operator=operator, now=jst(2026, 11, 28, 9, 0)).pk == one.pk


def test_the_retry_scheduler_lands_after_the_promise(operator, collections):
    call_list = ready_list(collections)
    one = entry(call_list)
    Debt.objects.create(campaign=collections, customer=one.customer, amount_due=52000)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    promise(one, operator, promised_on=dt.date(2026, 11, 30))
    entry_after = scheduling.schedule_retry(entry_id=one.pk)
    assert entry_after.next_attempt_at == jst(2026, 12, 1, 9, 0)


def test_a_broken_promise_makes_the_customer_callable_at_once(operator, supervisor, collections):
    call_list = ready_list(collections)
    one = entry(call_list)
    debt = Debt.objects.create(campaign=collections, customer=one.customer, amount_due=52000)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    promise(one, operator, promised_on=dt.date(2026, 11, 30))
    later = NOW + dt.timedelta(hours=3)
    assert dispatch_next(operator=operator, now=later) is None
    debts.resolve_promise(debt=debt, status=Debt.Promise.BROKEN, by=supervisor, now=later)
    CallListEntry.objects.filter(pk=one.pk).update(next_attempt_at=later)
    assert dispatch_next(operator=operator, now=later).pk == one.pk


def test_a_paid_promise_closes_the_customers_entries(operator, supervisor, collections):
    first, second = ready_list(collections), ready_list(collections)
    one = entry(first)
    other = entry(second, customer=one.customer)
    debt = Debt.objects.create(campaign=collections, customer=one.customer, amount_due=52000)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    promise(one, operator, promised_on=dt.date(2026, 11, 30))
    debts.resolve_promise(debt=debt, status=Debt.Promise.PAID, by=supervisor)
    assert set(CallListEntry.objects.filter(pk__in=[one.pk, other.pk]).values_list("status", flat=True)) == {
        Status.DONE
    }


def test_a_promise_needs_a_debt_a_date_and_an_amount(operator, collections):
    call_list = ready_list(collections)
    one = entry(call_list)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    with pytest.raises(ValidationError) as caught:
        promise(one, operator, promised_on=dt.date(2026, 11, 30))
    assert "債権" in " ".join(caught.value.message_dict["promised_on"])
    Debt.objects.create(campaign=collections, customer=one.customer, amount_due=52000)
    with translation.override("ja"), pytest.raises(ValidationError) as caught:
        promise(one, operator, promised_on=dt.date(2026, 11, 20), promised_amount=None)
    assert "過去" in " ".join(caught.value.message_dict["promised_on"])
    assert caught.value.message_dict["promised_amount"]
    assert not CallAttempt.objects.filter(entry=one).exists()


@pytest.mark.django_db(transaction=True)
def test_a_promise_and_a_dispatch_of_the_customers_other_entry_never_both_win(
    reference_data, operator, operator2, collections
):
    """The promise is committed with the end of the hold: a dispatch of the customer's entry in
    another list either still sees the first entry held or already sees the promise."""
    collections.operators.add(operator2)
    first, second = ready_list(collections), ready_list(collections)
    one = entry(first)
    other = entry(second, customer=one.customer)
    Debt.objects.create(campaign=collections, customer=one.customer, amount_due=52000)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    results = race(
        [
            lambda: promise(one, operator, promised_on=dt.date(2026, 11, 30)),
            lambda: dispatch_next(operator=operator2, now=NOW + dt.timedelta(hours=3)),
        ]
    )
    assert not isinstance(results[0], Exception), results[0]
    assert results[1] is None
    other.refresh_from_db()
    assert other.status != Status.HELD
