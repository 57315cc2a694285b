"""Fresh planner statistics after a job that wrote a large share of a table.

The planner plans from the statistics ANALYZE gathers. Autovacuum refreshes them some time after a
table changed a lot, or never where it is switched off; until then a table that grew from nothing
to a million rows is planned as empty, and an index plan turns into a sequential scan per row. So
every job that writes a large share of a table (imports, list builds, recycles) calls
`refresh_statistics` as its last statement, before it reports done. "Large" is autovacuum's own
rule (autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x the rows the planner knows),
applied at once; a table never analyzed gets its statistics on the first write.

It runs inside the job's transaction: ANALYZE counts the transaction's own new rows, and the
statistics become visible with them at commit. Its lock (SHARE UPDATE EXCLUSIVE) blocks no reads
or writes, only another ANALYZE of the same table, until the commit that follows."""

from django.db import connection


def analyze_needed(cursor, table: str, *, rows_written: int) -> bool:
    if rows_written <= 0:
        return False
    cursor.execute(
        """
        SELECT c.reltuples,
               current_setting('autovacuum_analyze_threshold')::float8
               + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
        FROM pg_class c WHERE c.oid = %s::regclass
        """,
        [table],
    )
    known_rows, threshold = cursor.fetchone()
    return known_rows < 0 or rows_written > threshold  # reltuples is -1 until the first ANALYZE


def refresh_statistics(table: str, *, rows_written: int, cursor=None) -> bool:
    """ANALYZE `table` when `rows_written` rows are a large share of it; True when it did."""
    if cursor is None:
        with connection.cursor() as own_cursor:
            return refresh_statistics(table, rows_written=rows_written, cursor=own_cursor)
    if not analyze_needed(cursor, table, rows_written=rows_written):
        return False
    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def analyze(table: str, *, cursor=None) -> None:
    """ANALYZE `table` now, whatever share of it changed: after a partition moved out of a
    partitioned table (callcenter.partitions), whose statistics still count its rows."""
    if cursor is None:
        with connection.cursor() as own_cursor:
            return analyze(table, cursor=own_cursor)
    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
