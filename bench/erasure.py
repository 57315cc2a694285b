"""Erasing a customer in a large database: the audit trail, the import error reports and the
registry are found through their indexes, so one erasure stays a matter of milliseconds however
large they grow.

Prints one JSON object: the sizes, and the median and worst time (ms) of erasing `runs`
customers, each with events in the trail and cells in an error report, and with calls and events
in months moved to the archive schema (an erasure reaches those too): the trail and the attempts
are spread over about six months, and every month before the last two is archived
(callcenter.partitions.archive_partition, as `manage.py archive_history` does).

    DATABASE_URL=... .venv/bin/python bench/erasure.py [customers] [audit_events] [error_cells] [attempts]
"""

import statistics
import sys

from _common import _count, _execute, django_setup, emit, ensure_attempts, ensure_customers, ensure_dnc, log, timed

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
EVENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
ERROR_CELLS = int(sys.argv[3]) if len(sys.argv) > 3 else 500_000
ATTEMPTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
DAYS = 180
KEPT_MONTHS = 2  # this month and the one before stay live; older ones are archived
RUNS = 5


def ensure_trail(n: int) -> int:
    """At least n audit events, each about one of the bench customers, naming them and their number."""
    have = _count("callcenter_auditevent")
    if have < n:
        log(f"creating audit events {have + 1}..{n}")
        _execute(
            "INSERT INTO callcenter_auditevent (created_at, action, object_type, object_id, summary, data)"
            " SELECT now() - make_interval(secs => (g * %s)::int), 'customer.update', 'contacts.customer', c.id::text,"
            " c.name || ' (' || c.external_id || ')',"
            " jsonb_build_object('number', '+8190' || lpad((g % 100000000)::text, 8, '0'),"
            " 'fields', '[\"name\"]'::jsonb)"
            " FROM generate_series(%s::bigint, %s::bigint) g"
            " JOIN contacts_customer c ON c.external_id = 'B' || lpad((g % %s + 1)::text, 8, '0')",
            [DAYS * 86400 // max(n, 1), have + 1, n, CUSTOMERS],
        )
        _execute("ANALYZE callcenter_auditevent")
    return _count("callcenter_auditevent")


def ensure_error_cells(n: int) -> int:
    """At least n cells in one import's error report, a mix of names and numbers."""
    from contacts.models import ImportJob

    have = _count("contacts_importrowerror")
    if have < n:
        log(f"creating error cells {have + 1}..{n}")
        job = ImportJob.objects.create(original_name="bench.csv", file="imports/uploads/bench/bench.csv")
        _execute(
            'INSERT INTO contacts_importrowerror (job_id, line, "column", value, message)'
            " SELECT %s, g, CASE WHEN g % 2 = 0 THEN '氏名' ELSE '電話番号' END,"
            " CASE WHEN g % 2 = 0 THEN '顧客' || (g % %s + 1)"
            " ELSE '090-' || lpad((g % 10000)::text, 4, '0') || '-x' END,"
            " 'bench' FROM generate_series(%s::bigint, %s::bigint) g",
            [job.pk, CUSTOMERS, have + 1, n],
        )
        _execute("ANALYZE contacts_importrowerror")
    return _count("contacts_importrowerror")


def months_back():
    """Partitions of both history tables for the DAYS before now (rows older than the partitions
    would land in the default partition, which is never archived)."""
    import datetime as dt

    from django.db import connection

    from callcenter.partitions import TABLES, add_months, ensure_partitions, month_of

    this_month = month_of(dt.datetime.now(dt.UTC))
    with connection.cursor() as cursor:
        for table, (key, _setting) in TABLES.items():
            ensure_partitions(cursor, table, key, first=add_months(this_month, -(DAYS // 30 + 1)), last=this_month)


def archive_old_months() -> dict:
    """Every monthly partition of both tables before the last KEPT_MONTHS into the archive schema."""
    import datetime as dt

    from django.db import connection, transaction

    from callcenter.partitions import (
        TABLES,
        add_months,
        archive_partition,
        archived_months,
        month_of,
        monthly_partitions,
    )

    before = add_months(month_of(dt.datetime.now(dt.UTC)), -(KEPT_MONTHS - 1))
    archived = {}
    for table in TABLES:
        with transaction.atomic(), connection.cursor() as cursor:
            for month, name in sorted(monthly_partitions(cursor, table).items()):
                if month < before:
                    log(f"archiving {name}")
                    archive_partition(cursor, table, name)
            for name in archived_months(cursor, table).values():
                cursor.execute(f"ANALYZE {name}")
                cursor.execute(f"SELECT count(*) FROM {name}")
                archived[name] = cursor.fetchone()[0]
    return archived


def archived_counts() -> dict[str, int]:
    """{archived table: rows}."""
    from django.db import connection

    from callcenter.partitions import TABLES, archived_months

    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            for name in archived_months(cursor, table).values():
                cursor.execute(f"SELECT count(*) FROM {name}")
                counts[name] = cursor.fetchone()[0]
    return counts


def archived_rows() -> int:
    return sum(archived_counts().values())


def main():
    django_setup("erasure")
    from django.contrib.auth import get_user_model

    from contacts.models import Customer
    from contacts.services.erasure import erase_customer

    ensure_customers(CUSTOMERS)
    ensure_dnc(CUSTOMERS // 10)
    cells = ensure_error_cells(ERROR_CELLS)
    # The trail and the attempts are made, then their old months archived, once: a later run finds
    # the live tables short of the archived months and leaves them as they are.
    if not archived_rows():
        months_back()
        ensure_trail(EVENTS)
        ensure_attempts(ATTEMPTS, days=DAYS)
        archive_old_months()
    archived = archived_counts()
    events = _count("callcenter_auditevent") + sum(n for name, n in archived.items() if "auditevent" in name)
    attempts = _count("campaigns_callattempt") + sum(n for name, n in archived.items() if "callattempt" in name)
    user, _created = get_user_model().objects.get_or_create(username="bench-erasure", defaults={"is_staff": True})
    victims = list(
        Customer.objects.filter(erased_at__isnull=True, phones__isnull=False)
        .order_by("-id")
        .values_list("pk", flat=True)[:RUNS]
    )
    times, redacted = [], []
    for pk in victims:
        with timed() as t:
            erased = erase_customer(customer=Customer.objects.get(pk=pk), by=user, reason="bench")
        times.append(t.seconds * 1000)
        from callcenter.models import AuditEvent

        event = AuditEvent.objects.filter(action="customer.erased", object_id=str(erased.pk)).latest("id")
        redacted.append(event.data["audit_events_redacted"])
    emit(
        {
            "customers": _count("contacts_customer"),
            "audit_events": events,
            "error_cells": cells,
            "attempts": attempts,
            "archived_tables": len(archived),
            "archived_rows": sum(archived.values()),
            "dnc_entries": _count("contacts_donotcall"),
            "erasures": len(times),
            "events_redacted_each": redacted,
            "median_ms": round(statistics.median(times), 1),
            "worst_ms": round(max(times), 1),
        }
    )


if __name__ == "__main__":
    main()
