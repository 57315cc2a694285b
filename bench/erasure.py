"""Erasing a customer in a large database: the audit trail, the import error reports and the
registry are found through their indexes, so one erasure stays a matter of milliseconds however
large they grow.

Prints one JSON object: the sizes, and the median and worst time (ms) of erasing `runs`
customers, each with events in the trail and cells in an error report.

    DATABASE_URL=... .venv/bin/python bench/erasure.py [customers] [audit_events] [error_cells]
"""

import statistics
import sys

from _common import _count, _execute, django_setup, emit, ensure_customers, ensure_dnc, log, timed

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
EVENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
ERROR_CELLS = int(sys.argv[3]) if len(sys.argv) > 3 else 500_000
RUNS = 5


def ensure_trail(n: int) -> int:
    """At least n audit events, each about one of the bench customers, naming them and their number."""
    have = _count("callcenter_auditevent")
    if have < n:
        log(f"creating audit events {have + 1}..{n}")
        _execute(
            "INSERT INTO callcenter_auditevent (created_at, action, object_type, object_id, summary, data)"
            " SELECT now() - make_interval(secs => g), 'customer.update', 'contacts.customer', c.id::text,"
            " c.name || ' (' || c.external_id || ')',"
            " jsonb_build_object('number', '+8190' || lpad((g % 100000000)::text, 8, '0'),"
            " 'fields', '[\"name\"]'::jsonb)"
            " FROM generate_series(%s::bigint, %s::bigint) g"
            " JOIN contacts_customer c ON c.external_id = 'B' || lpad((g % %s + 1)::text, 8, '0')",
            [have + 1, n, CUSTOMERS],
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


def main():
    django_setup("erasure")
    from django.contrib.auth import get_user_model

    from contacts.models import Customer
    from contacts.services.erasure import erase_customer

    ensure_customers(CUSTOMERS)
    ensure_dnc(CUSTOMERS // 10)
    events = ensure_trail(EVENTS)
    cells = ensure_error_cells(ERROR_CELLS)
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
            "dnc_entries": _count("contacts_donotcall"),
            "erasures": len(times),
            "events_redacted_each": redacted,
            "median_ms": round(statistics.median(times), 1),
            "worst_ms": round(max(times), 1),
        }
    )


if __name__ == "__main__":
    main()
