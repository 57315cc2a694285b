"""The statements that run against big tables keep index plans when the planner's statistics are
missing (a table loaded and never analyzed, autovacuum off as here) or stale (analyzed small, then
grown tenfold): the do-not-call badge of a page of customers, a segment count, a list build and a
dispatch. Each test loads the tables with the benchmark's set-based generators, leaves the
statistics in that state, runs the real operation, and checks the plans of the statements it ran
(EXPLAIN, no timing): the dispatch never scans a big table, the segment count and the list build
never scan one again for each row of another, and the badge, whose plan is pinned, probes indexes
only (unpinned, at 300,000 customers without statistics it scanned the phone table per registry
row per customer: 14 minutes for a page). A scan computed once (hashed) is fine at this size."""

import json
import re

import pytest
import sqlparse
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import bench._common as generators
from campaigns.services.dispatch import dispatch_next
from campaigns.services.lists import request_call_list
from campaigns.tests.factories_console import open_around_the_clock, working_campaign
from contacts.models import Customer
from contacts.segments import customers_matching
from contacts.services.dnc import PROBE_PLAN_SQL, blocked_customer_ids

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
BIG_TABLES = {"contacts_customer", "contacts_phonenumber", "contacts_donotcall", "campaigns_calllistentry"}
CUSTOMERS, DNC_ENTRIES = 30_000, 3_000


@pytest.fixture(params=["missing", "stale"])
def loaded(request, monkeypatch, settings):
    """Customers with numbers and a do-not-call registry, the statistics `missing` or `stale`."""
    settings.CALLCENTER_PREPARED_STATEMENTS = False  # the captured statements are the SQL itself
    real_execute = generators._execute

    def without_analyze(sql, params=()):
        if not sql.lstrip().upper().startswith("ANALYZE"):
            real_execute(sql, params)

    if request.param == "stale":
        generators.ensure_customers(CUSTOMERS // 10)
        generators.ensure_dnc(DNC_ENTRIES // 10)  # analyzed at a tenth of their size
    monkeypatch.setattr(generators, "_execute", without_analyze)
    generators.ensure_customers(CUSTOMERS)
    generators.ensure_dnc(DNC_ENTRIES)
    if request.param == "missing":
        forget_statistics(*BIG_TABLES)
    return request.param


def forget_statistics(*tables: str) -> None:
    """As after a load nothing analyzed: no column statistics, size never measured."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("DELETE FROM pg_statistic WHERE starelid = %s::regclass", [table])
            cursor.execute("UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = %s::regclass", [table])


def plan_of(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
    return (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]


def nodes(plan: dict, *, repeated: bool = False):
    """(node, runs once per row of something else) for every node of the plan."""
    yield plan, repeated
    # A subplan the node's conditions use as "hashed SubPlan n" is computed once, as is an
    # InitPlan; any other SubPlan runs once per row the node reads.
    hashed = set(re.findall(r"hashed (SubPlan \d+)", json.dumps(plan, ensure_ascii=False)))
    for child in plan.get("Plans", []):
        relationship = child.get("Parent Relationship")
        per_row = repeated or (relationship == "Inner" and plan["Node Type"] == "Nested Loop")
        per_row = per_row or (relationship == "SubPlan" and child.get("Subplan Name") not in hashed)
        yield from nodes(child, repeated=per_row)


def big_table_scans(plan: dict, *, repeated_only: bool) -> list[str]:
    return [
        f"{node['Relation Name']} (once per row)" if repeated else node["Relation Name"]
        for node, repeated in nodes(plan)
        if node["Node Type"] == "Seq Scan"
        and node.get("Relation Name") in BIG_TABLES
        and (repeated or not repeated_only)
    ]


def statements_touching(captured: CaptureQueriesContext, table: str) -> list[str]:
    """The statements run that name `table` (a round trip may carry several: split)."""
    statements = [
        statement.strip().rstrip(";")
        for query in captured.captured_queries
        for statement in sqlparse.split(query["sql"])
    ]
    return [
        statement
        for statement in statements
        if table in statement and statement.upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE"))
    ]


def test_the_checker_sees_a_scan_repeated_for_each_row(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_material = off")
        plan = plan_of(
            "SELECT 1 FROM contacts_customer c JOIN contacts_phonenumber p ON p.customer_id = c.id WHERE c.id < 10"
        )
    assert "contacts_phonenumber (once per row)" in big_table_scans(plan, repeated_only=True)


def test_the_dnc_badge_of_a_page_of_customers_probes_indexes_only(loaded):
    """Its plan is pinned (PROBE_PLAN_SQL, set in its own transaction): nested loops over index
    probes, no scan and no hash or merge join of a big table, at any size and any statistics."""
    page = list(Customer.objects.order_by("external_id").values_list("id", flat=True)[:50])
    with CaptureQueriesContext(connection) as captured:
        blocked_customer_ids(page)
    executed = [query["sql"] for query in captured.captured_queries]
    [badge] = statements_touching(captured, "contacts_donotcall")
    assert executed.index(PROBE_PLAN_SQL) < executed.index(badge)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PROBE_PLAN_SQL)
        plan = plan_of(badge)
    assert big_table_scans(plan, repeated_only=False) == []
    assert not [node["Node Type"] for node, _ in nodes(plan) if node["Node Type"] in ("Hash Join", "Merge Join")]


def test_the_badge_leaves_the_planner_settings_of_its_callers_transaction_as_they_were(db):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")  # a caller's own choice
        blocked_customer_ids([1, 2, 3])
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_hashjoin'), "
            "current_setting('enable_mergejoin'), current_setting('join_collapse_limit')"
        )
        assert cursor.fetchone() == ("on", "off", "on", "8")


def test_a_segment_count_reads_the_customers_once(loaded):
    segment = {"match": "all", "rules": [{"field": "prefecture", "op": "eq", "value": "東京都"}]}
    with CaptureQueriesContext(connection) as captured:
        assert customers_matching(segment).count() == CUSTOMERS // 10
    [count] = statements_touching(captured, "contacts_customer")
    assert big_table_scans(plan_of(count), repeated_only=True) == []


def test_a_list_build_and_a_dispatch_from_it_keep_their_plans(loaded, operator, supervisor):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock())
    with CaptureQueriesContext(connection) as captured:
        call_list = request_call_list(
            campaign=campaign,
            name="everyone",
            by=supervisor,
            criteria={"match": "all", "rules": []},
            inline_limit=10**9,
        )
    assert call_list.status == "ready" and call_list.counts["included"] > CUSTOMERS // 2
    [build] = [sql for sql in statements_touching(captured, "INSERT INTO campaigns_calllistentry")]
    assert big_table_scans(plan_of(build), repeated_only=True) == []

    # The build analyzed the entries it wrote (callcenter.statistics); a dispatch must not need
    # that either: the entries' statistics go too.
    forget_statistics("campaigns_calllistentry")
    with CaptureQueriesContext(connection) as captured:
        held = dispatch_next(operator=operator, now=timezone.now())
    assert held is not None
    claims = statements_touching(captured, "campaigns_calllistentry")
    assert claims
    for claim in claims:
        assert big_table_scans(plan_of(claim), repeated_only=False) == [], claim[:300]
