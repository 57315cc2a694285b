"""Jobs that write a large share of a table refresh its planner statistics before they report
done (callcenter.statistics), through whichever path they took: imports through the indexes or as
a bulk load, do-not-call imports, list builds and recycles. Each test starts from a table whose
statistics are gone and whose size the planner believes to be zero, as after a load with
autovacuum off (it is off here), and looks for the statistics the job left (pg_stats)."""

import pytest
from django.db import connection
from django.utils import translation

from callcenter.statistics import analyze_needed, refresh_statistics
from campaigns.models import CallListEntry, Disposition
from campaigns.services.lists import recycle_call_list, request_call_list
from campaigns.tests.factories import CallListEntryFactory, CallListFactory, CampaignFactory
from contacts.models import ImportJob
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import csv_file, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


def forget_statistics(*tables: str) -> None:
    """As if the rows were loaded and nothing analyzed since (undone with the test's transaction)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("DELETE FROM pg_statistic WHERE starelid = %s::regclass", [table])
            cursor.execute("UPDATE pg_class SET reltuples = 0 WHERE oid = %s::regclass", [table])


def has_statistics(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = %s", [table])
        return cursor.fetchone()[0] > 0


def test_the_rule_is_autovacuums_applied_at_once():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE sized (n int)")
        cursor.execute("INSERT INTO sized SELECT generate_series(1, 10000)")
        assert analyze_needed(cursor, "sized", rows_written=1)  # never analyzed: reltuples is -1
        assert refresh_statistics("sized", rows_written=10000, cursor=cursor)
        # 10,000 rows known: 50 + 10 % of them is the threshold.
        assert not analyze_needed(cursor, "sized", rows_written=1000)
        assert not refresh_statistics("sized", rows_written=1000, cursor=cursor)
        assert analyze_needed(cursor, "sized", rows_written=1051)
        assert not analyze_needed(cursor, "sized", rows_written=0)


def customer_rows(count: int, *, start: int = 1) -> list[list[str]]:
    return [["顧客ID", "氏名", "電話番号"]] + [
        [f"S{n:06d}", f"統計 {n}", f"03-{5000 + n // 10000:04d}-{n % 10000:04d}"] for n in range(start, start + count)
    ]


def test_an_import_through_the_indexes_analyzes_the_tables_it_filled(supervisor):
    CustomerFactory.create_batch(3)  # not empty: the import writes through the indexes
    forget_statistics("contacts_customer", "contacts_phonenumber")
    job = run_import(supervisor, csv_file(customer_rows(400)))
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 400)
    assert has_statistics("contacts_customer") and has_statistics("contacts_phonenumber")


def test_an_import_that_changes_a_small_share_leaves_the_statistics_alone(supervisor):
    job = run_import(supervisor, csv_file(customer_rows(300)))
    assert job.created_count == 300
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_customer")
        cursor.execute("DELETE FROM pg_statistic WHERE starelid = 'contacts_customer'::regclass")
    job = run_import(supervisor, csv_file(customer_rows(20, start=1000)))
    assert job.created_count == 20  # 20 rows into 300: under 50 + 10 %
    assert not has_statistics("contacts_customer")


def test_a_bulk_load_import_analyzes_the_tables_it_filled(supervisor, monkeypatch):
    from contacts.imports import loaders

    monkeypatch.setattr(loaders, "BULK_LOAD_MIN_ROWS", 100)
    forget_statistics("contacts_customer", "contacts_phonenumber")
    job = run_import(supervisor, csv_file(customer_rows(200)))
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 200)
    assert has_statistics("contacts_customer") and has_statistics("contacts_phonenumber")


def test_a_do_not_call_import_analyzes_the_registry(supervisor):
    forget_statistics("contacts_donotcall")
    rows = [["電話番号"]] + [[f"090-7000-{n:04d}"] for n in range(150)]
    job = run_import(supervisor, csv_file(rows, name="dnc.csv"), kind="dnc", reason="customer_request")
    assert job.created_count == 150
    assert has_statistics("contacts_donotcall")


def test_a_list_build_analyzes_the_entries(supervisor):
    CustomerFactory.create_batch(120)  # each with a primary number
    campaign = CampaignFactory()
    forget_statistics("campaigns_calllistentry")
    call_list = request_call_list(campaign=campaign, name="all", by=supervisor, criteria={})
    assert call_list.status == "ready" and call_list.counts["included"] == 120
    assert has_statistics("campaigns_calllistentry")


def test_a_recycle_analyzes_the_entries(supervisor):
    call_list = CallListFactory()
    no_answer = Disposition.objects.get(code="no_answer")
    for _ in range(80):
        CallListEntryFactory(
            call_list=call_list, status=CallListEntry.Status.EXHAUSTED, last_disposition=no_answer, attempts=6
        )
    forget_statistics("campaigns_calllistentry")
    result = recycle_call_list(call_list=call_list, disposition_codes=["no_answer"], by=supervisor)
    assert result["reset"] == 80
    assert has_statistics("campaigns_calllistentry")
