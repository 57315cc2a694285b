"""campaigns.demo.history: realistic, rule-abiding, idempotent demo call history."""

import datetime as dt
import io
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from callcenter.models import AuditEvent
from campaigns.demo import history as demo_history
from campaigns.models import AgentStateLog, CallAttempt, CallListEntry, Campaign
from campaigns.services.scheduling import holiday_name
from campaigns.tests.factories_console import entry, japan_standard, ready_list, working_campaign
from contacts.models import Customer, DoNotCall
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def seeded(operator, operator2):
    policy = japan_standard()
    active = working_campaign(operators=[operator, operator2], policy=policy)
    finished = working_campaign(operators=[operator, operator2], policy=policy, status=Campaign.Status.FINISHED)
    customers = [CustomerFactory() for _ in range(220)]
    for campaign, people in ((active, customers[:160]), (finished, customers[100:])):
        call_list = ready_list(campaign)
        for rank, customer in enumerate(people, start=1):
            entry(call_list, customer=customer, rank=rank)
    users = {"operator1": operator, "operator2": operator2}
    demo_history.seed(users=users, stdout=io.StringIO())
    return users


def test_history_is_idempotent_and_follows_the_calling_rules(seeded):
    counts = (CallAttempt.objects.count(), AgentStateLog.objects.count(), DoNotCall.objects.count())
    before = list(CallListEntry.objects.order_by("id").values_list("status", "attempts", "next_attempt_at"))
    demo_history.seed(users=seeded, stdout=io.StringIO())
    assert (CallAttempt.objects.count(), AgentStateLog.objects.count(), DoNotCall.objects.count()) == counts
    assert list(CallListEntry.objects.order_by("id").values_list("status", "attempts", "next_attempt_at")) == before
    assert counts[0] > 200
    check_hours_days_and_spacing()
    check_entries_summaries_and_dnc()


def check_hours_days_and_spacing():
    per_entry = defaultdict(list)
    for attempt in CallAttempt.objects.all():
        local = attempt.started_at.astimezone(TOKYO)
        assert dt.time(9) <= local.time() < dt.time(20) and not (dt.time(12) <= local.time() < dt.time(13))
        assert local.weekday() < 6 and holiday_name(japan_standard(name="cal"), local.date()) is None
        per_entry[attempt.entry_id].append(attempt.started_at)
    for times in per_entry.values():
        times.sort()
        assert len(times) <= 3
        assert all(b - a >= dt.timedelta(days=7) for a, b in zip(times, times[1:]))


def test_evenings_and_saturdays_answer_more_and_operator_days_add_up(seeded):
    def rate(attempts):
        attempts = list(attempts)
        return sum(a.disposition.is_contact for a in attempts) / max(1, len(attempts))

    attempts = list(CallAttempt.objects.select_related("disposition"))
    evening = [a for a in attempts if a.started_at.astimezone(TOKYO).hour >= 18]
    morning = [a for a in attempts if a.started_at.astimezone(TOKYO).hour < 11]
    saturday = [a for a in attempts if a.started_at.astimezone(TOKYO).weekday() == 5]
    weekday = [a for a in attempts if a.started_at.astimezone(TOKYO).weekday() < 5]
    assert rate(evening) > rate(morning) + 0.1
    assert rate(saturday) > rate(weekday)
    check_state_logs()


def check_entries_summaries_and_dnc():
    for attempt in CallAttempt.objects.filter(disposition__code="dnc_request"):
        assert DoNotCall.objects.filter(
            customer=attempt.customer, source="operator", created_by=attempt.operator
        ).exists()
        assert CallListEntry.objects.get(pk=attempt.entry_id).status == CallListEntry.Status.BLOCKED
    assert CallAttempt.objects.filter(disposition__code="dnc_request").exists()
    # Rule 1 holds in the demo too: nobody is called (in any campaign) after asking not to be,
    # and every request is in the DNC audit trail like one made in the console.
    for request in DoNotCall.objects.filter(source="operator"):
        assert not CallAttempt.objects.filter(customer=request.customer, started_at__gt=request.created_at).exists()
        assert AuditEvent.objects.filter(action="dnc.create", object_id=str(request.pk)).exists()
    called = CallListEntry.objects.filter(attempts__gt=0)
    for one in called[:50]:
        assert one.attempts == CallAttempt.objects.filter(entry=one).count()
    customer = Customer.objects.filter(attempt_count__gt=0).first()
    assert customer.attempt_count == CallAttempt.objects.filter(customer=customer).count()
    assert CallListEntry.objects.filter(attempts=0, status="pending").exists()  # fresh ones left to dial
    finished_open = CallListEntry.objects.filter(campaign__status="finished", status__in=["pending", "callback"])
    assert not finished_open.filter(attempts__gt=0).exists()


def check_state_logs():
    by_operator = defaultdict(list)
    for log in AgentStateLog.objects.all():
        assert log.ended_at is not None and log.ended_at >= log.started_at
        by_operator[log.operator_id].append((log.started_at, log.ended_at, log.state))
    for intervals in by_operator.values():
        intervals.sort()
        for (s1, e1, _), (s2, e2, _) in zip(intervals, intervals[1:]):
            assert s2 >= e1 - dt.timedelta(seconds=1), (s1, e1, s2, e2)
    states = {state for intervals in by_operator.values() for _, _, state in intervals}
    assert {"ready", "on_call", "acw", "break"} <= states
