"""Keeping the KPI rollups current (docs/architecture.md#kpis-dashboard-and-wallboard): an incremental
refresh every half minute (watermark on the attempt id, INSERT … ON CONFLICT DO UPDATE) and a full
reconciliation every night that rebuilds them from CallAttempt and AgentStateLog and corrects whatever differs.

What the rollups count is defined once, in campaigns.selectors.kpis.sql (the same SQL fragments serve
the raw path that tests and the bench compare against)."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from callcenter.partitions import archived_through

from ..selectors.kpis.sql import (
    AGENT_MEASURES,
    ATTEMPT_MEASURES,
    agent_seconds_sql,
    attempt_buckets_sql,
    shared_time_sql,
    state_pieces_sql,
)

logger = logging.getLogger(__name__)

ATTEMPTS = "attempts"
AGENT_STATES = "agent_states"
# An attempt id is taken at insert but the row becomes visible at commit, possibly after a row
# with a higher id. A hole in the ids is a rolled-back insert or one still in flight: rows past a
# hole wait while another transaction is writing attempts (however long it takes: see
# _attempts_horizon) and until the row after the hole is this old (an id taken ahead of its insert
# holds no lock; the clocks of the app servers may differ a little), then the hole is taken for a
# rollback. State intervals that ended this long before the last run are read again likewise
# (or before the oldest transaction writing intervals then: see _state_log_horizon).
COMMIT_GRACE = datetime.timedelta(seconds=10)

HOURLY_KEY = "day, hour, campaign_id, call_list_id, operator_id"
OPERATOR_HOUR_KEY = "day, hour, operator_id"
DAILY_KEY = "day, campaign_id, call_list_id, operator_id"
PROFILE_KEY = "day, hour, campaign_id, call_list_id"
SUM_COLUMNS = (*ATTEMPT_MEASURES, "logged_in_seconds", "productive_seconds")


@dataclass
class RefreshResult:
    attempts: int = 0  # attempts added to the rollups
    operator_hours: int = 0  # operator-hours whose logged-in time was recomputed
    skipped: bool = False  # another refresh or the reconciliation was running


@dataclass
class ReconcileResult:
    hourly_rows: int = 0
    operator_hours: int = 0
    corrected: int = 0  # rows that were missing, stale or wrong before


def _ensure_watermarks(cursor):
    cursor.execute(
        "INSERT INTO campaigns_kpiwatermark (source, last_id) VALUES (%s, 0), (%s, 0) ON CONFLICT (source) DO NOTHING",
        [AGENT_STATES, ATTEMPTS],
    )


def _lock_watermarks(cursor, *, wait: bool) -> dict | None:
    """Both watermark rows, locked for this transaction (sorted, so no deadlock). Without `wait`,
    None when someone else holds them: that run is doing the work already."""
    _ensure_watermarks(cursor)
    cursor.execute(
        "SELECT source, last_id, last_time, refreshed_at FROM campaigns_kpiwatermark WHERE source IN (%s, %s) "
        f"ORDER BY source FOR UPDATE{'' if wait else ' SKIP LOCKED'}",
        [AGENT_STATES, ATTEMPTS],
    )
    rows = {
        source: {"last_id": last_id, "last_time": last_time, "refreshed_at": refreshed_at}
        for source, last_id, last_time, refreshed_at in cursor.fetchall()
    }
    return rows if len(rows) == 2 else None


def lock_counted_attempts(cursor) -> int:
    """The highest attempt id the rollups have counted, with the watermarks locked until the end of
    the transaction (no refresh or reconciliation moves them meanwhile): archiving a month of
    attempts (campaigns.services.history_archive) checks it has been counted first."""
    return _lock_watermarks(cursor, wait=True)[ATTEMPTS]["last_id"]


# The columns of an attempt the rollups read: what attempt_buckets_sql counts, and the hole check.
ATTEMPT_COLUMNS = (
    "id, created_at, started_at, campaign_id, call_list_id, operator_id, disposition_id, is_contact, is_success, "
    "talk_seconds, hold_seconds, acw_seconds, answered_at, ring_seconds"
)


def _buckets_of(rows: str) -> str:
    """attempt_buckets_sql (what the rollups count, defined once in the selectors) over `rows`, a set
    with ATTEMPT_COLUMNS, instead of over the attempt table."""
    table = "FROM campaigns_callattempt a"
    sql = attempt_buckets_sql("TRUE")
    if sql.count(table) != 1:
        raise RuntimeError("attempt_buckets_sql no longer reads the attempts as 'campaigns_callattempt a'")
    return sql.replace(table, f"FROM {rows} a")


NEW_ATTEMPT_BUCKETS = _buckets_of("settled_attempts")


def _writing_sql(table: str) -> str:
    """The pg_locks rows (alias l) of the other transactions that have `table` open for writing: the
    lock is taken before a row is written (before an insert takes its id) and held until they end."""
    return f"""
        l.locktype = 'relation' AND l.relation = '{table}'::regclass
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid IS DISTINCT FROM pg_backend_pid()"""


def _attempts_horizon(cursor) -> dict:
    """How far the attempts may be read this run: the highest id now, and whether another
    transaction has the attempt table open for writing. The id is read in the statement's snapshot
    and pg_locks only after that snapshot was taken, so an insert that took a lower id and had not
    committed by then is seen still holding its lock (taken before its id, held until it ends). The
    attempts are read in a later statement, up to that id: a hole there is a rollback unless such
    an insert was still open. (Run in READ COMMITTED: every statement sees what committed before it.)"""
    cursor.execute(
        f"""
        SELECT (SELECT coalesce(max(id), 0) FROM campaigns_callattempt),
               EXISTS (SELECT 1 FROM pg_locks l WHERE {_writing_sql("campaigns_callattempt")})
        """
    )
    horizon, others_writing = cursor.fetchone()
    return {"horizon": horizon, "others_writing": others_writing}


def _settled_sql(new_attempts: str) -> str:
    """The rows of `new_attempts` (the attempts after %(after)s up to %(horizon)s, with id and
    created_at) before the first hole in the ids that may still be filled (see COMMIT_GRACE): every
    attempt up to there is visible. Parameters: %(previous)s (the watermark, NULL on the first
    run), %(others_writing)s, %(cutoff)s.
    On the first run there is no watermark to measure the first step from: while another
    transaction is writing attempts, any id below the lowest visible one may still commit, so the
    run counts from 0 (the first visible row then waits unless it is id 1)."""
    before_first = "coalesce(%(previous)s, CASE WHEN %(others_writing)s THEN 0 END, {lowest} - 1)"
    first_waiting = f"""
        SELECT min(id) FROM (
            SELECT id, created_at, id - coalesce(lag(id) OVER (ORDER BY id), {before_first.format(lowest="id")}) AS step
            FROM {new_attempts}
        ) ids
        WHERE step > 1 AND (%(others_writing)s OR created_at > %(cutoff)s)"""
    # Most runs find no hole at all (as many rows as ids): then the ids need no sorting.
    return f"""
        SELECT * FROM {new_attempts}
        WHERE id < coalesce((
            SELECT CASE WHEN count(*) = max(id) - {before_first.format(lowest="min(id)")} THEN NULL ELSE
            ({first_waiting}) END
            FROM {new_attempts}
        ), 9223372036854775807)"""


def _hole_params(cursor, *, after: int, now) -> dict:
    return {"after": after, "previous": after or None, "cutoff": now - COMMIT_GRACE, **_attempts_horizon(cursor)}


def settled_attempt_id(cursor, *, after: int, now) -> int:
    """The highest attempt id up to which every attempt is visible."""
    cursor.execute(
        f"""
        WITH new_attempts AS MATERIALIZED (
            SELECT id, created_at FROM campaigns_callattempt WHERE id > %(after)s AND id <= %(horizon)s
        )
        SELECT coalesce(max(id), %(after)s) FROM ({_settled_sql("new_attempts")}) settled
        """,
        _hole_params(cursor, after=after, now=now),
    )
    return cursor.fetchone()[0]


def _add_attempts(cursor, *, after: int, now) -> tuple[int, int]:
    """Add the settled attempts after `after` to the hourly rollup and to the operators' hourly
    dials, and their operator-hours to kpi_touched: one statement that reads the new attempts once.
    Returns the new watermark and how many attempts were added."""
    measures = ", ".join(ATTEMPT_MEASURES)
    increments = ", ".join(f"{m} = campaigns_kpihourly.{m} + EXCLUDED.{m}" for m in ATTEMPT_MEASURES)
    zero_time = ", ".join("0" for _ in AGENT_MEASURES)
    cursor.execute(
        f"""
        WITH new_attempts AS MATERIALIZED (
            SELECT {ATTEMPT_COLUMNS} FROM campaigns_callattempt WHERE id > %(after)s AND id <= %(horizon)s
        ),
        settled_attempts AS MATERIALIZED ({_settled_sql("new_attempts")}),
        buckets AS MATERIALIZED ({NEW_ATTEMPT_BUCKETS}),
        hourly AS (
            INSERT INTO campaigns_kpihourly ({HOURLY_KEY}, {measures}, logged_in_seconds, productive_seconds)
            SELECT {HOURLY_KEY}, {measures}, 0, 0 FROM buckets
            ON CONFLICT ({HOURLY_KEY}) DO UPDATE SET {increments}
            RETURNING {OPERATOR_HOUR_KEY}
        ),
        operator_dials AS (
            INSERT INTO campaigns_kpioperatorhour ({OPERATOR_HOUR_KEY}, {", ".join(AGENT_MEASURES)}, dials)
            SELECT {OPERATOR_HOUR_KEY}, {zero_time}, sum(dials) FROM buckets
            WHERE operator_id IS NOT NULL
            GROUP BY {OPERATOR_HOUR_KEY}
            ON CONFLICT ({OPERATOR_HOUR_KEY}) DO UPDATE SET dials = campaigns_kpioperatorhour.dials + EXCLUDED.dials
        ),
        touched AS (
            INSERT INTO kpi_touched SELECT DISTINCT {OPERATOR_HOUR_KEY} FROM hourly
        )
        SELECT coalesce(max(id), %(after)s), count(*) FROM settled_attempts
        """,
        {"tz": settings.TIME_ZONE, **_hole_params(cursor, after=after, now=now)},
    )
    return tuple(cursor.fetchone())


def _recompute_operator_hours(cursor, *, last_id: int, since, now, counted_until=None) -> int:
    """Recompute the logged-in time of every operator-hour touched by a state interval that is new,
    still open or ended since `since` (None: every interval). An interval the last run counted as
    open up to `counted_until` and that has ended since (possibly earlier: going offline in a slow
    transaction) touches the hours up to then too: they held its time and must lose it. An hour
    left with no time and no dials is removed, as a full rebuild would not have it."""
    changed = "TRUE" if since is None else "(l.id > %(last_id)s OR l.ended_at IS NULL OR l.ended_at >= %(since)s)"
    # Intervals overlapping a touched hour are open or ended after the earliest touched hour.
    overlapping = (
        "l.operator_id IN (SELECT operator_id FROM touched) "
        "AND (l.ended_at IS NULL OR l.ended_at > (SELECT min(hour_start) FROM touched))"
    )
    pieces = f"""
        SELECT p.* FROM ({state_pieces_sql(overlapping)}) p
        JOIN touched t ON t.operator_id = p.operator_id AND t.hour_start = p.hour_start"""
    time_columns = ", ".join(AGENT_MEASURES)
    cursor.execute(
        f"""
        WITH touched AS (
            SELECT DISTINCT l.operator_id, h.hour_start
            FROM campaigns_agentstatelog l
            CROSS JOIN LATERAL generate_series(
                date_trunc('hour', l.started_at, %(tz)s),
                least(greatest(coalesce(l.ended_at, %(now)s), coalesce(%(counted_until)s, l.ended_at)), %(now)s)
                    - interval '1 microsecond',
                interval '1 hour') AS h(hour_start)
            WHERE l.state <> 'offline' AND l.started_at < coalesce(l.ended_at, %(now)s) AND {changed}
        ),
        keys AS (
            SELECT DISTINCT (hour_start AT TIME ZONE %(tz)s)::date AS day,
                   EXTRACT(HOUR FROM hour_start AT TIME ZONE %(tz)s)::smallint AS hour, operator_id
            FROM touched
        ),
        changed AS (
            INSERT INTO campaigns_kpioperatorhour ({OPERATOR_HOUR_KEY}, {time_columns}, dials)
            SELECT k.day, k.hour, k.operator_id, {", ".join(f"coalesce(x.{m}, 0)" for m in AGENT_MEASURES)}, 0
            FROM keys k
            LEFT JOIN ({agent_seconds_sql(pieces)}) x
                   ON x.day = k.day AND x.hour = k.hour AND x.operator_id = k.operator_id
            ON CONFLICT ({OPERATOR_HOUR_KEY}) DO UPDATE SET
                {", ".join(f"{m} = EXCLUDED.{m}" for m in AGENT_MEASURES)}
            RETURNING {OPERATOR_HOUR_KEY}
        )
        INSERT INTO kpi_touched SELECT {OPERATOR_HOUR_KEY} FROM changed
        """,
        {"tz": settings.TIME_ZONE, "now": now, "last_id": last_id, "since": since, "counted_until": counted_until},
    )
    recomputed = cursor.rowcount
    empty = " AND ".join(f"o.{m} = 0" for m in [*AGENT_MEASURES, "dials"])
    cursor.execute(
        f"""DELETE FROM campaigns_kpioperatorhour o USING kpi_touched t
            WHERE o.day = t.day AND o.hour = t.hour AND o.operator_id = t.operator_id AND {empty}"""
    )
    return recomputed


def _share_operator_time(cursor) -> int:
    """Share the time of every operator-hour in kpi_touched out to its hourly rows again (its dials
    or its time changed)."""
    logged_in, productive = shared_time_sql("h", "o")
    cursor.execute(
        f"""
        UPDATE campaigns_kpihourly h
        SET logged_in_seconds = {logged_in}, productive_seconds = {productive}
        FROM campaigns_kpioperatorhour o, (SELECT DISTINCT {OPERATOR_HOUR_KEY} FROM kpi_touched) t
        WHERE o.day = t.day AND o.hour = t.hour AND o.operator_id = t.operator_id
          AND h.day = o.day AND h.hour = o.hour AND h.operator_id = o.operator_id
          AND (h.logged_in_seconds, h.productive_seconds) IS DISTINCT FROM ({logged_in}, {productive})
        """
    )
    return cursor.rowcount


def _derived_sums_sql(alias: str = "h") -> str:
    return ", ".join(f"sum({alias}.{c}) AS {c}" for c in SUM_COLUMNS)


DAILY_FROM_HOURLY = f"""
    SELECT h.day, h.campaign_id, h.call_list_id, h.operator_id, {_derived_sums_sql()}
    FROM {{rows}} h
    GROUP BY h.day, h.campaign_id, h.call_list_id, h.operator_id"""
PROFILE_FROM_HOURLY = f"""
    SELECT h.day, h.hour, h.campaign_id, h.call_list_id, {_derived_sums_sql()}
    FROM {{rows}} h
    GROUP BY h.day, h.hour, h.campaign_id, h.call_list_id"""
# The hourly rows of the touched operator-days (attempts without an operator are one "operator"
# of their own) and of the touched hours, written so that both read through an index.
TOUCHED_OPERATOR_DAYS = """(
    SELECT h.* FROM (SELECT DISTINCT day, operator_id FROM kpi_touched WHERE operator_id IS NOT NULL) t
    JOIN campaigns_kpihourly h ON h.operator_id = t.operator_id AND h.day = t.day
    UNION ALL
    SELECT h.* FROM campaigns_kpihourly h
    WHERE h.operator_id IS NULL AND h.day IN (SELECT day FROM kpi_touched WHERE operator_id IS NULL))"""
TOUCHED_HOURS = """(
    SELECT h.* FROM (SELECT DISTINCT day, hour FROM kpi_touched) t
    JOIN campaigns_kpihourly h ON h.day = t.day AND h.hour = t.hour)"""


def _refresh_derived(cursor) -> None:
    """Recompute the daily and hour-profile rows of the hours in kpi_touched from KpiHourly."""
    columns = ", ".join(SUM_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in SUM_COLUMNS)
    cursor.execute(
        f"""
        INSERT INTO campaigns_kpidaily ({DAILY_KEY}, {columns})
        {DAILY_FROM_HOURLY.format(rows=TOUCHED_OPERATOR_DAYS)}
        ON CONFLICT ({DAILY_KEY}) DO UPDATE SET {updates}
        """
    )
    cursor.execute(
        f"""
        INSERT INTO campaigns_kpihourprofile ({PROFILE_KEY}, {columns})
        {PROFILE_FROM_HOURLY.format(rows=TOUCHED_HOURS)}
        ON CONFLICT ({PROFILE_KEY}) DO UPDATE SET {updates}
        """
    )


def _state_log_horizon(cursor, *, now) -> tuple[int, datetime.datetime]:
    """Read before the state intervals: the highest interval id, and the time the next run reads
    closed intervals again from (less COMMIT_GRACE): `now`, or the start of the oldest transaction
    writing intervals if earlier. Such a transaction may close an interval at the time it began
    (going offline: nothing new is opened) and commit after this run read the interval as open."""
    cursor.execute(
        f"""
        SELECT (SELECT coalesce(max(id), 0) FROM campaigns_agentstatelog),
               (SELECT min(a.xact_start) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE {_writing_sql("campaigns_agentstatelog")})
        """
    )
    latest_id, oldest_writer = cursor.fetchone()
    return latest_id, min(now, oldest_writer) if oldest_writer else now


def agent_time_rewritten_since(moment) -> None:
    """A state interval was closed back-dated to `moment` (an operator signed off as of the last
    contact). The next refresh reads closed intervals again from there, so it recounts the hours it
    had counted as still open; nothing else would before the nightly reconciliation. Waits for a
    running refresh (the watermark row is locked), which then has its horizon moved back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_kpiwatermark SET last_time = %s WHERE source = %s AND last_time > %s",
            [moment, AGENT_STATES, moment],
        )


def refresh_kpi_rollups(*, now=None) -> RefreshResult:
    """Bring the rollups up to date with the attempts and state changes since the last run.
    Safe to run at any time and concurrently: a run that finds another one busy does nothing."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        marks = _lock_watermarks(cursor, wait=False)
        if marks is None:
            return RefreshResult(skipped=True)
        result = RefreshResult()
        cursor.execute("DROP TABLE IF EXISTS kpi_touched")
        cursor.execute("CREATE TEMP TABLE kpi_touched (day date, hour smallint, operator_id bigint) ON COMMIT DROP")
        upto, result.attempts = _add_attempts(cursor, after=marks[ATTEMPTS]["last_id"], now=now)
        agent = marks[AGENT_STATES]
        since = agent["last_time"] - COMMIT_GRACE if agent["last_time"] else None
        latest_log, read_until = _state_log_horizon(cursor, now=now)
        result.operator_hours = _recompute_operator_hours(
            cursor,
            last_id=agent["last_id"],
            since=since,
            now=now,
            counted_until=agent["refreshed_at"],
        )
        cursor.execute("ANALYZE kpi_touched")  # a handful of rows: let the planner know, and use the indexes
        _share_operator_time(cursor)
        _refresh_derived(cursor)
        cursor.execute("DROP TABLE kpi_touched")
        cursor.execute(
            "UPDATE campaigns_kpiwatermark SET last_id = %s, refreshed_at = %s WHERE source = %s",
            [upto, now, ATTEMPTS],
        )
        cursor.execute(
            "UPDATE campaigns_kpiwatermark SET last_id = %s, last_time = %s, refreshed_at = %s WHERE source = %s",
            [latest_log, read_until, now, AGENT_STATES],
        )
    return result


def _replace_rows(cursor, *, table: str, key: list[str], columns: list[str], fresh: str, scope: str = "TRUE") -> int:
    """Make `table` equal to the rows of the `fresh` query: delete the rows it lacks, insert the
    missing ones and update those that differ. Returns how many rows changed. Empty key parts
    (no list, no operator) compare as equal, as in the unique key. Only rows matching `scope`
    (alias t) are deleted: the others are not what `fresh` recomputes."""
    matches = " AND ".join(
        f"coalesce(f.{k}, 0) = coalesce(t.{k}, 0)" if k.endswith("_id") else f"f.{k} = t.{k}" for k in key
    )
    cursor.execute(f"CREATE TEMP TABLE kpi_fresh_rows ON COMMIT DROP AS {fresh}")
    cursor.execute(
        f"DELETE FROM {table} t WHERE ({scope}) AND NOT EXISTS (SELECT 1 FROM kpi_fresh_rows f WHERE {matches})"
    )
    changed = cursor.rowcount
    cursor.execute(
        f"""
        INSERT INTO {table} ({", ".join(key)}, {", ".join(columns)})
        SELECT {", ".join(key)}, {", ".join(columns)} FROM kpi_fresh_rows ORDER BY {", ".join(key)}
        ON CONFLICT ({", ".join(key)}) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in columns)}
        WHERE ({", ".join(f"{table}.{c}" for c in columns)}) IS DISTINCT FROM
        ({", ".join(f"EXCLUDED.{c}" for c in columns)})
        """
    )
    changed += cursor.rowcount
    cursor.execute("DROP TABLE kpi_fresh_rows")
    return changed


def reconcile_kpi_rollups(*, now=None) -> ReconcileResult:
    """Rebuild the rollups from the raw tables and correct every row that differs (nightly).
    Catches what an incremental run cannot see: an attempt that committed long after its id was
    taken, a back-dated state interval."""
    now = now or timezone.now()
    params = {"tz": settings.TIME_ZONE, "now": now}
    result = ReconcileResult()
    with transaction.atomic(), connection.cursor() as cursor:
        marks = _lock_watermarks(cursor, wait=True)
        cursor.execute("DROP TABLE IF EXISTS kpi_fresh_hourly, kpi_fresh_operator_hours, kpi_fresh_rows")
        upto = settled_attempt_id(cursor, after=marks[ATTEMPTS]["last_id"], now=now)
        params["upto"] = upto
        # Months of attempts moved to the archive (callcenter.partitions) are no longer in the
        # table: their rollup rows are kept as they are, and only the months after them rebuilt.
        kept_from = archived_through(cursor, "campaigns_callattempt")
        attempts_kept, states_kept, hour_from, scope = "TRUE", "TRUE", "", "TRUE"
        if kept_from is not None:
            params["kept_from"] = kept_from
            attempts_kept = "a.started_at >= %(kept_from)s"
            states_kept, hour_from = "coalesce(l.ended_at, %(now)s) > %(kept_from)s", "%(kept_from)s"
            scope = f"t.day >= '{kept_from.astimezone(timezone.get_default_timezone()).date().isoformat()}'::date"
        cursor.execute(
            "CREATE TEMP TABLE kpi_fresh_hourly ON COMMIT DROP AS "
            + attempt_buckets_sql(f"a.id <= %(upto)s AND {attempts_kept}"),
            params,
        )
        result.hourly_rows = cursor.rowcount
        # before the states are read: an interval committed after that is past the watermark
        latest_log, read_until = _state_log_horizon(cursor, now=now)
        cursor.execute(
            f"""
            CREATE TEMP TABLE kpi_fresh_operator_hours ON COMMIT DROP AS
            SELECT coalesce(t.day, d.day) AS day, coalesce(t.hour, d.hour) AS hour,
                   coalesce(t.operator_id, d.operator_id) AS operator_id,
                   {", ".join(f"coalesce(t.{m}, 0) AS {m}" for m in AGENT_MEASURES)},
                   coalesce(d.dials, 0) AS dials
            FROM ({agent_seconds_sql(state_pieces_sql(states_kept, hour_from=hour_from))}) t
            FULL JOIN (
                SELECT day, hour, operator_id, sum(dials) AS dials FROM kpi_fresh_hourly
                WHERE operator_id IS NOT NULL GROUP BY 1, 2, 3
            ) d ON d.day = t.day AND d.hour = t.hour AND d.operator_id = t.operator_id
            """,
            params,
        )
        result.operator_hours = cursor.rowcount
        result.corrected += _replace_rows(
            cursor,
            table="campaigns_kpioperatorhour",
            key=OPERATOR_HOUR_KEY.split(", "),
            columns=[*AGENT_MEASURES, "dials"],
            fresh="SELECT * FROM kpi_fresh_operator_hours",
            scope=scope,
        )
        logged_in, productive = shared_time_sql("f", "o")
        result.corrected += _replace_rows(
            cursor,
            table="campaigns_kpihourly",
            key=HOURLY_KEY.split(", "),
            columns=[*ATTEMPT_MEASURES, "logged_in_seconds", "productive_seconds"],
            fresh=f"""
                SELECT f.*, {logged_in} AS logged_in_seconds, {productive} AS productive_seconds
                FROM kpi_fresh_hourly f
                LEFT JOIN kpi_fresh_operator_hours o
                       ON o.day = f.day AND o.hour = f.hour AND o.operator_id = f.operator_id""",
            scope=scope,
        )
        result.corrected += _replace_rows(
            cursor,
            table="campaigns_kpidaily",
            key=DAILY_KEY.split(", "),
            columns=list(SUM_COLUMNS),
            fresh=DAILY_FROM_HOURLY.format(rows="campaigns_kpihourly"),
        )
        result.corrected += _replace_rows(
            cursor,
            table="campaigns_kpihourprofile",
            key=PROFILE_KEY.split(", "),
            columns=list(SUM_COLUMNS),
            fresh=PROFILE_FROM_HOURLY.format(rows="campaigns_kpihourly"),
        )
        cursor.execute("DROP TABLE kpi_fresh_hourly, kpi_fresh_operator_hours")
        cursor.execute(
            "UPDATE campaigns_kpiwatermark SET last_id = %s, refreshed_at = %s, reconciled_at = %s WHERE source = %s",
            [upto, now, now, ATTEMPTS],
        )
        cursor.execute(
            "UPDATE campaigns_kpiwatermark SET last_id = %s, last_time = %s, refreshed_at = %s, reconciled_at = %s "
            "WHERE source = %s",
            [latest_log, read_until, now, now, AGENT_STATES],
        )
    with connection.cursor() as cursor:
        for table in (
            "campaigns_kpihourly",
            "campaigns_kpidaily",
            "campaigns_kpihourprofile",
            "campaigns_kpioperatorhour",
        ):
            cursor.execute(f"ANALYZE {table}")  # fresh statistics for the dashboards' plans
    if result.corrected:
        logger.info("KPI reconciliation: %s rollup rows added, changed or removed", result.corrected)
    return result


def rollups_refreshed_at():
    """When the attempt rollup was last brought up to date (None: never)."""
    from ..models import KpiWatermark

    return KpiWatermark.objects.filter(source=ATTEMPTS).values_list("refreshed_at", flat=True).first()
