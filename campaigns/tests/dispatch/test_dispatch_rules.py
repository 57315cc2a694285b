"""dispatch_next: every dialable rule of docs/rules.md, the candidate order and scope.
Each test would fail if its rule were dropped from the claim."""

import datetime as dt

import pytest
from django.utils import timezone

from callcenter.history import history_change
from campaigns.models import AgentStateLog, CallList, CallListEntry, Campaign, OperatorProfile
from campaigns.selectors.console import explain_no_call
from campaigns.services.agent_state import change_agent_state
from campaigns.services.dispatch import HoldLost, dispatch_next, release_expired_holds, release_hold, renew_hold
from campaigns.tests.factories_console import (
    NEW_YORK,
    TOKYO,
    WEDNESDAY_2PM,
    entry,
    japan_standard,
    past_attempt,
    ready_list,
    working_campaign,
)
from contacts.models import DoNotCall
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_path")]
NOW = WEDNESDAY_2PM
Status = CallListEntry.Status


@pytest.fixture
def campaign(operator):
    return working_campaign(operators=[operator], policy=japan_standard())


@pytest.fixture
def call_list(campaign):
    return ready_list(campaign)


def test_holds_the_entry_for_the_operator(operator, call_list):
    one = entry(call_list)
    got = dispatch_next(operator=operator, now=NOW)
    assert got.pk == one.pk
    one.refresh_from_db()
    assert one.status == Status.HELD and one.held_by == operator
    assert one.held_until == NOW + dt.timedelta(minutes=15)


def test_second_press_returns_the_entry_already_held(operator, call_list):
    first = entry(call_list, rank=1)
    entry(call_list, rank=2)
    assert dispatch_next(operator=operator, now=NOW).pk == first.pk
    assert dispatch_next(operator=operator, now=NOW).pk == first.pk
    assert CallListEntry.objects.filter(status=Status.HELD).count() == 1


def test_nothing_when_nothing_is_due(operator, call_list):
    entry(call_list, next_attempt_at=NOW + dt.timedelta(minutes=1))
    assert dispatch_next(operator=operator, now=NOW) is None
    assert explain_no_call(operator=operator, now=NOW).code == "on_retry"


# ------------------------------------------------------------------ scope


def test_only_active_campaigns(operator, campaign, call_list):
    entry(call_list)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    assert dispatch_next(operator=operator, now=NOW) is None
    assert explain_no_call(operator=operator, now=NOW).code == "no_campaign"


def test_only_campaigns_the_operator_is_assigned_to(operator, operator2, call_list):
    entry(call_list)
    assert dispatch_next(operator=operator2, now=NOW) is None
    assert dispatch_next(operator=operator, now=NOW) is not None


def test_only_ready_lists(operator, call_list):
    entry(call_list)
    CallList.objects.filter(pk=call_list.pk).update(status=CallList.Status.PAUSED)
    assert dispatch_next(operator=operator, now=NOW) is None
    assert explain_no_call(operator=operator, now=NOW).code == "no_list"


def test_list_operators_restrict_the_campaign_operators(operator, operator2, campaign, call_list):
    campaign.operators.add(operator2)
    call_list.operators.add(operator2)
    entry(call_list)
    assert dispatch_next(operator=operator, now=NOW) is None
    assert dispatch_next(operator=operator2, now=NOW) is not None


def test_required_skill(operator, operator2, campaign):
    campaign.operators.add(operator2)
    veterans = ready_list(campaign, required_skill="veteran")
    entry(veterans)
    OperatorProfile.objects.create(user=operator2, skills=["veteran"])
    assert dispatch_next(operator=operator, now=NOW) is None
    assert dispatch_next(operator=operator2, now=NOW) is not None


def test_campaign_dates(operator, campaign, call_list):
    entry(call_list)
    Campaign.objects.filter(pk=campaign.pk).update(ends_on=dt.date(2026, 11, 24))
    assert dispatch_next(operator=operator, now=NOW) is None
    Campaign.objects.filter(pk=campaign.pk).update(ends_on=None, starts_on=dt.date(2026, 11, 26))
    assert dispatch_next(operator=operator, now=NOW) is None
    Campaign.objects.filter(pk=campaign.pk).update(starts_on=dt.date(2026, 11, 25))
    assert dispatch_next(operator=operator, now=NOW) is not None


# ------------------------------------------------------------------ order


def test_order_personal_callback_then_shared_callback_then_priority_then_rank(operator, operator2, campaign):
    campaign.operators.add(operator2)
    low = ready_list(campaign, priority=0)
    high = ready_list(campaign, priority=5)
    fresh_low = entry(low, rank=1)
    fresh_high_2 = entry(high, rank=2)
    fresh_high_1 = entry(high, rank=1)
    shared = entry(low, rank=9, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=5))
    personal = entry(
        low, rank=8, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=1), assigned_operator=operator
    )
    other_personal = entry(
        low, rank=7, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=9), assigned_operator=operator2
    )
    future_callback = entry(low, rank=6, status=Status.CALLBACK, callback_at=NOW + dt.timedelta(minutes=30))
    order = []
    for _ in range(5):
        got = dispatch_next(operator=operator, now=NOW)
        order.append(got.pk)
        release_hold(entry_id=got.pk, by=operator, now=NOW)
        CallListEntry.objects.filter(pk=got.pk).update(status=Status.DONE)
    assert order == [personal.pk, shared.pk, fresh_high_1.pk, fresh_high_2.pk, fresh_low.pk]
    # Someone else's personal callback and a callback not due yet were never offered.
    assert dispatch_next(operator=operator, now=NOW) is None
    assert dispatch_next(operator=operator2, now=NOW).pk == other_personal.pk
    assert future_callback.pk not in order


def test_personal_callback_becomes_shared_after_the_grace_period(operator, operator2, campaign, call_list):
    campaign.operators.add(operator2)
    late = entry(
        call_list, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=61), assigned_operator=operator2
    )
    assert dispatch_next(operator=operator, now=NOW).pk == late.pk


def test_due_retries_before_fresh_entries(operator, call_list):
    fresh = entry(call_list, rank=1)
    retry = entry(
        call_list,
        rank=50,
        attempts=1,
        last_attempt_at=NOW - dt.timedelta(days=1),
        next_attempt_at=NOW - dt.timedelta(minutes=10),
    )
    assert dispatch_next(operator=operator, now=NOW).pk == retry.pk
    release_hold(entry_id=retry.pk, by=operator, now=NOW)
    CallListEntry.objects.filter(pk=retry.pk).update(status=Status.DONE)
    assert dispatch_next(operator=operator, now=NOW).pk == fresh.pk


# ------------------------------------------------------------------ rule 1: do-not-call, checked now


@pytest.mark.parametrize("scope", ["phone", "customer", "other_number", "campaign"])
def test_dnc_added_after_the_build_blocks_dispatch(operator, campaign, call_list, scope):
    customer = CustomerFactory(phones=["090-1111-2222", "03-1234-5678"])
    one = entry(call_list, customer=customer, phone="+819011112222")
    if scope == "phone":
        DoNotCallFactory(phone_number="+819011112222")
    elif scope == "customer":
        DoNotCallFactory(phone_number="", customer=customer)
    elif scope == "other_number":
        DoNotCallFactory(phone_number="+81312345678")  # the customer's other number
    else:
        DoNotCallFactory(phone_number="", customer=customer, campaign=campaign)
    assert dispatch_next(operator=operator, now=NOW) is None
    one.refresh_from_db()
    assert one.status == Status.BLOCKED  # moved out of the way: never offered again


def test_dnc_on_the_dialed_number_blocks_even_when_the_customer_no_longer_has_it(operator, call_list):
    """The entry dials the number copied at build time. When that number has since left the
    customer's record (changed by an import or on the customer page), a DNC entry for it must
    still stop the call: the number itself is what gets dialed."""
    customer = CustomerFactory(phones=["03-1234-5678"])
    one = entry(call_list, customer=customer, phone="+819011112222")
    assert not customer.phones.filter(number="+819011112222").exists()
    DoNotCallFactory(phone_number="+819011112222")
    assert dispatch_next(operator=operator, now=NOW) is None
    one.refresh_from_db()
    assert one.status == Status.BLOCKED


def test_dnc_for_another_campaign_or_revoked_or_expired_does_not_block(operator, call_list):
    one = entry(call_list)
    other_campaign = working_campaign(operators=[])
    DoNotCallFactory(phone_number=one.phone, campaign=other_campaign)
    DoNotCallFactory(phone_number=one.phone, revoked_at=NOW - dt.timedelta(days=1))
    DoNotCallFactory(phone_number=one.phone, expires_at=NOW - dt.timedelta(seconds=1))
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk


def test_dnc_blocks_a_due_callback(operator, call_list):
    callback = entry(
        call_list, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=5), assigned_operator=operator
    )
    DoNotCallFactory(phone_number="", customer=callback.customer, reason=DoNotCall.Reason.CUSTOMER_REQUEST)
    assert dispatch_next(operator=operator, now=NOW) is None


# ------------------------------------------------------------------ rule 3: hours, weekdays, holidays


@pytest.mark.parametrize(
    "local_time, dialable",
    [
        (dt.time(8, 59, 59), False),
        (dt.time(9, 0), True),
        (dt.time(19, 59, 59), True),
        (dt.time(20, 0), False),
    ],
)
def test_tokyo_window_edges(operator, call_list, local_time, dialable):
    entry(call_list)
    now = dt.datetime.combine(dt.date(2026, 11, 25), local_time, tzinfo=TOKYO)
    assert (dispatch_next(operator=operator, now=now) is not None) is dialable


@pytest.mark.parametrize(
    "local_time, dialable",
    [(dt.time(7, 59), False), (dt.time(8, 0), True), (dt.time(20, 59), True), (dt.time(21, 0), False)],
)
def test_window_is_the_customers_local_time(operator, call_list, local_time, dialable):
    """A New York customer under an 08:00-21:00 policy: judged on New York's clock."""
    call_list.campaign.policy.call_window_start = dt.time(8, 0)
    call_list.campaign.policy.call_window_end = dt.time(21, 0)
    call_list.campaign.policy.weekdays = [0, 1, 2, 3, 4, 5, 6]
    call_list.campaign.policy.skip_holidays = False
    call_list.campaign.policy.save()
    entry(call_list, customer=CustomerFactory(time_zone="America/New_York"))
    now = dt.datetime.combine(dt.date(2026, 11, 25), local_time, tzinfo=NEW_YORK)
    assert (dispatch_next(operator=operator, now=now) is not None) is dialable


@pytest.mark.parametrize(
    "local_time, dialable",
    [
        (dt.time(8, 15), False),
        (dt.time(8, 30), True),
        (dt.time(20, 15), True),
        (dt.time(20, 45), False),
    ],
)
def test_half_hour_window_edges(operator, campaign, local_time, dialable):
    """A window of 08:30-20:30: the open zones are judged to the minute, not the hour."""
    campaign.policy.call_window_start, campaign.policy.call_window_end = dt.time(8, 30), dt.time(20, 30)
    campaign.policy.save()
    one = entry(ready_list(campaign))
    at = dt.datetime.combine(dt.date(2026, 11, 25), local_time, tzinfo=TOKYO)
    got = dispatch_next(operator=operator, now=at)
    assert (got is not None and got.pk == one.pk) == dialable


@pytest.mark.parametrize("utc_hour, dialable", [(12, False), (13, True)])
def test_us_daylight_saving_change(operator, call_list, utc_hour, dialable):
    """On 2026-03-09 (the Monday after the US spring-forward) 12:30 UTC is 08:30 EDT... while the
    same UTC hour on 2026-03-06 is 07:30 EST: outside. The window follows the local clock."""
    policy = call_list.campaign.policy
    policy.call_window_start, policy.call_window_end = dt.time(8, 0), dt.time(21, 0)
    policy.weekdays, policy.skip_holidays = [0, 1, 2, 3, 4, 5, 6], False
    policy.save()
    entry(call_list, customer=CustomerFactory(time_zone="America/New_York"))
    before_switch = dt.datetime(2026, 3, 6, utc_hour, 30, tzinfo=dt.UTC)  # EST, UTC-5
    after_switch = dt.datetime(2026, 3, 9, utc_hour - 1, 30, tzinfo=dt.UTC)  # EDT, UTC-4
    assert (dispatch_next(operator=operator, now=before_switch) is not None) is dialable
    CallListEntry.objects.update(status=Status.PENDING, held_by=None, held_until=None)
    assert (dispatch_next(operator=operator, now=after_switch) is not None) is dialable


def test_japanese_holiday_is_skipped(operator, call_list):
    entry(call_list)
    labour_thanksgiving = dt.datetime(2026, 11, 23, 14, 0, tzinfo=TOKYO)  # Monday, 勤労感謝の日
    assert dispatch_next(operator=operator, now=labour_thanksgiving) is None
    reason = explain_no_call(operator=operator, now=labour_thanksgiving)
    assert reason.code == "outside_hours" and "勤労感謝の日" in reason.message
    call_list.campaign.policy.skip_holidays = False
    call_list.campaign.policy.save()
    assert dispatch_next(operator=operator, now=labour_thanksgiving) is not None


def test_disallowed_weekday(operator, call_list):
    entry(call_list)
    sunday = dt.datetime(2026, 11, 29, 14, 0, tzinfo=TOKYO)
    assert dispatch_next(operator=operator, now=sunday) is None
    assert explain_no_call(operator=operator, now=sunday).code == "outside_hours"


def test_unknown_time_zone_is_never_dialed(operator, call_list):
    entry(call_list, customer=CustomerFactory(time_zone="Mars/Olympus"))
    assert dispatch_next(operator=operator, now=NOW) is None


# ------------------------------------------------------------------ rule 4: attempts, gaps, cap, cool-off


def test_max_attempts(operator, call_list):
    used_up = entry(
        call_list, attempts=6, last_attempt_at=NOW - dt.timedelta(days=3), next_attempt_at=NOW - dt.timedelta(days=1)
    )
    one_left = entry(
        call_list, attempts=5, last_attempt_at=NOW - dt.timedelta(days=3), next_attempt_at=NOW - dt.timedelta(hours=1)
    )
    assert dispatch_next(operator=operator, now=NOW).pk == one_left.pk
    used_up.refresh_from_db()
    assert used_up.status == Status.EXHAUSTED


def test_max_attempts_per_local_day(operator, call_list):
    one = entry(
        call_list, attempts=2, last_attempt_at=NOW - dt.timedelta(hours=3), next_attempt_at=NOW - dt.timedelta(hours=1)
    )
    past_attempt(entry=one, at=NOW - dt.timedelta(hours=4, minutes=30))  # 09:30 today
    past_attempt(entry=one, at=NOW - dt.timedelta(hours=3))  # 11:00 today
    assert dispatch_next(operator=operator, now=NOW) is None
    tomorrow = NOW + dt.timedelta(days=1)
    assert dispatch_next(operator=operator, now=tomorrow).pk == one.pk


def test_max_attempts_per_day_counts_the_customers_local_day_not_utc(operator, call_list):
    """A New York evening is already the next day in UTC: the calls of that New York morning
    still count towards today's maximum (2)."""
    customer = CustomerFactory(time_zone="America/New_York")
    morning, afternoon = (dt.datetime(2026, 11, 25, hour, 0, tzinfo=NEW_YORK) for hour in (10, 14))
    evening = dt.datetime(2026, 11, 25, 19, 30, tzinfo=NEW_YORK)
    assert evening.astimezone(dt.UTC).date() != morning.astimezone(dt.UTC).date()
    one = entry(call_list, customer=customer, attempts=2, last_attempt_at=afternoon, next_attempt_at=afternoon)
    past_attempt(entry=one, at=morning)
    past_attempt(entry=one, at=afternoon)
    assert dispatch_next(operator=operator, now=evening) is None
    next_morning = dt.datetime(2026, 11, 26, 10, 0, tzinfo=NEW_YORK)
    assert dispatch_next(operator=operator, now=next_morning).pk == one.pk


def test_minimum_gap_counts_calls_from_any_campaign(operator, call_list):
    one = entry(call_list)
    other = working_campaign(operators=[])
    past_attempt(customer=one.customer, campaign=other, at=NOW - dt.timedelta(minutes=119))
    assert dispatch_next(operator=operator, now=NOW) is None
    assert dispatch_next(operator=operator, now=NOW + dt.timedelta(minutes=2)).pk == one.pk


def test_cross_campaign_cap(operator, call_list):
    one = entry(call_list)
    for days_ago, campaign in [
        (1, working_campaign(operators=[])),
        (3, working_campaign(operators=[])),
        (6, call_list.campaign),
    ]:
        past_attempt(customer=one.customer, campaign=campaign, at=NOW - dt.timedelta(days=days_ago))
    assert dispatch_next(operator=operator, now=NOW) is None  # 3 in 7 days
    # The oldest counted attempt leaves the 7-day window one day later.
    assert dispatch_next(operator=operator, now=NOW + dt.timedelta(days=1, minutes=1)).pk == one.pk


def test_cool_off_after_a_conversation_elsewhere(operator, call_list):
    one = entry(call_list)
    past_attempt(
        customer=one.customer, campaign=working_campaign(operators=[]), at=NOW - dt.timedelta(days=6), code="hung_up"
    )
    assert dispatch_next(operator=operator, now=NOW) is None
    assert dispatch_next(operator=operator, now=NOW + dt.timedelta(days=1, minutes=1)).pk == one.pk


def test_cool_off_does_not_stop_the_callback_the_customer_asked_for(operator, call_list):
    callback = entry(
        call_list,
        status=Status.CALLBACK,
        callback_at=NOW - dt.timedelta(minutes=1),
        attempts=1,
        last_attempt_at=NOW - dt.timedelta(days=1),
    )
    past_attempt(entry=callback, at=NOW - dt.timedelta(days=1), code="callback")
    assert dispatch_next(operator=operator, now=NOW).pk == callback.pk


def test_callback_still_obeys_the_cap(operator, call_list):
    callback = entry(call_list, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=1))
    for days_ago in (1, 2, 3):
        past_attempt(
            customer=callback.customer, campaign=working_campaign(operators=[]), at=NOW - dt.timedelta(days=days_ago)
        )
    assert dispatch_next(operator=operator, now=NOW) is None


def test_refused_in_this_campaign_before(operator, call_list):
    one = entry(call_list)
    past_attempt(customer=one.customer, campaign=call_list.campaign, at=NOW - dt.timedelta(days=30), code="refused")
    assert dispatch_next(operator=operator, now=NOW) is None


def test_outcomes_a_supervisor_adds_later_count_at_once(operator, operator2, call_list):
    """Dispatch keeps its statements across calls (cached SQL, prepared statements): a refusal
    or conversation outcome created after the first dispatch must still count immediately."""
    from campaigns.models import Disposition

    call_list.campaign.operators.add(operator2)
    warm = entry(call_list, rank=1)
    refused, talked = entry(call_list, rank=2), entry(call_list, rank=3)
    assert dispatch_next(operator=operator2, now=NOW).pk == warm.pk  # statements built and cached
    Disposition.objects.create(
        code="refused_loudly", label="Refused loudly", label_ja="強い拒否", is_refusal=True, is_final=True
    )
    Disposition.objects.create(code="long_talk", label="Long talk", label_ja="長話", is_contact=True)
    past_attempt(
        customer=refused.customer, campaign=call_list.campaign, at=NOW - dt.timedelta(days=30), code="refused_loudly"
    )
    past_attempt(
        customer=talked.customer,
        campaign=working_campaign(operators=[]),
        at=NOW - dt.timedelta(days=2),
        code="long_talk",
    )
    assert dispatch_next(operator=operator, now=NOW) is None
    refused.refresh_from_db()
    talked.refresh_from_db()
    assert refused.status == Status.CANCELLED
    assert talked.status == Status.PENDING and talked.next_attempt_at > NOW


def test_customer_held_in_another_campaign_is_skipped(operator, operator2, call_list):
    customer = CustomerFactory()
    mine = entry(call_list, customer=customer)
    other_list = ready_list(working_campaign(operators=[operator2]))
    entry(other_list, customer=customer)
    assert dispatch_next(operator=operator2, now=NOW) is not None
    assert dispatch_next(operator=operator, now=NOW) is None
    mine.refresh_from_db()
    assert mine.status == Status.PENDING


# ------------------------------------------------------------------ holds


def test_expired_holds_are_released(operator, operator2, campaign, call_list):
    campaign.operators.add(operator2)
    callback = entry(call_list, status=Status.CALLBACK, callback_at=NOW - dt.timedelta(minutes=5))
    assert dispatch_next(operator=operator, now=NOW).pk == callback.pk
    assert release_expired_holds(now=NOW + dt.timedelta(minutes=14)) == 0
    assert dispatch_next(operator=operator2, now=NOW + dt.timedelta(minutes=14)) is None
    assert release_expired_holds(now=NOW + dt.timedelta(minutes=16)) == 1
    callback.refresh_from_db()
    assert callback.status == Status.CALLBACK and callback.held_by is None
    assert dispatch_next(operator=operator2, now=NOW + dt.timedelta(minutes=16)).pk == callback.pk


def test_dispatch_moves_a_working_operator_on_call(operator, call_list):
    entry(call_list)
    change_agent_state(operator=operator, state="ready", at=NOW - dt.timedelta(minutes=5))
    dispatch_next(operator=operator, now=NOW)
    states = list(
        AgentStateLog.objects.filter(operator=operator).order_by("started_at").values_list("state", "ended_at")
    )
    assert states == [("ready", NOW), ("on_call", None)]


def test_dispatch_does_not_log_states_for_an_offline_operator(operator, call_list):
    entry(call_list)
    dispatch_next(operator=operator, now=NOW)
    assert not AgentStateLog.objects.filter(operator=operator).exists()


def test_real_clock_default(operator, call_list):
    """Without `now` the real clock is used (a permissive policy, so always dialable)."""
    call_list.campaign.policy.call_window_start = dt.time(0, 0)
    call_list.campaign.policy.call_window_end = dt.time(0, 0)
    call_list.campaign.policy.weekdays = list(range(7))
    call_list.campaign.policy.skip_holidays = False
    call_list.campaign.policy.save()
    one = entry(call_list)
    got = dispatch_next(operator=operator)
    assert got.pk == one.pk and got.held_until > timezone.now()


# ------------------------------------------------------------------ candidates that fail are moved away


def test_a_candidate_over_the_cap_waits_until_the_cap_allows(operator, call_list):
    one = entry(call_list)
    oldest = NOW - dt.timedelta(days=6)
    for at in (oldest, NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=1)):
        past_attempt(customer=one.customer, campaign=working_campaign(operators=[]), at=at)
    assert dispatch_next(operator=operator, now=NOW) is None
    one.refresh_from_db()
    assert one.status == Status.PENDING and one.next_attempt_at == oldest + dt.timedelta(days=7)


def test_a_callback_outside_the_customers_hours_moves_to_the_next_opening(operator, call_list):
    callback = entry(
        call_list,
        status=Status.CALLBACK,
        callback_at=NOW - dt.timedelta(minutes=1),
        customer=CustomerFactory(time_zone="America/New_York"),
    )
    assert dispatch_next(operator=operator, now=NOW) is None  # 00:00 in New York
    callback.refresh_from_db()
    assert callback.status == Status.CALLBACK
    assert callback.callback_at == dt.datetime(2026, 11, 25, 9, 0, tzinfo=NEW_YORK)


def test_refused_elsewhere_in_the_campaign_cancels_the_candidate(operator, call_list):
    one = entry(call_list)
    past_attempt(customer=one.customer, campaign=call_list.campaign, at=NOW - dt.timedelta(days=30), code="refused")
    dispatch_next(operator=operator, now=NOW)
    one.refresh_from_db()
    assert one.status == Status.CANCELLED


def test_a_candidate_held_in_another_campaign_is_left_as_it_is(operator, operator2, call_list):
    customer = CustomerFactory()
    mine = entry(call_list, customer=customer)
    entry(ready_list(working_campaign(operators=[operator2])), customer=customer)
    dispatch_next(operator=operator2, now=NOW)
    assert dispatch_next(operator=operator, now=NOW) is None
    mine.refresh_from_db()
    assert (mine.status, mine.next_attempt_at) == (Status.PENDING, None)


def test_the_claim_dnc_check_agrees_with_the_registry_service(call_list):
    """What the claim checks (dnc_blocked_sql) and contacts.services.dnc.is_blocked are one rule."""
    from django.db import connection

    from campaigns.services.dispatch import dnc_blocked_sql
    from contacts.services import dnc

    other_campaign = working_campaign(operators=[])
    cases = [
        {"phone_number": "+819011112222"},
        {"phone_number": "", "customer": "self"},
        {"phone_number": "+81312345678"},
        {"phone_number": "+819011112222", "campaign": "self"},
        {"phone_number": "+819011112222", "campaign": "other"},
        {"phone_number": "+819011112222", "revoked_at": NOW - dt.timedelta(hours=1)},
        {"phone_number": "+819011112222", "expires_at": NOW - dt.timedelta(hours=1)},
        {"phone_number": "+819011112222", "expires_at": NOW + dt.timedelta(hours=1)},
        {"phone_number": "+819099999999"},
        {"phone_number": "", "customer": "other"},
        # A family landline: another customer who shares 03-1234-5678 opted out as a customer.
        {"phone_number": "", "customer": "family"},
    ]
    sql = (
        "SELECT "
        + dnc_blocked_sql(at="%(at)s", campaign="e.campaign_id", customer="e.customer_id", phone="e.phone")
        + " FROM campaigns_calllistentry e WHERE e.id = %(entry)s"
    )
    outcomes = []
    for case in cases:
        customer = CustomerFactory(phones=["090-1111-2222", "03-1234-5678"])
        one = entry(call_list, customer=customer, phone="+819011112222")
        fields = dict(case)
        fields["customer"] = {
            "self": customer,
            "other": CustomerFactory(),
            None: None,
            "family": CustomerFactory(phones=["03-1234-5678"]) if case.get("customer") == "family" else None,
        }[fields.get("customer")]
        fields["campaign"] = {"self": call_list.campaign, "other": other_campaign, None: None}[fields.get("campaign")]
        registered = DoNotCallFactory(**fields)
        expected = dnc.is_blocked(phone=one.phone, customer=customer, campaign=call_list.campaign, at=NOW)
        with connection.cursor() as cursor:
            cursor.execute(sql, {"at": NOW, "entry": one.pk})
            got = cursor.fetchone()[0]
        outcomes.append(expected)
        assert got == expected, case
        with history_change("test: the next case starts with an empty registry"):
            registered.delete()
    assert outcomes.count(True) == 6 and outcomes.count(False) == 5


def test_the_policy_dispatch_reads_carries_every_setting(operator, call_list):
    """Dispatch reads the policy with its list scope (one query) and schedules parked entries
    with it: a setting missing there (e.g. "prefer best hours") would be silently ignored."""
    from campaigns.models import CallingPolicy
    from campaigns.selectors.console import dispatch_scope

    policy = call_list.campaign.policy
    policy.prefer_best_hours = True
    policy.save()
    read = dispatch_scope(operator, NOW)[0].policy
    stored = CallingPolicy.objects.get(pk=policy.pk)
    for field in CallingPolicy._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(stored, field.attname), field.name


# ------------------------------------------------------------------ renewing a hold during a long call


def test_a_renewed_hold_outlives_its_first_expiry(operator, operator2, campaign, call_list):
    campaign.operators.add(operator2)
    mine = entry(call_list)
    assert dispatch_next(operator=operator, now=NOW).pk == mine.pk
    renewed = renew_hold(entry_id=mine.pk, operator=operator, now=NOW + dt.timedelta(minutes=14))
    assert renewed.held_until == NOW + dt.timedelta(minutes=29) and not renewed.at_ceiling
    # The beat at the first expiry leaves it alone; nobody else is given the customer.
    assert release_expired_holds(now=NOW + dt.timedelta(minutes=16)) == 0
    assert dispatch_next(operator=operator2, now=NOW + dt.timedelta(minutes=16)) is None
    mine.refresh_from_db()
    assert mine.status == Status.HELD and mine.held_by == operator
    assert mine.held_at == NOW  # when the call began: renewals do not move it


def test_renewals_stop_at_the_ceiling(operator, campaign, call_list, settings):
    settings.DISPATCH_HOLD_MAX_MINUTES = 60
    mine = entry(call_list)
    dispatch_next(operator=operator, now=NOW)
    renewed = renew_hold(entry_id=mine.pk, operator=operator, now=NOW + dt.timedelta(minutes=40))
    assert renewed.held_until == NOW + dt.timedelta(minutes=55) and not renewed.at_ceiling
    renewed = renew_hold(entry_id=mine.pk, operator=operator, now=NOW + dt.timedelta(minutes=50))
    assert renewed.held_until == NOW + dt.timedelta(minutes=60) and renewed.at_ceiling
    # A tab left open keeps asking; the hold still ends at the ceiling and the beat puts it back.
    assert renew_hold(
        entry_id=mine.pk, operator=operator, now=NOW + dt.timedelta(minutes=59)
    ).held_until == NOW + dt.timedelta(minutes=60)
    assert release_expired_holds(now=NOW + dt.timedelta(minutes=61)) == 1


def test_only_the_holder_renews_and_only_while_held(operator, operator2, campaign, call_list):
    mine = entry(call_list)
    dispatch_next(operator=operator, now=NOW)
    with pytest.raises(HoldLost):
        renew_hold(entry_id=mine.pk, operator=operator2, now=NOW + dt.timedelta(minutes=1))
    # Expired but not put back yet: still this operator's, so it is renewed.
    assert renew_hold(
        entry_id=mine.pk, operator=operator, now=NOW + dt.timedelta(minutes=16)
    ).held_until == NOW + dt.timedelta(minutes=31)
    release_hold(entry_id=mine.pk, by=operator2, now=NOW + dt.timedelta(minutes=17))
    with pytest.raises(HoldLost):
        renew_hold(entry_id=mine.pk, operator=operator, now=NOW + dt.timedelta(minutes=18))
    mine.refresh_from_db()
    assert mine.status == Status.PENDING and mine.held_until is None and mine.held_at is None
