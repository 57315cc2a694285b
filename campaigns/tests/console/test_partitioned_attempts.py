"""Attempts are partitioned by month (callcenter.partitions): the rows that point at an attempt
have no database constraint any more, so the code paths that write them must keep them right.
Each relation still resolves, and the table is still append-only through its partitions."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from campaigns.models import AttemptToken, CallAttempt, CallEvent, Disposition, Refusal
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.tests.factories_console import WEDNESDAY_2PM, entry, japan_standard, ready_list, working_campaign

pytestmark = pytest.mark.django_db
NOW = WEDNESDAY_2PM


def test_an_outcome_is_reachable_from_its_token_refusal_and_call_events(operator):
    one = entry(ready_list(working_campaign(operators=[operator], policy=japan_standard())))
    one = dispatch_next(operator=operator, now=NOW)
    CallEvent.objects.create(
        entry=one, held_at=one.held_at, kind=CallEvent.Kind.DIALING, source=CallEvent.Source.CONSOLE, at=NOW
    )
    result = record_outcome(
        entry=one,
        operator=operator,
        disposition=Disposition.objects.get(code="refused"),
        started_at=NOW,
        ended_at=NOW + dt.timedelta(seconds=90),
        client_token="partitioned-1",
        now=NOW + dt.timedelta(minutes=2),
    )
    attempt = result.attempt
    assert AttemptToken.objects.select_related("attempt").get(token="partitioned-1").attempt == attempt
    refusals = Refusal.objects.filter(customer=one.customer).select_related("attempt")
    assert refusals and {r.attempt for r in refusals} == {attempt}
    assert [event.attempt_id for event in CallEvent.objects.filter(entry=one)] == [attempt.pk]
    assert list(CallAttempt.objects.get(pk=attempt.pk).call_events.all()) == list(CallEvent.objects.filter(entry=one))
    # Append-only through the partitioned parent and through the partition itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM campaigns_callattempt WHERE id = %s", [attempt.pk])
        partition = cursor.fetchone()[0]
    for sql in (
        "UPDATE campaigns_callattempt SET notes = 'x' WHERE id = %s",
        f"DELETE FROM {partition} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="history"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [attempt.pk])
