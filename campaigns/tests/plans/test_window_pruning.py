"""Every rule that looks back over a window (the cross-campaign cap, the minimum gap, the cool-off
after a conversation, the attempts per day) reads only the monthly partitions of its window
(callcenter.partitions): the plans of the statements a dispatch runs, of the list build's set
rules and of the scheduler's history read name no partition of an older month, though those hold
rows. As literals the planner prunes at plan time; as parameters of a prepared statement (the
dispatch's generic plan) at executor start, which EXPLAIN ANALYZE shows as "Subplans Removed"."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from callcenter.partitions import add_months, ensure_partitions, month_of
from campaigns.services import policy_rules
from campaigns.services.dispatch import dispatch_next
from campaigns.services.scheduling import load_call_history
from campaigns.tests.factories_console import (
    WEDNESDAY_2PM,
    entry,
    japan_standard,
    past_attempt,
    ready_list,
    working_campaign,
)

pytestmark = pytest.mark.django_db
NOW = WEDNESDAY_2PM
PARTITION = "campaigns_callattempt_p"


def relations(plan: dict) -> set[str]:
    found = {plan["Relation Name"]} if "Relation Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= relations(child)
    return found


def attempt_partitions(sql: str, params=()) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        document = cursor.fetchone()[0]
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return {name for name in relations(plan) if name.startswith("campaigns_callattempt")}


@pytest.fixture
def history(settings, operator):
    """Partitions for the half year before NOW, an old call in June and one the day before NOW
    for the customer of a dialable entry."""
    settings.CALLCENTER_PREPARED_STATEMENTS = False  # the captured statements are the SQL itself
    with connection.cursor() as cursor:
        ensure_partitions(
            cursor, "campaigns_callattempt", "started_at", first=add_months(month_of(NOW), -6), last=month_of(NOW)
        )
    policy = japan_standard()
    one = entry(ready_list(working_campaign(operators=[operator], policy=policy)))
    past_attempt(entry=one, at=dt.datetime(2026, 6, 10, 3, 0, tzinfo=dt.UTC), code="no_answer")
    past_attempt(entry=one, at=NOW - dt.timedelta(days=1), code="no_answer")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaigns_callattempt")
        cursor.execute("SELECT count(*) FROM campaigns_callattempt_p2026_06")
        assert cursor.fetchone()[0] == 1
    return policy, one


def test_a_dispatch_reads_only_the_partitions_of_its_rules_windows(history, operator):
    with CaptureQueriesContext(connection) as captured:
        dispatch_next(operator=operator, now=NOW)
    claims = [q["sql"] for q in captured.captured_queries if "campaigns_callattempt" in q["sql"]]
    assert claims
    for sql in claims:
        # cap (7 days), gap (2 hours), cool-off (7 days), per day: all inside November
        assert attempt_partitions(sql) <= {f"{PARTITION}2026_11"}, sql[:300]


def test_the_list_builds_set_rules_read_only_their_window(history):
    policy, _ = history
    at = f"'{NOW.isoformat()}'::timestamptz"
    for sql in (
        policy_rules.customers_over_cap_sql(policy, at=at),
        policy_rules.customers_cooling_off_sql(policy, at=at),
    ):
        assert attempt_partitions(sql) == {f"{PARTITION}2026_11"}, sql


def test_the_schedulers_history_read_skips_older_months(history):
    _, one = history
    with CaptureQueriesContext(connection) as captured:
        load_call_history(entry=one, since=NOW - dt.timedelta(days=7))
    (sql,) = [q["sql"] for q in captured.captured_queries if "campaigns_callattempt" in q["sql"]]
    scanned = attempt_partitions(sql)
    # From the window's month on (later months and the default partition are empty).
    assert f"{PARTITION}2026_11" in scanned
    assert not {f"{PARTITION}2026_{m:02d}" for m in range(5, 11)} & scanned


def test_a_prepared_statements_generic_plan_prunes_at_executor_start(history):
    policy, one = history
    fragment = policy_rules.cap_reached_sql(policy, customer="$1", at="$2")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE window_probe (bigint, timestamptz) AS SELECT {fragment}")
        try:
            cursor.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE window_probe (%s, %s)", [one.customer_id, NOW.isoformat()]
            )
            document = cursor.fetchone()[0]
        finally:
            cursor.execute("DEALLOCATE window_probe")
    text = json.dumps(document)
    removed = sum(int(n) for n in re.findall(r'"Subplans Removed": (\d+)', text))
    assert removed >= 6  # June to October, the default partition and the months ahead
