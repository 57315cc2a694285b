"""Many incremental refreshes leave exactly the rows a full reconciliation builds, row for row, in
every rollup table: attempts and state intervals arrive in batches, ids are taken by inserts that
commit late (around the watermark) or roll back, intervals stay open across runs."""

import datetime

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from callcenter.history import history_change
from campaigns.models import AgentStateLog, CallAttempt, KpiDaily, KpiHourly, KpiHourProfile, KpiOperatorHour
from campaigns.services.kpis import COMMIT_GRACE, reconcile_kpi_rollups, refresh_kpi_rollups
from campaigns.tests.factories_kpis import DAY, at, make_operator, make_state
from campaigns.tests.kpis.test_kpis_rollups import World
from conftest import another_transaction

ROLLUPS = (KpiHourly, KpiOperatorHour, KpiDaily, KpiHourProfile)


def rollup_rows() -> dict:
    """Every row of every rollup table, without the surrogate id, in key order."""
    rows = {}
    for model in ROLLUPS:
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        rows[model.__name__] = sorted(
            model.objects.values_list(*fields), key=lambda row: tuple((value is None, value or 0) for value in row)
        )
    return rows


def take_attempt_id() -> int:
    """An id taken by an insert that has not committed yet (or will roll back)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('campaigns_callattempt', 'id'))")
        return cursor.fetchone()[0]


def logged_at(moment, since_id: int) -> None:
    """The attempts past `since_id` were logged at `moment` (the test's clock, not the wall clock)."""
    with history_change("test: attempts logged at another moment"):
        CallAttempt.objects.filter(id__gt=since_id).update(created_at=moment)


def commit_late(reserved_id: int, world, started_at, moment) -> None:
    """The insert that took `reserved_id` commits now."""
    world.attempts(1, started_at, started_at + datetime.timedelta(minutes=5))
    newest = CallAttempt.objects.order_by("-id").first()
    with history_change("test: an insert that took an earlier id"):
        CallAttempt.objects.filter(id=newest.id).update(id=reserved_id, created_at=moment)


@pytest.mark.django_db
def test_incremental_refreshes_build_the_same_rows_as_a_full_reconciliation(reference_data):
    world = World(seed=11)
    now = at(DAY, 8)
    newest = 0
    in_flight = []  # ids taken by inserts still open, with the batch that commits them
    for batch in range(12):
        start, now = now, now + datetime.timedelta(minutes=47 + 13 * batch)  # batches cross hours and midnight
        # attempts of this batch, some of them around an id taken by an insert committing later
        if batch % 3 == 1:
            in_flight.append((take_attempt_id(), batch + 1))
        if batch % 4 == 2:
            take_attempt_id()  # rolled back: a hole for good
        world.attempts(world.random.randint(5, 40), start, now)
        for reserved_id, commit_batch in [item for item in in_flight if item[1] == batch]:
            commit_late(reserved_id, world, start, now)
            in_flight.remove((reserved_id, commit_batch))
        logged_at(now - datetime.timedelta(seconds=2), newest)
        newest = CallAttempt.objects.order_by("-id").values_list("id", flat=True).first()
        # state intervals: the ones left open end during this batch, new ones follow, the last stays open
        changed_state_at = start + (now - start) / 3
        AgentStateLog.objects.filter(ended_at__isnull=True).update(ended_at=changed_state_at)
        world.states(changed_state_at, now - datetime.timedelta(minutes=1), leave_open=True)
        refresh_kpi_rollups(now=now)
    # the last inserts in flight commit; a last run once every hole is older than the grace
    for reserved_id, _batch in in_flight:
        commit_late(reserved_id, world, now - datetime.timedelta(minutes=30), now)
    now += COMMIT_GRACE + datetime.timedelta(seconds=5)
    refresh_kpi_rollups(now=now)
    incremental = rollup_rows()
    assert KpiOperatorHour.objects.aggregate(time=Sum("logged_in_seconds"))["time"] > 0

    assert reconcile_kpi_rollups(now=now).corrected == 0
    assert rollup_rows() == incremental
    assert KpiHourly.objects.aggregate(dials=Sum("dials"))["dials"] == CallAttempt.objects.count()


@pytest.mark.django_db(transaction=True)
def test_an_interval_closed_by_a_transaction_that_outlasts_the_grace_is_recounted(reference_data):
    """An operator goes offline in a slow transaction (the interval's end is the time it began); a
    refresh meanwhile counts the interval as still open. However late that transaction commits, a
    later refresh recounts the hours, as a reconciliation would."""
    operator = make_operator("kpi_slow_close")
    began = timezone.now()
    make_state(operator=operator, state="ready", started_at=began - datetime.timedelta(hours=2))

    def go_offline():
        AgentStateLog.objects.filter(operator=operator, ended_at__isnull=True).update(ended_at=timezone.now())

    with another_transaction(go_offline):
        # A refresh long after, in the next hour: it counts the open interval into that hour, which
        # must lose the time again once the interval turns out to have ended before it.
        next_hour = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
        while_open = next_hour + COMMIT_GRACE + datetime.timedelta(minutes=5)
        assert refresh_kpi_rollups(now=while_open).operator_hours > 0
    later = while_open + datetime.timedelta(seconds=30)
    refresh_kpi_rollups(now=later)
    incremental = rollup_rows()
    assert reconcile_kpi_rollups(now=later).corrected == 0
    assert rollup_rows() == incremental
