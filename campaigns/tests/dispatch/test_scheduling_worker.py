"""The retry schedule computed by a real Celery worker (Redis broker) after an outcome."""

import datetime as dt
import time

import pytest

from campaigns.models import CallListEntry, Disposition
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.tests.factories_console import TOKYO, entry, japan_standard, ready_list, working_campaign

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_worker_moves_the_retry_into_the_next_calling_window(celery_worker_process, operator):
    call_list = ready_list(working_campaign(operators=[operator], policy=japan_standard()))
    one = entry(call_list)
    at = dt.datetime(2026, 11, 25, 18, 30, tzinfo=TOKYO)  # Wednesday evening
    assert dispatch_next(operator=operator, now=at).pk == one.pk
    record_outcome(
        entry=one,
        operator=operator,
        disposition=Disposition.objects.get(code="no_answer"),
        started_at=at,
        ended_at=at + dt.timedelta(minutes=1),
        now=at + dt.timedelta(minutes=1),
    )
    # Provisional right after the commit: no sooner than the 240-minute no-answer delay (22:30,
    # outside hours); the worker then moves it to Thursday's opening.
    expected = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TOKYO)
    wait_for(lambda: CallListEntry.objects.get(pk=one.pk).next_attempt_at == expected)
    assert CallListEntry.objects.get(pk=one.pk).status == CallListEntry.Status.PENDING
