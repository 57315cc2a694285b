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

from callcenter.partitions import TABLES, archive_partition, partitions_to_archive

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
