"""Old months of history leave the live tables: `archive_old_months` detaches each monthly
partition of the attempts and the audit trail older than its retention (ATTEMPT_RETENTION_MONTHS,
AUDIT_RETENTION_MONTHS; 0, the default: keep everything) into the `archive` schema
(callcenter.partitions.archive_partition), where it stays readable and append-only.

The KPI rollups keep the figures of the archived months: a month of attempts is archived only
once the rollups have counted every attempt in it (the KPI watermark is at or past its highest
id, checked under the watermark's lock so no refresh or reconciliation runs meanwhile), and the
nightly reconciliation rebuilds only the months still in the table (campaigns.services.kpis). The
dashboards and the KPI API read the rollups, so their figures for archived months do not change;
what reads raw attempts (a customer's call history, the compliance report, the rules' windows,
which are days long) sees only the months kept."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from callcenter.partitions import TABLES, archive_partition, archived_months, partitions_to_archive

from .kpis import lock_counted_attempts, refresh_kpi_rollups

ATTEMPTS_TABLE = "campaigns_callattempt"


@dataclass
class ArchivedMonth:
    table: str
    partition: str
    rows: int = 0
    archived: bool = False
    reason: str = ""  # why it was not archived


def archive_old_months(*, now=None, dry_run: bool = False) -> list[ArchivedMonth]:
    """Archive every monthly partition past its table's retention, oldest first, each in a
    transaction of its own (DETACH holds the table for an instant; it waits at most 10 s for it).
    With `dry_run`, only say which would go."""
    now = now or timezone.now()
    results = []
    if not dry_run:
        refresh_kpi_rollups(now=now)  # count what is not counted yet
    for table in TABLES:
        with connection.cursor() as cursor:
            due = partitions_to_archive(cursor, table, now=now)
        for _, name in due:
            result = ArchivedMonth(table=table, partition=name)
            results.append(result)
            if dry_run:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")
                    result.rows = cursor.fetchone()[0]
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                if table == ATTEMPTS_TABLE:
                    counted = lock_counted_attempts(cursor)
                    cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(name)}")
                    highest = cursor.fetchone()[0]
                    if highest is not None and highest > counted:
                        result.reason = "the KPI rollups have not counted all its attempts yet"
                        continue
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                result.rows = archive_partition(cursor, table, name)
                result.archived = True
    return results


# ------------------------------------------------------------------ erasure in the archived months


def archived_attempts_of(customer_id: int) -> list[tuple[str, int, str]]:
    """(qualified table, id, number dialed) of the customer's attempts in the months moved to the
    archive schema, in one statement over the archived tables found in the catalog now (each keeps
    the (customer, started_at) index it had as a partition: one index probe per month)."""
    with connection.cursor() as cursor:
        tables = list(archived_months(cursor, ATTEMPTS_TABLE).values())
        if not tables:
            return []
        cursor.execute(
            " UNION ALL ".join(f"SELECT %s::text, id, phone FROM {table} WHERE customer_id = %s" for table in tables),
            [value for table in tables for value in (table, customer_id)],
        )
        return cursor.fetchall()


def erase_archived_attempts(customer_id: int, hashed: dict[str, str], tables) -> int:
    """In each archived table of `tables`, the customer's attempts get what the live ones get:
    the number dialed replaced by its hash (`hashed`: number -> hash, computed by the caller, the
    key never reaches the database), notes and script answers cleared; nothing else. The caller
    opens the attempts' narrow door (callcenter.history.attempt_erasure), which the archived
    tables' triggers (moved with them by archive_partition) check as the live table's do. Returns
    the rows changed."""
    numbers, digests = sorted(hashed), [hashed[number] for number in sorted(hashed)]
    changed = 0
    with connection.cursor() as cursor:
        for table in sorted(set(tables)):
            cursor.execute(
                f"UPDATE {table} a SET notes = '', answers = '{{}}'::jsonb,"
                " phone = coalesce((SELECT m.digest FROM unnest(%s::text[], %s::text[]) AS m(number, digest)"
                " WHERE m.number = a.phone), a.phone)"
                " WHERE a.customer_id = %s"
                " AND (a.notes <> '' OR a.answers <> '{}'::jsonb OR a.phone = ANY(%s::text[]))",
                [numbers, digests, customer_id, numbers],
            )
            changed += cursor.rowcount
    return changed
