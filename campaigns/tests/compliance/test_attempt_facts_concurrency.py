"""Two calls of one customer logged by concurrent transactions: the second one's facts count the
first once it commits (the facts trigger takes the customer's call-logging lock, migration
0020_attempt_facts_one_call_at_a_time), so the gap the pair breaks is reported."""

import datetime as dt

import pytest

from campaigns.models import CallAttempt, Campaign
from campaigns.selectors.compliance import compliance_report
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory
from campaigns.tests.factories_console import TOKYO, entry, past_attempt, ready_list
from conftest import another_transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MONDAY = dt.date(2026, 11, 16)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY, dt.time(hour, minute), tzinfo=TOKYO)


def test_a_call_logged_while_another_of_the_customer_is_uncommitted_counts_it(reference_data):
    policy = CallingPolicyFactory(min_gap_minutes=60, cap_attempts=None, weekdays=[0, 1, 2, 3, 4, 5, 6])
    first_campaign = CampaignFactory(policy=policy, status=Campaign.Status.ACTIVE)
    second_campaign = CampaignFactory(policy=policy, status=Campaign.Status.ACTIVE)
    first_entry = entry(ready_list(first_campaign))
    second_entry = entry(ready_list(second_campaign), customer=first_entry.customer)

    # The first call's transaction stays open until the second one waits for it, then commits.
    with another_transaction(
        lambda: past_attempt(entry=first_entry, at=at(10, 0), attempt_number=1), commit_once_waited_on=True
    ) as first:
        second = past_attempt(entry=second_entry, at=at(10, 30), attempt_number=1)

    second.refresh_from_db()
    assert second.previous_call_at == first.started_at
    report = compliance_report(second_campaign, date_from=MONDAY, date_to=MONDAY)
    gap = next(row for row in report.rules if row["rule"] == "min_gap")
    assert gap["examples"] == [second.pk]
    assert CallAttempt.objects.get(pk=first.pk).previous_call_at is None


def test_the_trigger_takes_the_lock_of_the_table_of_namespaces():
    """The trigger's SQL names the namespace by its number (a migration does not import the
    table): the number is CUSTOMER_CALLS of callcenter.locks."""
    from django.db import connection

    from callcenter.locks import AdvisoryLock

    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'campaigns_attempt_store_facts'")
        (source,) = cursor.fetchone()
    assert f"pg_advisory_xact_lock({int(AdvisoryLock.CUSTOMER_CALLS)}, " in source
