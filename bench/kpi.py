"""KPI speed with 10,000,000 attempts: the manager dashboard (30 days, every campaign) rendered
server-side, GET /api/v1/kpis/ for the same period, and the same queries computed from the raw
attempts and agent-state tables for comparison. Prints one JSON object.

    .venv/bin/python bench/kpi.py      # KPI_BENCH_ATTEMPTS=n: fewer attempts; KPI_BENCH_REBUILD=1: rebuild rollups

The data (bench database <name>_bench_kpi) is created on the first run, which takes a while, and
reused afterwards: attempts over 365 days from bench/_common.py, spread over call lists with
segments, and a day of agent states per operator (ready, breaks, after-call work)."""

import datetime
import os
import statistics
import time

from _common import _count, _execute, django_setup, emit, ensure_attempts, ensure_customers, log, timed
from django.test import override_settings

ATTEMPTS = int(os.environ.get("KPI_BENCH_ATTEMPTS", 10_000_000))
DAYS = 365
RUNS = 7


def ensure_lists_and_segments():
    """Two lists per bench campaign, each built from one of three segments; attempts without a
    list are spread over their campaign's lists (one pass over the new rows)."""
    from django.db import connection

    from campaigns.models import CallList, Campaign
    from contacts.models import Segment

    segments = [
        Segment.objects.get_or_create(name=f"Bench segment {i}", defaults={"criteria": {"match": "all", "rules": []}})[
            0
        ]
        for i in range(1, 4)
    ]
    pairs = []
    for number, campaign in enumerate(Campaign.objects.filter(name__startswith="Bench campaign").order_by("id")):
        for i in range(2):
            call_list, _ = CallList.objects.get_or_create(
                campaign=campaign,
                name=f"Bench list {campaign.id}-{i}",
                defaults={"segment": segments[(number + i) % 3], "status": "ready"},
            )
            pairs.append((campaign.id, call_list.id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM campaigns_callattempt WHERE call_list_id IS NULL LIMIT 1")
        if cursor.fetchone() is None:
            return
    log("assigning attempts to call lists")
    cases = " ".join(
        f"WHEN campaign_id = {campaign_id} AND id % 2 = {i % 2} THEN {list_id}"
        for i, (campaign_id, list_id) in enumerate(pairs)
    )
    from callcenter.history import history_change

    # attempts are append-only (callcenter/history.py): the bench's own rows, arranged once
    with history_change("bench: spread the bench's attempts over their campaign's call lists"):
        _execute(f"UPDATE campaigns_callattempt SET call_list_id = CASE {cases} END WHERE call_list_id IS NULL")
    _execute("VACUUM ANALYZE campaigns_callattempt")


def ensure_agent_states(days: int):
    """Per bench operator and day, 09:00-20:00 Tokyo: ready, lunch break, ready, after-call work,
    short break, ready (set-based; days already present are skipped)."""
    from django.contrib.auth import get_user_model

    operator_ids = list(get_user_model().objects.filter(username__startswith="bench_op").values_list("id", flat=True))
    blocks = [
        ("ready", 0, 180),
        ("break", 180, 240),
        ("ready", 240, 420),
        ("acw", 420, 450),
        ("break", 450, 465),
        ("ready", 465, 660),
    ]
    values = ", ".join(f"('{state}', {start}, {end})" for state, start, end in blocks)
    before = _count("campaigns_agentstatelog")
    # 09:00 Tokyo = 00:00 UTC, as in ensure_attempts
    _execute(
        f"""
        INSERT INTO campaigns_agentstatelog (operator_id, state, reason, started_at, ended_at)
        SELECT o, b.state, '', d + make_interval(mins => b.start_minute), d + make_interval(mins => b.end_minute)
        FROM unnest(%s::bigint[]) AS o
        CROSS JOIN generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => %s),
            date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day', interval '1 day') AS day_utc
        CROSS JOIN LATERAL (SELECT day_utc AT TIME ZONE 'UTC' AS d) AS x
        CROSS JOIN (VALUES {values}) AS b(state, start_minute, end_minute)
        WHERE NOT EXISTS (SELECT 1 FROM campaigns_agentstatelog l WHERE l.operator_id = o AND l.started_at = d)
        """,
        [operator_ids, days],
    )
    if _count("campaigns_agentstatelog") != before:
        _execute("ANALYZE campaigns_agentstatelog")


def median_ms(function, runs=RUNS) -> tuple[float, float]:
    function()  # warm up (plans, caches)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), round(max(times), 1)


# Requests go through the whole Django stack, with DEBUG off; static files are not part of the
# figure, so their URLs come from the plain storage (no collectstatic manifest needed).
PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def main():
    django_setup("kpi")
    ensure_customers(200_000)
    ensure_attempts(ATTEMPTS, days=DAYS)
    ensure_lists_and_segments()
    ensure_agent_states(DAYS)
    emit(measure())


@override_settings(STORAGES=PLAIN_STATIC)
def measure(*, runs: int = RUNS, raw: bool = True) -> dict:
    """Bring the rollups up to date (from scratch when far behind), then time an incremental
    refresh, the dashboard and the API through the whole Django stack, and (with raw) the same
    queries on the raw tables. Needs Django set up on a database holding bench attempts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from campaigns.models import KpiWatermark
    from campaigns.selectors.kpis.figures import KpiFilter
    from campaigns.selectors.kpis.tables import kpi_table, kpi_tables
    from campaigns.services.kpis import reconcile_kpi_rollups, refresh_kpi_rollups
    from campaigns.views.kpis import DASHBOARD_TABLES

    figures = {"attempts": _count("campaigns_callattempt"), "agent_state_intervals": _count("campaigns_agentstatelog")}
    watermark = KpiWatermark.objects.filter(source="attempts").values_list("last_id", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM campaigns_callattempt")
        behind = cursor.fetchone()[0] - watermark
    if behind > 100_000 or os.environ.get("KPI_BENCH_REBUILD"):
        log(f"building the rollups from scratch (the nightly reconciliation; {behind:,} attempts behind)")
        with timed() as rebuild:
            reconcile_kpi_rollups()
        figures["full_rebuild_seconds"] = round(rebuild.seconds, 1)
        for table in (
            "campaigns_kpihourly",
            "campaigns_kpidaily",
            "campaigns_kpihourprofile",
            "campaigns_kpioperatorhour",
        ):
            _execute(f"VACUUM ANALYZE {table}")  # what autovacuum does after a rebuild: index-only scans work
    # incremental: 2,000 new attempts (a few minutes of a big floor) just logged
    _execute(
        """
        INSERT INTO campaigns_callattempt (campaign_id, call_list_id, customer_id, operator_id, phone, attempt_number,
            started_at, answered_at, ended_at, talk_seconds, hold_seconds, acw_seconds, disposition_id, reaction, notes,
            callback_personal, answers, created_at)
        SELECT campaign_id, call_list_id, customer_id, operator_id, phone, attempt_number,
               now() - interval '5 minutes', answered_at, now(), talk_seconds, hold_seconds, acw_seconds,
                   disposition_id,
               reaction, notes, callback_personal, answers, now()
        FROM campaigns_callattempt ORDER BY id DESC LIMIT 2000
        """
    )
    with timed() as incremental:
        result = refresh_kpi_rollups(now=timezone.now() + datetime.timedelta(seconds=30))
    figures["incremental_refresh_ms"] = round(incremental.seconds * 1000, 1)
    figures["incremental_refresh_attempts"] = result.attempts
    figures["rollup_rows_hourly"] = _count("campaigns_kpihourly")
    figures["rollup_rows_operator_hours"] = _count("campaigns_kpioperatorhour")

    manager, _ = get_user_model().objects.get_or_create(username="bench_manager")
    manager.groups.add(Group.objects.get(name="Manager"))
    from callcenter.signin.testing import sign_in

    client = sign_in(Client(), manager)  # a manager: second factor included
    today = timezone.localdate()
    start = today - datetime.timedelta(days=29)
    period = {"date_from": start.isoformat(), "date_to": today.isoformat()}

    def dashboard():
        response = client.get("/campaigns/dashboard/", period)
        assert response.status_code == 200, response.status_code

    def api(group_by):
        def call():
            response = client.get(
                "/api/v1/kpis/", {"from": start.isoformat(), "to": today.isoformat(), "group_by": group_by}
            )
            assert response.status_code == 200, response.status_code

        return call

    kpi_filter = KpiFilter(date_from=start, date_to=today)
    figures["dashboard_30d_ms"], figures["dashboard_30d_max_ms"] = median_ms(dashboard, runs=runs)
    figures["api_30d_none_ms"], figures["api_30d_none_max_ms"] = median_ms(api("none"), runs=runs)
    figures["api_30d_day_ms"], figures["api_30d_day_max_ms"] = median_ms(api("day"), runs=runs)
    figures["api_30d_operator_ms"], _max = median_ms(api("operator"), runs=runs)
    figures["rollup_dashboard_queries_ms"], _max = median_ms(
        lambda: (kpi_tables(kpi_filter, DASHBOARD_TABLES), kpi_tables(kpi_filter.previous(), ["none"])), runs=runs
    )
    totals = kpi_table(kpi_filter, "none")[0].figures
    figures["dials_30d"] = totals.dials
    if raw:
        # the same queries on the raw tables (no rollups)
        figures["raw_dashboard_queries_ms"], _max = median_ms(
            lambda: (
                kpi_tables(kpi_filter, DASHBOARD_TABLES, source="raw"),
                kpi_tables(kpi_filter.previous(), ["none"], source="raw"),
            ),
            runs=3,
        )
        figures["raw_api_none_ms"], _max = median_ms(lambda: kpi_table(kpi_filter, "none", source="raw"), runs=3)
        assert totals == kpi_table(kpi_filter, "none", source="raw")[0].figures, "rollup and raw disagree"
        figures["rollup_equals_raw_30d"] = True
    return figures


if __name__ == "__main__":
    main()
