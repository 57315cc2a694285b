"""Monthly partitions of the history tables: call attempts and the audit trail.

Both tables only grow, and every question asked of them names a period (the rules' rolling
windows, a KPI day, the audit page's keyset pages): PostgreSQL's declarative partitioning by RANGE
of the row's time lets the planner read only the months a statement names, and lets old months
leave the live table whole (`archive_partitions`: DETACH, then into the `archive` schema) instead
of being deleted row by row.

- One partition per calendar month of the call center's time zone (settings.TIME_ZONE), named
  `<table>_pYYYY_MM`, plus a DEFAULT partition `<table>_default`. The default partition is kept on
  purpose: an attempt is written in the same transaction as the entry's new state and the
  do-not-call request the customer made, and none of that may fail because nobody created next
  month's partition in time (the beat task `create_partitions_ahead` does, months ahead). It also
  takes history loaded with dates before the first month (seed data, back-dated imports). It stays
  empty in normal operation, so the planner's cost of reading it is an empty index scan.
- `convert_to_partitioned` turns an existing plain table into a partitioned one without losing a
  row (the migrations use it): the new parent has the old table's columns, defaults, identity,
  checks, indexes, foreign keys and triggers, read from the catalog rather than restated here,
  because other migrations change them (a new column, a new trigger function) and they must all
  move along.
- A unique index on a partitioned table must include the partition key: the primary key becomes
  (id, <time>) in the database (Django's model state keeps `id`); nothing may reference the table
  by id alone with a foreign key (the referencing columns are `db_constraint=False`), and a unique
  value that is not the time (an outcome's client token) lives in a table of its own.
"""

import datetime as dt
import logging
import re
import zoneinfo

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

ARCHIVE_SCHEMA = "archive"

# The partitioned tables, their partition key, and the setting that says how many months stay in
# the live table (0 or unset: all of them).
TABLES = {
    "campaigns_callattempt": ("started_at", "ATTEMPT_RETENTION_MONTHS"),
    "callcenter_auditevent": ("created_at", "AUDIT_RETENTION_MONTHS"),
}

# Past months the conversion creates partitions for at most: older rows go to the default
# partition (a table converted with data back to the 1970s does not get 600 partitions).
MAX_PAST_MONTHS = 120
MONTHS_BEFORE = 2

_MONTH_SUFFIX = re.compile(r"_p(\d{4})_(\d{2})$")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the month `moment` falls in, in the call center's time zone."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(_zone()).date()
    return moment.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(month: dt.date) -> dt.datetime:
    """Midnight of the month's first day in the call center's time zone, as an aware datetime."""
    return dt.datetime(month.year, month.month, 1, tzinfo=_zone())


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def monthly_partitions(cursor, table: str) -> dict[dt.date, str]:
    """The monthly partitions attached to `table`, by month."""
    cursor.execute(
        """
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = %s::regclass
        """,
        [table],
    )
    found = {}
    for (name,) in cursor.fetchall():
        match = _MONTH_SUFFIX.search(name)
        if match and name == partition_name(table, dt.date(int(match[1]), int(match[2]), 1)):
            found[dt.date(int(match[1]), int(match[2]), 1)] = name
    return found


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass)", [table])
    return cursor.fetchone()[0]


def ensure_partitions(cursor, table: str, key: str, *, first: dt.date, last: dt.date) -> list[str]:
    """Create the monthly partitions of `table` from month `first` to month `last` (inclusive)
    that do not exist yet; returns the names created. A month whose rows already sit in the
    default partition is left there (with a warning): creating its partition would have to move
    rows of an append-only table, and they are read all the same, only without pruning."""
    existing = monthly_partitions(cursor, table)
    created = []
    month = first
    while month <= last:
        if month not in existing:
            start, end = month_start(month), month_start(add_months(month, 1))
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {_q(default_partition_name(table))} "
                f"WHERE {_q(key)} >= %s AND {_q(key)} < %s)",
                [start, end],
            )
            if cursor.fetchone()[0]:
                logger.warning(
                    "%s: rows of %s are in the default partition; its partition is not created", table, month
                )
            else:
                # Bounds as literals: DDL takes no parameters. isoformat() of an aware datetime
                # names its offset, so the bound is the same instant whatever the session's zone.
                cursor.execute(
                    f"CREATE TABLE {_q(partition_name(table, month))} PARTITION OF {_q(table)} "
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                )
                created.append(partition_name(table, month))
        month = add_months(month, 1)
    return created


def months_ahead() -> int:
    return int(getattr(settings, "PARTITION_MONTHS_AHEAD", 3))


def convert_to_partitioned(cursor, table: str, key: str, *, now: dt.datetime | None = None) -> dict:
    """Turn the plain table `table` into a table partitioned by month of `key`, keeping every row,
    the ids (and the identity sequence where it stood), and every index, check, foreign key and
    trigger (read from the catalog). Partitions: each month from the oldest row's (at most
    MAX_PAST_MONTHS back) to PARTITION_MONTHS_AHEAD months after this one, and the default.

    Nothing may reference `table` with a foreign key any more (drop those first), and every
    unique index must include `key` (move the others first): PostgreSQL refuses both on a
    partitioned table. Runs in the caller's transaction; holds the table locked until it ends."""
    from django.utils import timezone

    now = now or timezone.now()
    old = f"{table}_unpartitioned"
    cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "ORDER BY tgname",
        [table],
    )
    triggers = [row[0] for row in cursor.fetchall()]
    # Indexes that back no constraint (those come back with their constraint), and the unique
    # and foreign-key constraints other than the primary key.
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
        ORDER BY i.indexrelid
        """,
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x', 'f') ORDER BY contype, conname",
        [table],
    )
    constraints = cursor.fetchall()
    primary = [name for name, kind, _ in constraints if kind == "p"]
    cursor.execute(
        """
        SELECT a.attname FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)
        """,
        [table],
    )
    primary_columns = [row[0] for row in cursor.fetchall() if row[0] != key] + [key]
    cursor.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    referencing = [row[0] for row in cursor.fetchall()]
    if referencing:
        raise ValueError(f"{table} is still referenced by foreign keys of {', '.join(referencing)}")
    cursor.execute(
        """
        SELECT a.attname, pg_get_serial_sequence(%s, a.attname) FROM pg_attribute a
        WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY a.attnum
        """,
        [table, table],
    )
    columns = cursor.fetchall()
    sequences = {column: sequence for column, sequence in columns if sequence}
    column_list = ", ".join(_q(column) for column, _ in columns)

    cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    # The old primary key's index and identity sequences keep their names; they must be free.
    for name in primary:
        cursor.execute(f"ALTER INDEX {_q(name)} RENAME TO {_q(f'{old}_{name}'[:63])}")
    for column, sequence in sequences.items():
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_q(f'{old}_{column}_seq'[:63])}")
    cursor.execute(
        f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING ALL EXCLUDING INDEXES) PARTITION BY RANGE ({_q(key)})"
    )
    cursor.execute(f"SELECT min({_q(key)}) FROM {_q(old)}")
    oldest = cursor.fetchone()[0]
    this_month = month_of(now)
    # A few months back even when the table is empty: a new installation loads some history
    # (the demo data, a first import of past calls) right after migrating.
    first = add_months(this_month, -MONTHS_BEFORE)
    if oldest:
        first = max(min(month_of(oldest), first), add_months(this_month, -MAX_PAST_MONTHS))
    cursor.execute(f"CREATE TABLE {_q(default_partition_name(table))} PARTITION OF {_q(table)} DEFAULT")
    ensure_partitions(cursor, table, key, first=first, last=add_months(this_month, months_ahead()))
    # Before the triggers exist: the rows are copied as they are (an INSERT trigger that
    # recomputes a column from today's reference data must not rewrite history).
    cursor.execute(
        f"INSERT INTO {_q(table)} ({column_list}) OVERRIDING SYSTEM VALUE SELECT {column_list} FROM {_q(old)}"
    )
    copied = cursor.rowcount
    # Ids go on where they stood: the new identity sequence takes the old one's position (or the
    # highest id, should a row carry a higher one).
    for column in sequences:
        cursor.execute(f"SELECT last_value, is_called FROM {_q(f'{old}_{column}_seq'[:63])}")
        last_value, is_called = cursor.fetchone()
        cursor.execute(f"SELECT max({_q(column)}) FROM {_q(old)}")
        highest = cursor.fetchone()[0]
        if highest is not None and (highest > last_value or not is_called and highest == last_value):
            last_value, is_called = highest, True
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)", [table, column, last_value, is_called])
    cursor.execute(f"DROP TABLE {_q(old)}")
    primary_key = ", ".join(_q(column) for column in primary_columns)
    cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(f'{table}_pkey')} PRIMARY KEY ({primary_key})")
    for name, kind, definition in constraints:
        if kind != "p":
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for definition in indexes:
        cursor.execute(definition)
    for definition in triggers:
        cursor.execute(definition)
    cursor.execute(f"ANALYZE {_q(table)}")
    return {"rows": copied, "triggers": len(triggers), "indexes": len(indexes)}


def create_ahead(*, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """This month's partition and PARTITION_MONTHS_AHEAD more of each partitioned history table,
    those that do not exist yet (the daily beat task; running it twice creates nothing). Each
    creation takes a short exclusive lock of the parent: it waits at most 10 s for it, and a
    table whose lock it did not get is tried again the next day, months before it matters."""
    from django.db import transaction
    from django.utils import timezone

    this_month = month_of(now or timezone.now())
    created = {}
    for table, (key, _) in TABLES.items():
        with transaction.atomic(), connection.cursor() as cursor:
            if not is_partitioned(cursor, table):
                continue
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            created[table] = ensure_partitions(
                cursor, table, key, first=this_month, last=add_months(this_month, months_ahead())
            )
    return created


def retention_months(table: str) -> int:
    """How many whole months before the current one stay in the live table (0: all)."""
    return int(getattr(settings, TABLES[table][1], 0) or 0)


def archived_months(cursor, table: str) -> dict[dt.date, str]:
    """The monthly partitions of `table` moved to the archive schema, by month: their qualified
    names (`archive."<table>_pYYYY_MM"`), read from the catalog each time (archive_history adds
    months, an administrator may drop one)."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname LIKE %s AND c.relkind = 'r'",
        [ARCHIVE_SCHEMA, f"{table}\\_p%"],
    )
    found = {}
    for (name,) in cursor.fetchall():
        match = _MONTH_SUFFIX.search(name)
        if match and name == partition_name(table, dt.date(int(match[1]), int(match[2]), 1)):
            found[dt.date(int(match[1]), int(match[2]), 1)] = f"{_q(ARCHIVE_SCHEMA)}.{_q(name)}"
    return dict(sorted(found.items()))


def archived_through(cursor, table: str) -> dt.datetime | None:
    """The end of the last month of `table` moved to the archive schema (rows before it are read
    from the archive, or from rollups), or None."""
    months = archived_months(cursor, table)
    return month_start(add_months(max(months), 1)) if months else None


def partitions_to_archive(cursor, table: str, *, now: dt.datetime | None = None) -> list[tuple[dt.date, str]]:
    """The monthly partitions of `table` older than its retention, oldest first ([] when the
    retention setting is off)."""
    from django.utils import timezone

    months = retention_months(table)
    if not months or not is_partitioned(cursor, table):
        return []
    before = add_months(month_of(now or timezone.now()), -months)
    return sorted((month, name) for month, name in monthly_partitions(cursor, table).items() if month < before)


def archive_partition(cursor, table: str, name: str) -> int:
    """Detach partition `name` of `table` into the archive schema, with the parent's triggers
    (DETACH drops the ones it had from the parent: the archive stays append-only), then refresh
    the parent's statistics (callcenter.statistics). Returns the rows moved. Runs in the
    caller's transaction: DETACH holds the parent exclusively until the commit."""
    from .statistics import analyze

    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s::regclass",
        [table],
    )
    qualified = cursor.fetchone()[0]
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "AND tgparentid = 0 ORDER BY tgname",
        [table],
    )
    triggers = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"SELECT count(*) FROM {_q(name)}")
    rows = cursor.fetchone()[0]
    cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(name)}")
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(ARCHIVE_SCHEMA)}")
    cursor.execute(f"ALTER TABLE {_q(name)} SET SCHEMA {_q(ARCHIVE_SCHEMA)}")
    target = f"{_q(ARCHIVE_SCHEMA)}.{_q(name)}"
    for definition in triggers:
        on = f" ON {qualified} "
        if on not in definition:
            raise ValueError(f"unexpected trigger definition: {definition}")
        cursor.execute(definition.replace(on, f" ON {target} ", 1))
    analyze(table, cursor=cursor)
    return rows
