"""The facts an attempt stores when it is logged (trigger attempt_facts) and the policy versions it
points at: the trigger and the set-based campaigns_attempt_facts_all agree on a history logged in
order; an attempt logged after later ones counts them; a policy keeps its past versions."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from callcenter.history import history_change
from campaigns.models import CallAttempt, CallingPolicyVersion
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.factories_console import TOKYO, entry, japan_standard, past_attempt, ready_list
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

COLUMNS = (
    "policy_version_id",
    "local_date",
    "local_time",
    "previous_call_at",
    "next_call_at",
    "last_contact_at",
    "previous_callback_at",
    "calls_in_cap_window",
    "calls_that_day",
    "round_position",
)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 16 + day, hour, minute, tzinfo=TOKYO)


def stored_and_computed():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(COLUMNS)} FROM campaigns_callattempt ORDER BY id")
        stored = cursor.fetchall()
        cursor.execute(f"SELECT id, {', '.join(COLUMNS)} FROM campaigns_attempt_facts_all() ORDER BY id")
        computed = cursor.fetchall()
    return stored, computed


def facts(attempt) -> dict:
    return CallAttempt.objects.filter(pk=attempt.pk).values(*COLUMNS).get()


def test_the_trigger_stores_what_the_set_based_function_computes(reference_data):
    policy = japan_standard(cap_attempts=3, cap_days=7)
    campaign, other = CampaignFactory(policy=policy), CampaignFactory(policy=japan_standard(cap_attempts=None))
    mine, theirs = ready_list(campaign), ready_list(other)
    one, lost = entry(mine), entry(mine, customer=CustomerFactory(time_zone="Mars/Olympus"))
    there = entry(theirs, customer=one.customer)
    # logged in the order the calls started: two rounds, a conversation with a callback, another
    # campaign in between, two calls at the same moment, a customer whose time zone is unknown
    past_attempt(entry=one, at=at(0, 10), attempt_number=1)
    past_attempt(entry=one, at=at(0, 13), attempt_number=2)
    past_attempt(entry=there, at=at(1, 9), attempt_number=1, code="callback", callback_at=at(1, 15))
    past_attempt(entry=one, at=at(1, 11), attempt_number=3, code="success")
    past_attempt(entry=there, at=at(1, 15), attempt_number=2)
    past_attempt(entry=one, at=at(3, 10), attempt_number=1)
    past_attempt(entry=one, at=at(3, 10), attempt_number=2)
    past_attempt(entry=lost, at=at(0, 10), attempt_number=1)
    past_attempt(entry=lost, at=at(0, 12), attempt_number=2)
    past_attempt(customer=one.customer, campaign=campaign, at=at(4, 10), attempt_number=1)
    stored, computed = stored_and_computed()
    assert stored == computed
    by_time = list(CallAttempt.objects.filter(customer=one.customer).order_by("started_at", "id"))
    fifth = facts(by_time[4])
    assert fifth["previous_call_at"] == at(1, 11) and fifth["last_contact_at"] == at(1, 11)
    assert fifth["previous_callback_at"] == at(1, 15) and fifth["round_position"] == 2
    assert facts(by_time[6])["round_position"] == 2 and facts(by_time[6])["calls_that_day"] == 2
    assert facts(by_time[6])["calls_in_cap_window"] == 7  # every call since Monday
    assert facts(CallAttempt.objects.filter(customer=lost.customer).first())["local_date"] is None
    assert facts(by_time[0])["local_time"] == dt.time(10, 0)


def test_an_attempt_logged_after_later_ones_counts_them(reference_data):
    campaign = CampaignFactory(policy=japan_standard(cap_attempts=2, cap_days=7))
    one = entry(ready_list(campaign))
    past_attempt(entry=one, at=at(0, 10), attempt_number=1)
    past_attempt(entry=one, at=at(0, 14), attempt_number=2)
    late = past_attempt(entry=one, at=at(0, 12), attempt_number=2)
    got = facts(late)
    assert got["previous_call_at"] == at(0, 10) and got["next_call_at"] == at(0, 14)
    assert got["calls_that_day"] == 3 and got["round_position"] == 3 and got["calls_in_cap_window"] == 3


def test_moving_a_call_recomputes_its_facts(reference_data):
    campaign = CampaignFactory(policy=japan_standard())
    attempt = past_attempt(entry=entry(ready_list(campaign)), at=at(0, 10), attempt_number=1)
    with history_change("test: move a call"), connection.cursor() as cursor:
        cursor.execute("UPDATE campaigns_callattempt SET started_at = %s WHERE id = %s", [at(1, 3), attempt.pk])
    assert facts(attempt)["local_time"] == dt.time(3, 0) and facts(attempt)["local_date"] == dt.date(2026, 11, 17)


def test_a_policy_keeps_its_versions_and_an_attempt_the_one_in_force(reference_data):
    policy = japan_standard(max_attempts=6)
    campaign = CampaignFactory(policy=policy)
    one = entry(ready_list(campaign))
    before = past_attempt(entry=one, at=at(0, 10), attempt_number=1)
    policy.max_attempts = 2
    policy.save()
    policy.description = "only the description"
    policy.save()
    after = past_attempt(entry=one, at=at(1, 10), attempt_number=2)
    versions = list(CallingPolicyVersion.objects.filter(policy=policy).order_by("number"))
    assert [(v.number, v.max_attempts) for v in versions] == [(1, 6), (2, 2)]
    assert facts(before)["policy_version_id"] == versions[0].pk
    assert facts(after)["policy_version_id"] == versions[1].pk
    with pytest.raises(DatabaseError, match="history"), transaction.atomic():
        CallingPolicyVersion.objects.filter(pk=versions[0].pk).update(max_attempts=9)
