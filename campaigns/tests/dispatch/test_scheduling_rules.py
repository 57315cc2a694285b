"""Retry scheduling: the earliest moment every rule allows (window, weekday, holiday in the
customer's zone incl. DST, preferred times, per-day max, cap, cool-off), the service that applies
it to an entry, and the periodic re-evaluation after other campaigns' calls."""

import datetime as dt

import pytest
from django.core.cache import cache

from campaigns.models import CallListEntry, Disposition
from campaigns.services import scheduling
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.services.scheduling import CallHistory, earliest_allowed_time, next_opening, schedule_retry
from campaigns.tasks.console import RESCHEDULE_WATERMARK_KEY, reschedule_entries_touched_elsewhere
from campaigns.tests.factories import CallingPolicyFactory
from campaigns.tests.factories_console import (
    NEW_YORK,
    TOKYO,
    entry,
    japan_standard,
    past_attempt,
    ready_list,
    working_campaign,
)
from conftest import another_transaction
from contacts.tests.factories import CustomerFactory

UTC = dt.UTC
Status = CallListEntry.Status


def jst(*args):
    return dt.datetime(*args, tzinfo=TOKYO)


def policy(**fields):
    """An unsaved policy with the Japan standard numbers (pure-function tests need no DB)."""
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
        cap_attempts=3,
        cap_days=7,
        cooloff_days_after_contact=7,
    )
    values.update(fields)
    return CallingPolicy(**values)


def earliest(at, history=None, zone_name="Asia/Tokyo", preferred=None, **fields):
    return earliest_allowed_time(
        policy=policy(**fields),
        zone_name=zone_name,
        earliest=at,
        history=history or CallHistory(),
        preferred_windows=preferred,
    )


# ------------------------------------------------------------------ calling time


def test_inside_the_window_stays():
    assert earliest(jst(2026, 11, 25, 15, 0)) == jst(2026, 11, 25, 15, 0)


def test_after_hours_moves_to_the_next_morning():
    assert earliest(jst(2026, 11, 25, 20, 0)) == jst(2026, 11, 26, 9, 0)


def test_before_hours_moves_to_the_opening():
    assert earliest(jst(2026, 11, 25, 6, 30)) == jst(2026, 11, 25, 9, 0)


def test_sunday_is_skipped():
    assert earliest(jst(2026, 11, 28, 21, 0)) == jst(2026, 11, 30, 9, 0)  # Saturday night → Monday


def test_japanese_holiday_is_skipped():
    # Saturday 21 Nov evening → Monday 23 Nov is 勤労感謝の日 → Tuesday 24 Nov.
    assert earliest(jst(2026, 11, 21, 20, 30)) == jst(2026, 11, 24, 9, 0)
    assert earliest(jst(2026, 11, 21, 20, 30), skip_holidays=False) == jst(2026, 11, 23, 9, 0)


def test_new_year_holidays_are_skipped():
    # 2027-01-01 (Fri) is a holiday; Saturday the 2nd is not a public holiday in Japan.
    assert earliest(jst(2026, 12, 31, 20, 0)) == jst(2027, 1, 2, 9, 0)


def test_the_holiday_calendar_is_the_policys_country():
    """The policy's holiday_country picks the calendar: a US policy skips the 4th of July and
    calls on 勤労感謝の日; the default (JP) does the reverse."""
    us = dict(
        zone_name="America/New_York",
        call_window_start=dt.time(8),
        call_window_end=dt.time(21),
        weekdays=list(range(7)),
        holiday_country="US",
    )
    friday_night = dt.datetime(2025, 7, 3, 21, 30, tzinfo=NEW_YORK)  # Friday 4 July 2025 is Independence Day
    assert earliest(friday_night, **us) == dt.datetime(2025, 7, 5, 8, 0, tzinfo=NEW_YORK)
    assert earliest(friday_night, **{**us, "holiday_country": "JP"}) == dt.datetime(2025, 7, 4, 8, 0, tzinfo=NEW_YORK)
    labour_thanksgiving_eve = jst(2026, 11, 22, 20, 30)  # Sunday evening; Monday 23 Nov is a JP holiday
    assert earliest(labour_thanksgiving_eve, weekdays=list(range(7)), holiday_country="US") == jst(2026, 11, 23, 9, 0)
    from campaigns.models import CallingPolicy

    assert CallingPolicy().holiday_country == "JP"


def test_us_spring_forward():
    """New York, 08:00-21:00 every day. Saturday 7 March 2026 22:30 EST → Sunday 8 March 08:00,
    which is EDT after the 02:00 switch: 12:00 UTC, not 13:00."""
    at = dt.datetime(2026, 3, 7, 22, 30, tzinfo=NEW_YORK)
    got = earliest(
        at,
        zone_name="America/New_York",
        call_window_start=dt.time(8),
        call_window_end=dt.time(21),
        weekdays=list(range(7)),
        skip_holidays=False,
    )
    assert got == dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_us_fall_back():
    at = dt.datetime(2026, 10, 31, 21, 30, tzinfo=NEW_YORK)  # EDT
    got = earliest(
        at,
        zone_name="America/New_York",
        call_window_start=dt.time(8),
        call_window_end=dt.time(21),
        weekdays=list(range(7)),
        skip_holidays=False,
    )
    assert got == dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST


def test_window_opening_inside_a_dst_gap():
    """A window starting at 02:30 on the spring-forward night (02:00-03:00 does not exist)
    opens at the first real instant after the gap, never before it."""
    p = policy(
        call_window_start=dt.time(2, 30), call_window_end=dt.time(5, 0), weekdays=list(range(7)), skip_holidays=False
    )
    got = next_opening(p, "America/New_York", dt.datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK))
    assert got.astimezone(NEW_YORK).hour == 3 and got <= dt.datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert scheduling.is_callable_at(p, "America/New_York", got)


def test_window_over_midnight():
    p = policy(
        call_window_start=dt.time(22, 0), call_window_end=dt.time(2, 0), weekdays=list(range(7)), skip_holidays=False
    )
    assert scheduling.is_callable_at(p, "Asia/Tokyo", jst(2026, 11, 25, 1, 0))
    assert not scheduling.is_callable_at(p, "Asia/Tokyo", jst(2026, 11, 25, 3, 0))
    assert next_opening(p, "Asia/Tokyo", jst(2026, 11, 25, 3, 0)) == jst(2026, 11, 25, 22, 0)


def test_policy_that_never_opens():
    assert earliest(jst(2026, 11, 25, 15, 0), weekdays=[]) is None


def test_unknown_zone_never_opens():
    assert earliest(jst(2026, 11, 25, 15, 0), zone_name="Nowhere/Nothing") is None


def test_open_zones_follow_local_time():
    p = policy(call_window_start=dt.time(8), call_window_end=dt.time(21), weekdays=list(range(7)), skip_holidays=False)
    zones = scheduling.open_zones(p, dt.datetime(2026, 11, 25, 5, 0, tzinfo=UTC))  # 14:00 JST, 00:00 EST
    assert "Asia/Tokyo" in zones and "America/New_York" not in zones and "Europe/London" not in zones


# ------------------------------------------------------------------ preferred call times


def test_preferred_evening_window():
    preferred = [{"weekdays": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00"}]
    assert earliest(jst(2026, 11, 25, 10, 0), preferred=preferred) == jst(2026, 11, 25, 18, 0)
    # Friday after 20:00 → the policy ends at 20:00, Saturday is not preferred → Monday 18:00.
    assert earliest(jst(2026, 11, 27, 20, 0), preferred=preferred) == jst(2026, 11, 30, 18, 0)


def test_impossible_preferences_are_ignored():
    preferred = [{"weekdays": [6], "start": "10:00", "end": "12:00"}]  # Sundays only: policy forbids
    assert earliest(jst(2026, 11, 25, 10, 0), preferred=preferred) == jst(2026, 11, 25, 10, 0)


def test_malformed_preferences_are_ignored():
    assert earliest(jst(2026, 11, 25, 10, 0), preferred=[{"start": "late"}, "x", None]) == jst(2026, 11, 25, 10, 0)


# ------------------------------------------------------------------ limits


def test_per_day_maximum_moves_to_the_next_day():
    history = CallHistory(entry_attempt_times=[jst(2026, 11, 25, 9, 30), jst(2026, 11, 25, 12, 0)])
    assert earliest(jst(2026, 11, 25, 14, 0), history) == jst(2026, 11, 26, 9, 0)


def test_cap_full_waits_for_the_oldest_counted_attempt_to_leave():
    calls = [jst(2026, 11, 19, 11, 0), jst(2026, 11, 22, 10, 0), jst(2026, 11, 24, 15, 0)]
    history = CallHistory(attempt_times=calls)
    # 3 calls in 7 days: free again when 19 Nov 11:00 is 7 days old, 26 Nov 11:00.
    assert earliest(jst(2026, 11, 25, 14, 0), history, cooloff_days_after_contact=None) == jst(2026, 11, 26, 11, 0)


def test_cap_release_lands_outside_the_window():
    calls = [jst(2026, 11, 19, 19, 30), jst(2026, 11, 22, 10, 0), jst(2026, 11, 24, 15, 0)]
    # Released 26 Nov 19:30, window closes 20:00 → 19:30 is fine.
    assert earliest(jst(2026, 11, 25, 14, 0), CallHistory(attempt_times=calls)) == jst(2026, 11, 26, 19, 30)
    calls[0] = jst(2026, 11, 19, 20, 30)  # a call made outside our window by another campaign
    assert earliest(jst(2026, 11, 25, 14, 0), CallHistory(attempt_times=calls)) == jst(2026, 11, 27, 9, 0)


def test_cool_off_after_a_conversation():
    history = CallHistory(attempt_times=[jst(2026, 11, 23, 16, 0)], contact_times=[jst(2026, 11, 23, 16, 0)])
    assert earliest(jst(2026, 11, 25, 14, 0), history) == jst(2026, 11, 30, 16, 0)


def test_retry_floor_takes_the_longer_of_delay_and_gap():
    p = policy(retry_delays={"busy": 10})
    busy = Disposition(code="busy", retry_delay_minutes=30)
    assert scheduling.retry_floor(p, busy, jst(2026, 11, 25, 14, 0)) == jst(2026, 11, 25, 16, 0)
    p.min_gap_minutes = 0
    assert scheduling.retry_floor(p, busy, jst(2026, 11, 25, 14, 0)) == jst(2026, 11, 25, 14, 10)
    p.retry_delays = {}
    assert scheduling.retry_floor(p, busy, jst(2026, 11, 25, 14, 0)) == jst(2026, 11, 25, 14, 30)


# ------------------------------------------------------------------ the service on entries


@pytest.fixture
def call_list(operator):
    return ready_list(working_campaign(operators=[operator], policy=japan_standard()))


def logged(operator, call_list, at, disposition="no_answer", customer=None):
    """An entry dialed and logged at `at` through the real services."""
    one = entry(call_list, customer=customer)
    assert dispatch_next(operator=operator, now=at).pk == one.pk
    record_outcome(
        entry=one,
        operator=operator,
        disposition=Disposition.objects.get(code=disposition),
        started_at=at,
        ended_at=at + dt.timedelta(minutes=1),
        now=at + dt.timedelta(minutes=1),
    )
    return one


@pytest.mark.django_db
def test_a_retry_that_lands_outside_the_window_moves_to_the_next_opening(operator, call_list):
    one = logged(operator, call_list, jst(2026, 11, 25, 18, 30))
    one.refresh_from_db()
    assert one.next_attempt_at == jst(2026, 11, 25, 22, 30)  # provisional: 240 min after
    schedule_retry(entry_id=one.pk)
    one.refresh_from_db()
    assert one.next_attempt_at == jst(2026, 11, 26, 9, 0)
    schedule_retry(entry_id=one.pk)  # idempotent
    one.refresh_from_db()
    assert one.next_attempt_at == jst(2026, 11, 26, 9, 0)


@pytest.mark.django_db
def test_schedule_counts_calls_of_other_campaigns_over_the_whole_cap_window(operator, call_list):
    """Cap 3 in 7 days: two calls elsewhere 5 and 4 days ago plus this one fill it, so the retry
    waits until the oldest leaves the rolling window, 2 days from now (the scheduler must read
    the full 7 days of history, not just the last couple)."""
    customer = CustomerFactory()
    other = working_campaign(operators=[])
    past_attempt(customer=customer, campaign=other, at=jst(2026, 11, 20, 14, 0))
    past_attempt(customer=customer, campaign=other, at=jst(2026, 11, 21, 14, 0))
    one = logged(operator, call_list, jst(2026, 11, 25, 14, 0), customer=customer)
    schedule_retry(entry_id=one.pk)
    one.refresh_from_db()
    assert one.next_attempt_at == jst(2026, 11, 27, 14, 0)


@pytest.mark.django_db
def test_schedule_respects_the_customers_preferred_times(operator, call_list):
    customer = CustomerFactory(
        preferred_call_windows=[{"weekdays": [0, 1, 2, 3, 4, 5], "start": "19:00", "end": "21:00"}]
    )
    one = logged(operator, call_list, jst(2026, 11, 25, 10, 0), customer=customer)
    schedule_retry(entry_id=one.pk)
    one.refresh_from_db()
    assert one.next_attempt_at == jst(2026, 11, 25, 19, 0)


@pytest.mark.django_db
def test_schedule_exhausts_at_max_attempts(operator, call_list):
    one = entry(call_list, attempts=6, status=Status.PENDING)
    schedule_retry(entry_id=one.pk)
    one.refresh_from_db()
    assert one.status == Status.EXHAUSTED


@pytest.mark.django_db
def test_schedule_leaves_closed_and_callback_entries_alone(operator, call_list):
    done = entry(call_list, status=Status.DONE)
    callback = entry(
        call_list,
        status=Status.CALLBACK,
        callback_at=jst(2026, 11, 26, 10, 0),
        next_attempt_at=jst(2026, 11, 26, 10, 0),
    )
    schedule_retry(entry_id=done.pk)
    schedule_retry(entry_id=callback.pk)
    callback.refresh_from_db()
    assert callback.next_attempt_at == jst(2026, 11, 26, 10, 0)
    assert schedule_retry(entry_id=999999) is None


@pytest.mark.django_db
def test_periodic_task_reschedules_entries_after_another_campaigns_conversation(operator, operator2, call_list):
    customer = CustomerFactory()
    waiting = entry(call_list, customer=customer, next_attempt_at=jst(2026, 11, 25, 10, 0))
    other_list = ready_list(working_campaign(operators=[operator2], policy=CallingPolicyFactory()))
    logged(operator2, other_list, jst(2026, 11, 25, 14, 0), disposition="hung_up", customer=customer)
    # The watermark just below this attempt: ids that earlier tests took and rolled back are holes
    # the task would wait out (a hole is an insert that may still commit) before reaching it.
    from campaigns.models import CallAttempt

    cache.set(RESCHEDULE_WATERMARK_KEY, CallAttempt.objects.latest("pk").pk - 1)
    assert reschedule_entries_touched_elsewhere() == 1
    waiting.refresh_from_db()
    # hung_up is a conversation: the cool-off (7 days) of this campaign's policy applies.
    assert waiting.next_attempt_at == jst(2026, 12, 2, 14, 0)
    # Second run: watermark past that attempt, nothing to do.
    assert reschedule_entries_touched_elsewhere() == 0


@pytest.mark.django_db(transaction=True)
def test_periodic_task_does_not_skip_an_attempt_that_commits_after_a_later_one(operator, operator2, call_list):
    """Attempt ids are taken at insert and become visible at commit: an outcome that took the
    lower id may commit after one with a higher id. The watermark must not pass it meanwhile, or
    the entries its call pushes back are never re-evaluated."""
    from campaigns.models import CallAttempt

    slow_customer, fast_customer = CustomerFactory(), CustomerFactory()
    waiting = entry(call_list, customer=slow_customer, next_attempt_at=jst(2026, 11, 25, 10, 0))
    entry(call_list, customer=fast_customer, next_attempt_at=jst(2026, 11, 25, 10, 0))
    other_campaign = working_campaign(operators=[operator2], policy=CallingPolicyFactory())
    cache.set(RESCHEDULE_WATERMARK_KEY, CallAttempt.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)

    def slow_outcome():  # takes its id first, commits last
        past_attempt(customer=slow_customer, campaign=other_campaign, at=jst(2026, 11, 25, 14, 0), code="hung_up")

    with another_transaction(slow_outcome):
        past_attempt(customer=fast_customer, campaign=other_campaign, at=jst(2026, 11, 25, 14, 1), code="hung_up")
        reschedule_entries_touched_elsewhere()  # runs while the slow outcome is still open
    reschedule_entries_touched_elsewhere()

    waiting.refresh_from_db()
    assert waiting.next_attempt_at == jst(2026, 12, 2, 14, 0)  # the slow outcome's conversation counted
