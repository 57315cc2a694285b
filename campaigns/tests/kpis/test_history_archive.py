"""Old months leave the live tables (campaigns.services.history_archive, `manage.py archive_history`):
past the retention, a month's partition moves to the `archive` schema with its rows and stays
append-only, the KPI rollups keep its figures through the nightly reconciliation, and the beat
task keeps partitions ahead."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from callcenter.partitions import add_months, ensure_partitions, month_of, monthly_partitions
from callcenter.tasks import create_partitions_ahead
from campaigns.models import KpiDaily
from campaigns.services.history_archive import archive_old_months
from campaigns.services.kpis import reconcile_kpi_rollups, refresh_kpi_rollups
from campaigns.tests.factories_console import entry, past_attempt, ready_list, working_campaign

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)


def scalar(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.fixture
def months(operator):
    """Partitions from June to November, a call in June and one in November."""
    with connection.cursor() as cursor:
        ensure_partitions(cursor, "campaigns_callattempt", "started_at", first=dt.date(2026, 6, 1), last=month_of(NOW))
    one = entry(ready_list(working_campaign(operators=[operator])))
    june = past_attempt(entry=one, operator=operator, at=dt.datetime(2026, 6, 10, 3, 0, tzinfo=dt.UTC))
    past_attempt(entry=one, operator=operator, at=NOW - dt.timedelta(days=1))
    return june


def june_dials() -> int:
    return sum(KpiDaily.objects.filter(day__year=2026, day__month=6).values_list("dials", flat=True))


def test_retention_off_archives_nothing(months):
    assert archive_old_months(now=NOW) == []


def test_a_month_past_retention_moves_to_the_archive_and_the_kpis_keep_it(months, settings):
    settings.ATTEMPT_RETENTION_MONTHS = 3  # August, September and October stay with November
    out = StringIO()
    call_command("archive_history", "--dry-run", stdout=out)
    assert "would archive campaigns_callattempt_p2026_06: 1 rows" in out.getvalue()
    results = archive_old_months(now=NOW)
    assert [(r.partition, r.rows, r.archived) for r in results if r.table == "campaigns_callattempt"] == [
        ("campaigns_callattempt_p2026_06", 1, True),
        ("campaigns_callattempt_p2026_07", 0, True),
    ]
    with connection.cursor() as cursor:
        assert dt.date(2026, 6, 1) not in monthly_partitions(cursor, "campaigns_callattempt")
    assert scalar("SELECT count(*) FROM archive.campaigns_callattempt_p2026_06") == 1
    assert not scalar("SELECT EXISTS (SELECT 1 FROM campaigns_callattempt WHERE id = %s)", [months.pk])
    # Still append-only in the archive.
    with pytest.raises(DatabaseError, match="history"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive.campaigns_callattempt_p2026_06")
    # The rollups counted June before it went, and the nightly rebuild leaves it alone.
    assert june_dials() == 1
    reconcile_kpi_rollups(now=NOW)
    assert june_dials() == 1
    assert sum(KpiDaily.objects.filter(day__month=11).values_list("dials", flat=True)) == 1


def test_a_month_the_kpis_have_not_counted_stays(months, settings, monkeypatch):
    settings.ATTEMPT_RETENTION_MONTHS = 3
    monkeypatch.setattr("campaigns.services.history_archive.refresh_kpi_rollups", lambda **kwargs: None)
    results = {r.partition: r for r in archive_old_months(now=NOW)}
    assert not results["campaigns_callattempt_p2026_06"].archived
    assert "KPI" in results["campaigns_callattempt_p2026_06"].reason
    refresh_kpi_rollups(now=NOW)
    assert archive_old_months(now=NOW)[0].archived


def test_the_beat_task_creates_the_months_ahead_once():
    created = create_partitions_ahead()
    assert set(created) == {"campaigns_callattempt", "callcenter_auditevent"}
    assert create_partitions_ahead() == {"campaigns_callattempt": [], "callcenter_auditevent": []}
    this_month = month_of(dt.datetime.now(dt.UTC))
    with connection.cursor() as cursor:
        for table in created:
            assert {add_months(this_month, n) for n in range(4)} <= set(monthly_partitions(cursor, table))


def test_the_migration_fills_the_dialing_sums_of_the_counted_attempts_archived_months_included(
    months, operator, settings
):
    """Migration 0018 gives the existing rollup rows their dialing sums from the attempts the
    rollups counted, those of the months in the archive too (the nightly rebuild no longer reaches
    them); an attempt past the watermark is left to the next refresh, which adds it once."""
    import importlib
    from types import SimpleNamespace

    from campaigns.models import KpiHourly, KpiHourProfile

    migration = importlib.import_module("campaigns.migrations.0018_kpi_dialing_sums")
    call = months.entry
    for moment, ring, answered in [
        (dt.datetime(2026, 6, 10, 3, 20, tzinfo=dt.UTC), 14, True),
        (dt.datetime(2026, 6, 11, 4, 0, tzinfo=dt.UTC), 30, False),
        (NOW - dt.timedelta(days=1, minutes=10), 6, True),
    ]:
        past_attempt(
            entry=call, operator=operator, at=moment, ring_seconds=ring, answered_at=moment if answered else None
        )
    settings.ATTEMPT_RETENTION_MONTHS = 3
    assert archive_old_months(now=NOW)[0].archived  # counted first, then June leaves
    late = NOW - dt.timedelta(hours=20)
    past_attempt(entry=call, operator=operator, at=late, ring_seconds=9, answered_at=late)  # not counted yet

    def dialing(model, **where):
        rows = model.objects.filter(**where).values_list("answered", "rung", "ring_seconds")
        return tuple(sum(row[i] for row in rows) for i in range(3))

    for model in (KpiHourly, KpiDaily, KpiHourProfile):
        model.objects.update(answered=0, rung=0, ring_seconds=0)  # as the migration finds them
    migration.fill_dialing_sums(None, SimpleNamespace(connection=connection))
    for model in (KpiHourly, KpiDaily, KpiHourProfile):
        assert dialing(model, day__month=6) == (1, 2, 44), model
        assert dialing(model, day__month=11) == (1, 1, 6), model
    refresh_kpi_rollups(now=NOW)
    assert dialing(KpiDaily, day__month=11) == (2, 2, 15)
    reconcile_kpi_rollups(now=NOW)
    assert dialing(KpiDaily, day__month=6) == (1, 2, 44) and dialing(KpiDaily, day__month=11) == (2, 2, 15)
