"""Read replica against a real streaming replica: the tests start a throwaway PostgreSQL primary
and a hot standby of it (callcenter.testing.servers.streaming_replica_pair), copy the test
database onto the primary, and point "default" at the primary and "replica" at the standby. The
dashboards read on the standby, writes and call decisions never touch it, a lagging or stopped
standby sends reads back to the primary, and /healthz reports the lag."""

import copy
import subprocess
import time

import psycopg2
import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from callcenter import db_routing
from callcenter.testing.servers import streaming_replica_pair
from campaigns.models import Disposition
from campaigns.services.dispatch import dispatch_next
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.services.outcomes import record_outcome
from campaigns.tests.factories_console import WEDNESDAY_2PM, entry, ready_list, working_campaign
from campaigns.tests.factories_kpis import DAY, at, hand_dataset
from contacts.tests.factories import CustomerFactory, SegmentFactory

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "replica"]), pytest.mark.slow]
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "CREATE", "ALTER", "DROP", "SELECT SETVAL", "LOCK")


def connect(port: int, dbname: str):
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname)
    conn.autocommit = True
    return conn


def scalar(port: int, dbname: str, sql: str):
    conn = connect(port, dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    finally:
        conn.close()


def copy_test_database(source: dict, port: int) -> None:
    """The migrated test database, schema and reference rows, onto the pair's primary."""
    name = source["NAME"]
    admin = connect(port, "postgres")
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    source_args = [
        "-h",
        source["HOST"] or "127.0.0.1",
        "-p",
        str(source["PORT"] or 5432),
        "-U",
        source["USER"] or "postgres",
    ]
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", *source_args, name], capture_output=True, check=True
    ).stdout
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name],
        input=dump,
        capture_output=True,
        check=True,
    )


def wait_until_replayed(primary_port: int, standby_port: int, timeout: float = 30) -> None:
    """Until the standby has replayed everything the primary had written when this was called."""
    # The insert position, not the write position: the pair commits asynchronously
    # (synchronous_commit = off), so a commit may be in the WAL buffers and not written yet.
    target = scalar(primary_port, "postgres", "SELECT pg_current_wal_insert_lsn()::text")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scalar(standby_port, "postgres", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise AssertionError(f"the standby did not replay up to {target} within {timeout} s")


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker):
    """(primary, standby) with "default" on the primary and "replica" on the standby."""
    databases = settings.DATABASES
    default = databases["default"]
    with django_db_blocker.unblock():
        source = dict(default)
    with streaming_replica_pair() as (primary, standby):
        copy_test_database(source, primary.port)
        wait_until_replayed(primary.port, standby.port)
        saved = {key: default[key] for key in ("HOST", "PORT")}
        connections.close_all()
        default.update(HOST="127.0.0.1", PORT=str(primary.port))
        replica = copy.deepcopy(default)
        replica.update(PORT=str(standby.port), TEST={**default.get("TEST", {}), "MIRROR": "default"})
        replica["OPTIONS"] = {**default.get("OPTIONS", {}), "connect_timeout": "2"}
        databases["replica"] = replica
        try:
            yield primary, standby
        finally:
            connections.close_all()
            del connections["replica"]
            del databases["replica"]
            default.update(saved)


@pytest.fixture
def replica(pair, settings):
    """The pair, with the router's view of the standby measured afresh for each test."""
    primary, standby = pair
    settings.REPLICA_CHECK_SECONDS = 3600  # a test asks for a fresh measurement when it needs one
    settings.REPLICA_MAX_LAG_SECONDS = 10
    if not standby.running:
        standby.start()
    db_routing.replica_state(fresh=True)
    yield pair
    db_routing.replica_state(fresh=True)


def kpi_data():
    data = hand_dataset()
    refresh_kpi_rollups(now=at(DAY, 23))
    return data


def statements(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


def kpis(client) -> dict:
    response = client.get("/api/v1/kpis/", {"from": DAY.isoformat(), "to": DAY.isoformat(), "group_by": "operator"})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_replica_alias_is_a_standby_of_the_primary(replica):
    primary, standby = replica
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        assert cursor.fetchone() == (True, standby.port)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        assert cursor.fetchone() == (False, primary.port)


def test_dashboard_and_kpi_api_read_on_the_standby(replica, reference_data, manager, login, api_as):
    primary, standby = replica
    kpi_data()
    wait_until_replayed(primary.port, standby.port)
    client = login(manager)
    api = api_as(manager)

    with (
        CaptureQueriesContext(connections["replica"]) as on_standby,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        assert client.get("/campaigns/dashboard/", {"from": DAY.isoformat(), "to": DAY.isoformat()}).status_code == 200
        body = kpis(api)

    assert sum(row["dials"] for row in body["rows"]) == 7  # the figures of the hand data set
    standby_sql = statements(on_standby)
    assert any("GROUPING(" in sql for sql in standby_sql)  # the KPI tables' statement
    assert any("campaigns_kpi" in sql for sql in standby_sql)
    assert not [sql for sql in standby_sql if sql.lstrip().upper().startswith(WRITES)]
    # The primary served the session, the user and the token, and no KPI figure.
    assert not [sql for sql in statements(on_primary) if "campaigns_kpi" in sql]


def test_writes_and_call_decisions_never_go_to_the_standby(replica, reference_data, operator):
    """Even inside a block that lets reads go to the replica: dispatch and outcome read and write
    the primary (their reads run in the primary's transaction, their SQL on its connection)."""
    call_list = ready_list(working_campaign(operators=[operator]))
    held = entry(call_list)
    busy = Disposition.objects.get(code="busy")
    with CaptureQueriesContext(connections["replica"]) as on_standby, db_routing.replica_reads():
        claimed = dispatch_next(operator=operator, now=WEDNESDAY_2PM)
        assert claimed == held
        record_outcome(entry=held, operator=operator, disposition=busy, now=WEDNESDAY_2PM)
    assert statements(on_standby) == []


def test_a_lagging_standby_sends_reads_to_the_primary_and_healthz_reports_the_lag(
    replica, reference_data, manager, api_as, client, settings
):
    primary, standby = replica
    kpi_data()
    wait_until_replayed(primary.port, standby.port)
    api = api_as(manager)
    expected = kpis(api)
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    scalar(standby.port, "postgres", "SELECT pg_wal_replay_pause()")
    try:
        # A write the standby receives but does not replay: it falls behind.
        refresh_kpi_rollups(now=at(DAY, 23, 30))
        deadline = time.monotonic() + 20
        while db_routing.replica_state(fresh=True).usable and time.monotonic() < deadline:
            time.sleep(0.2)
        state = db_routing.replica_state()
        assert not state.usable and state.lag_seconds > 0.5 and "lags" in state.problem

        with CaptureQueriesContext(connections["replica"]) as on_standby:
            assert kpis(api) == expected
        assert not [sql for sql in statements(on_standby) if "campaigns_kpi" in sql]

        health = client.get("/healthz").json()
        assert health["replica"] == "failed" and health["replica_lag_seconds"] > 0.5
    finally:
        scalar(standby.port, "postgres", "SELECT pg_wal_replay_resume()")
    wait_until_replayed(primary.port, standby.port)
    health = client.get("/healthz").json()
    assert health["replica"] == "ok" and health["replica_lag_seconds"] == 0


def test_stopping_the_standby_changes_nothing_for_users(replica, reference_data, manager, login, api_as, client):
    primary, standby = replica
    kpi_data()
    wait_until_replayed(primary.port, standby.port)
    api = api_as(manager)
    browser = login(manager)
    before = kpis(api)
    assert db_routing.replica_state().usable

    standby.stop()
    # The router still believes the standby is up (its last check was fine): the first read fails
    # there, and the view runs again on the primary.
    assert kpis(api) == before
    assert not db_routing.replica_state().usable
    assert browser.get("/campaigns/dashboard/", {"from": DAY.isoformat(), "to": DAY.isoformat()}).status_code == 200
    assert kpis(api) == before
    health = client.get("/healthz")
    body = health.json()
    assert body["replica"] == "failed" and body["replica_lag_seconds"] is None
    # The replica is optional (its reads went back to the primary): only the three others decide
    # the status (no Celery worker runs in this test, so that one is "failed").
    required_ok = all(body[name] == "ok" for name in ("database", "redis", "celery"))
    assert body["database"] == "ok" and health.status_code == (200 if required_ok else 503)


def test_customer_search_exports_and_segment_counts_read_on_the_standby(
    replica, reference_data, supervisor, login, api_as
):
    primary, standby = replica
    customers = [CustomerFactory(name=f"レプリカ {n}", prefecture="東京都") for n in range(3)]
    segment = SegmentFactory(
        criteria={"match": "all", "rules": [{"field": "prefecture", "op": "eq", "value": "東京都"}]}
    )
    wait_until_replayed(primary.port, standby.port)
    browser = login(supervisor)
    api = api_as(supervisor)

    with CaptureQueriesContext(connections["replica"]) as search_on_standby:
        page = browser.get("/contacts/customers/", {"q": "レプリカ"})
    with CaptureQueriesContext(connections["replica"]) as export_on_standby:
        export = browser.get("/contacts/customers/export.csv")
        csv = b"".join(export.streaming_content).decode("utf-8-sig")  # streamed after the view returned
    with CaptureQueriesContext(connections["replica"]) as count_on_standby:
        count = api.get(f"/api/v1/segments/{segment.pk}/count/")

    assert page.status_code == 200 and customers[0].name in page.content.decode()
    assert export.status_code == 200 and all(customer.external_id in csv for customer in customers)
    assert count.status_code == 200 and count.json()["count"] == 3
    for on_standby in (search_on_standby, export_on_standby, count_on_standby):
        standby_sql = statements(on_standby)
        assert any("contacts_customer" in sql for sql in standby_sql)
        assert not [sql for sql in standby_sql if sql.lstrip().upper().startswith(WRITES)]
