"""KPI tables: one query per rollup grain answers every grouping asked for at once (GROUPING
SETS), costs included; `source="raw"` computes the same rows from CallAttempt and AgentStateLog."""

import datetime

from django.conf import settings
from django.utils import timezone

from callcenter.db_routing import read_connection

from .appointments import APPOINTMENT_MEASURES, appointments_sql
from .figures import Figures, KpiFilter, KpiRow
from .sql import (
    AGENT_MEASURES,
    ATTEMPT_MEASURES,
    agent_seconds_sql,
    attempt_buckets_sql,
    shared_time_sql,
    state_pieces_sql,
)

# Tables a query can produce: name -> the dimensions it groups by.
GROUPINGS = {
    "none": (),
    "day": ("day",),
    "hour": ("hour",),
    "weekday": ("weekday",),
    "operator": ("operator_id",),
    "campaign": ("campaign_id",),
    "list": ("call_list_id",),
    "segment": ("segment_id",),
    "weekday_hour": ("weekday", "hour"),
    "segment_weekday_hour": ("segment_id", "weekday", "hour"),
}
DIMENSIONS = ("day", "hour", "weekday", "operator_id", "campaign_id", "call_list_id", "segment_id")
# Groupings the operator-hour table can answer on its own (time not shared out between campaigns).
AGENT_DIMENSIONS_ORDER = ("day", "hour", "weekday", "operator_id")
AGENT_DIMENSIONS = set(AGENT_DIMENSIONS_ORDER)
SOURCES = ("rollup", "raw")


def _grouping_id(dims: tuple[str, ...], used: list[str]) -> int:
    """The value PostgreSQL's GROUPING(<used>) takes for the grouping set of `dims`."""
    value = 0
    for position, dim in enumerate(used):
        if dim not in dims:
            value |= 1 << (len(used) - 1 - position)
    return value


def _grouping_select(groupings: list[str], allowed=DIMENSIONS) -> tuple[list[str], str, str]:
    """The dimensions used by `groupings`, and the SELECT and GROUP BY parts for them."""
    used = [d for d in allowed if any(d in GROUPINGS[g] for g in groupings)]
    grouping_id = f"GROUPING({', '.join(used)})" if used else "0"
    select = ", ".join([f"{grouping_id} AS grouping_id", *used])
    sets = ", ".join("(" + ", ".join(GROUPINGS[g]) + ")" for g in groupings)
    return used, select, f"GROUPING SETS ({sets})"


def _day_bounds(kpi_filter: KpiFilter):
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(kpi_filter.date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(kpi_filter.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def _raw_operator_hours(period: str) -> str:
    """The operator-hours of a period computed from AgentStateLog and CallAttempt."""
    pieces = state_pieces_sql(
        "l.started_at < %(end)s AND coalesce(l.ended_at, %(now)s) > %(start)s",
        hour_from="%(start)s",
        hour_to="%(end)s",
    )
    return f"""
        SELECT coalesce(t.day, d.day) AS day, coalesce(t.hour, d.hour) AS hour,
               coalesce(t.operator_id, d.operator_id) AS operator_id,
               {", ".join(f"coalesce(t.{m}, 0) AS {m}" for m in AGENT_MEASURES)},
               coalesce(d.dials, 0) AS dials
        FROM ({agent_seconds_sql(pieces)}) t
        FULL JOIN (
            SELECT (a.started_at AT TIME ZONE %(tz)s)::date AS day,
                   EXTRACT(HOUR FROM a.started_at AT TIME ZONE %(tz)s)::smallint AS hour,
                   a.operator_id, count(*) AS dials
            FROM campaigns_callattempt a
            WHERE {period} AND a.operator_id IS NOT NULL
            GROUP BY 1, 2, 3
        ) d ON d.day = t.day AND d.hour = t.hour AND d.operator_id = t.operator_id"""


# The rollup tables a query reads: the finest one it needs. Tables without "hour" read the daily
# rows, tables by hour the all-operators hour profile (or the hourly rows for one operator).
GRAINS = {
    "daily": ("campaigns_kpidaily", ("day", "campaign_id", "call_list_id", "operator_id")),
    "profile": ("campaigns_kpihourprofile", ("day", "hour", "campaign_id", "call_list_id")),
    "hourly": ("campaigns_kpihourly", ("day", "hour", "campaign_id", "call_list_id", "operator_id")),
}
SUMS = (*ATTEMPT_MEASURES, "logged_in_seconds", "productive_seconds")


def _grain_rows(grain: str, source: str, campaign_filter: bool) -> str:
    """SQL for the period's rows of one grain (optionally only the campaigns in %(campaign_ids)s):
    the rollup table, or the same rows computed from the raw tables. Both compute every row's
    share of the operators' time per operator-hour first, so both add up the same whole seconds."""
    table, key = GRAINS[grain]
    if source == "rollup":
        campaign = " AND r.campaign_id = ANY(%(campaign_ids)s)" if campaign_filter else ""
        return f"SELECT * FROM {table} r WHERE r.day BETWEEN %(date_from)s AND %(date_to)s{campaign}"
    period = "a.started_at >= %(start)s AND a.started_at < %(end)s"
    campaign = " AND a.campaign_id = ANY(%(campaign_ids)s)" if campaign_filter else ""
    logged_in, productive = shared_time_sql("b", "o")
    hourly = f"""
        SELECT b.*, {logged_in} AS logged_in_seconds, {productive} AS productive_seconds
        FROM ({attempt_buckets_sql(period + campaign)}) b
        LEFT JOIN ({_raw_operator_hours(period)}) o
               ON o.day = b.day AND o.hour = b.hour AND o.operator_id = b.operator_id"""
    if grain == "hourly":
        return hourly
    return f"""
        SELECT {", ".join(key)}, {", ".join(f"sum({c})::bigint AS {c}" for c in SUMS)}
        FROM ({hourly}) h GROUP BY {", ".join(key)}"""


def _scope_filters(kpi_filter: KpiFilter, params: dict, alias: str) -> str:
    """SQL conditions on rows `alias` for the operator, list and segment of the filter."""
    filters = []
    if kpi_filter.operator_id is not None:
        filters.append(f"{alias}.operator_id = %(operator_id)s")
        params["operator_id"] = kpi_filter.operator_id
    if kpi_filter.call_list_id is not None:
        filters.append(f"{alias}.call_list_id = %(call_list_id)s")
        params["call_list_id"] = kpi_filter.call_list_id
    if kpi_filter.segment_id is not None:
        filters.append(f"{alias}.call_list_id IN (SELECT id FROM campaigns_calllist WHERE segment_id = %(segment_id)s)")
        params["segment_id"] = kpi_filter.segment_id
    if kpi_filter.campaign_ids is not None:
        params["campaign_ids"] = list(kpi_filter.campaign_ids)
    return " AND ".join(filters) or "TRUE"


def _attempts_sql(kpi_filter: KpiFilter, groupings: list[str], grain: str, source: str, params: dict) -> str:
    """One query answering `groupings` from rows of one grain, costs included."""
    where = _scope_filters(kpi_filter, params, "s")
    campaign_filter = kpi_filter.campaign_ids is not None
    rows = _grain_rows(grain, source, campaign_filter)
    if source == "rollup":
        first_day = "(SELECT min(day) FROM campaigns_kpidaily WHERE campaign_id = c.id)"
        last_day = "(SELECT max(day) FROM campaigns_kpidaily WHERE campaign_id = c.id)"
    else:
        first_day = (
            "(SELECT (min(started_at) AT TIME ZONE %(tz)s)::date FROM campaigns_callattempt WHERE campaign_id = c.id)"
        )
        last_day = (
            "(SELECT (max(started_at) AT TIME ZONE %(tz)s)::date FROM campaigns_callattempt WHERE campaign_id = c.id)"
        )
    restricted = where != "TRUE"
    # Dials per campaign and day over every operator and list: the key to share a day's fixed cost.
    campaign_days = (
        f"SELECT campaign_id, day, sum(dials) AS dials FROM ({rows}) x "
        "WHERE campaign_id IN (SELECT id FROM cp WHERE fixed_cost > 0) GROUP BY 1, 2"
    )
    campaign_day_dials = "cd.dials" if restricted else "sum(s.dials) OVER (PARTITION BY s.campaign_id, s.day)"
    campaign_day_join = "LEFT JOIN cd ON cd.campaign_id = s.campaign_id AND cd.day = s.day" if restricted else ""
    needs_segment = any("segment_id" in GROUPINGS[g] for g in groupings)
    segment = "cl.segment_id" if needs_segment else "NULL::bigint"
    segment_join = "LEFT JOIN campaigns_calllist cl ON cl.id = s.call_list_id" if needs_segment else ""
    _, select, group_by = _grouping_select(groupings)
    sums = ", ".join(f"sum(m.{c}) AS {c}" for c in ATTEMPT_MEASURES)
    return f"""
        WITH cp AS MATERIALIZED (  -- once per campaign, not once per row
            SELECT c.id, c.cost_per_hour, c.cost_per_minute, c.fixed_cost,
                   CASE WHEN c.fixed_cost > 0 THEN coalesce(c.starts_on, {first_day}) END AS period_start,
                   CASE WHEN c.fixed_cost > 0 THEN coalesce(c.ends_on, {last_day}) END AS period_end
            FROM campaigns_campaign c
            {"WHERE c.id = ANY(%(campaign_ids)s)" if campaign_filter else ""}
        ),
        cd AS ({campaign_days if restricted else "SELECT NULL::bigint AS campaign_id, NULL::date AS day, 0 AS dials"}),
        m AS (
            SELECT s.*, {segment} AS segment_id, (EXTRACT(ISODOW FROM s.day)::int - 1) AS weekday,
                   s.logged_in_seconds * cp.cost_per_hour / 3600 AS labour_cost,
                   s.talk_seconds * cp.cost_per_minute / 60 AS telecom_cost,
                   CASE WHEN cp.fixed_cost > 0 AND s.day BETWEEN cp.period_start AND cp.period_end
                        THEN cp.fixed_cost / (cp.period_end - cp.period_start + 1) * s.dials / {campaign_day_dials}
                        ELSE 0 END AS fixed_cost
            FROM ({rows}) s
            JOIN cp ON cp.id = s.campaign_id
            {segment_join}
            {campaign_day_join}
            WHERE {where}
        )
        SELECT {select}, {sums},
               sum(m.logged_in_seconds) AS attr_logged_in, sum(m.productive_seconds) AS attr_productive,
               sum(m.labour_cost) AS labour_cost, sum(m.telecom_cost) AS telecom_cost, sum(m.fixed_cost) AS fixed_cost
        FROM m
        GROUP BY {group_by}"""


def _agent_sql(kpi_filter: KpiFilter, groupings: list[str], source: str, params: dict) -> str | None:
    """Logged-in and productive time straight from the operator-hours, for tables that need no
    campaign (so time in hours without a dial counts too)."""
    agent_groupings = [g for g in groupings if set(GROUPINGS[g]) <= AGENT_DIMENSIONS]
    if kpi_filter.campaign_scoped or not agent_groupings:
        return None
    if source == "rollup":
        operator_hours = "SELECT * FROM campaigns_kpioperatorhour r WHERE r.day BETWEEN %(date_from)s AND %(date_to)s"
    else:
        operator_hours = _raw_operator_hours("a.started_at >= %(start)s AND a.started_at < %(end)s")
    _, agent_select, agent_group_by = _grouping_select(agent_groupings, AGENT_DIMENSIONS_ORDER)
    operator_filter = " AND operator_id = %(operator_id)s" if kpi_filter.operator_id is not None else ""
    return f"""
        SELECT {agent_select}, sum(logged_in_seconds) AS logged_in_seconds,
               sum(ready_seconds + on_call_seconds + acw_seconds) AS productive_seconds
        FROM (SELECT oh.*, (EXTRACT(ISODOW FROM oh.day)::int - 1) AS weekday FROM ({operator_hours}) oh
              WHERE oh.day BETWEEN %(date_from)s AND %(date_to)s{operator_filter}) x
        GROUP BY {agent_group_by}"""


def _query_plan(kpi_filter: KpiFilter, groupings: list[str]) -> list[tuple[str, list[str]]]:
    """(grain, groupings) pairs: which rollup answers which tables."""
    by_hour = [g for g in groupings if "hour" in GROUPINGS[g]]
    by_day = [g for g in groupings if "hour" not in GROUPINGS[g]]
    plan = []
    if by_day:
        plan.append(("daily", by_day))
    if by_hour:
        plan.append(("hourly" if kpi_filter.operator_id is not None else "profile", by_hour))
    return plan


def _key(row: dict, dims: tuple[str, ...]):
    if not dims:
        return None
    if len(dims) == 1:
        return row[dims[0]]
    return tuple(row[d] for d in dims)


def kpi_tables(kpi_filter: KpiFilter, groupings, *, source: str = "rollup", now=None) -> dict[str, list[KpiRow]]:
    """KPI tables for one filter: {grouping: [KpiRow sorted by key]} ("none" gives one row, also
    when nothing happened). `source="raw"` computes the same from CallAttempt and AgentStateLog."""
    groupings = list(dict.fromkeys(groupings))
    unknown = [g for g in groupings if g not in GROUPINGS]
    if unknown or source not in SOURCES:
        raise ValueError(f"unknown grouping or source: {unknown or source}")
    start, end = _day_bounds(kpi_filter)
    params = {
        "tz": settings.TIME_ZONE,
        "date_from": kpi_filter.date_from,
        "date_to": kpi_filter.date_to,
        "start": start,
        "end": end,
        "now": now or timezone.now(),
    }
    tables: dict[str, dict] = {g: {} for g in groupings}
    # On the replica when the page reads there (callcenter.db_routing), else on the primary.
    with read_connection().cursor() as cursor:
        for grain, part in _query_plan(kpi_filter, groupings):
            cursor.execute(_attempts_sql(kpi_filter, part, grain, source, params), params)
            used = _grouping_select(part)[0]
            by_id = {_grouping_id(GROUPINGS[g], used): g for g in part}
            columns = [c[0] for c in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(columns, values))
                if row["dials"] is None:
                    continue  # the empty grand total of an empty scope
                grouping = by_id[row["grouping_id"]]
                tables[grouping][_key(row, GROUPINGS[grouping])] = Figures(
                    **{m: int(row[m]) for m in ATTEMPT_MEASURES},
                    logged_in_seconds=int(row["attr_logged_in"]),
                    productive_seconds=int(row["attr_productive"]),
                    labour_cost=row["labour_cost"],
                    telecom_cost=row["telecom_cost"],
                    fixed_cost=row["fixed_cost"],
                )
        agent_sql = _agent_sql(kpi_filter, groupings, source, params)
        if agent_sql:
            cursor.execute(agent_sql, params)
            agent_groupings = [g for g in groupings if set(GROUPINGS[g]) <= AGENT_DIMENSIONS]
            agent_used = _grouping_select(agent_groupings, AGENT_DIMENSIONS_ORDER)[0]
            agent_ids = {_grouping_id(GROUPINGS[g], agent_used): g for g in agent_groupings}
            columns = [c[0] for c in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(columns, values))
                if row["logged_in_seconds"] is None:
                    continue
                grouping = agent_ids[row["grouping_id"]]
                figures = tables[grouping].setdefault(_key(row, GROUPINGS[grouping]), Figures())
                figures.logged_in_seconds = int(row["logged_in_seconds"])
                figures.productive_seconds = int(row["productive_seconds"])
        _add_sums(cursor, appointments_sql, APPOINTMENT_MEASURES, kpi_filter, groupings, tables, params)
    result = {}
    for grouping, rows in tables.items():
        if grouping == "none" and not rows:
            rows = {None: Figures()}
        result[grouping] = [KpiRow(key=k, figures=f) for k, f in sorted(rows.items(), key=lambda kv: key_order(kv[0]))]
    return result


def _add_sums(cursor, sql_for, measures, kpi_filter: KpiFilter, groupings: list[str], tables: dict, params: dict):
    """Figures of every table that come from a query of their own (appointments_sql: the same
    grouping sets over other rows), from one query."""
    used, select, group_by = _grouping_select(groupings)
    cursor.execute(sql_for(kpi_filter, select, group_by, params), params)
    by_id = {_grouping_id(GROUPINGS[g], used): g for g in groupings}
    columns = [c[0] for c in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(columns, values))
        grouping = by_id.get(row["grouping_id"])
        if grouping is None or not any(row[m] for m in measures):
            continue
        figures = tables[grouping].setdefault(_key(row, GROUPINGS[grouping]), Figures())
        for measure in measures:
            setattr(figures, measure, int(row[measure]))


def key_order(key):
    """Sort key of a row key (a day, hour, id or a tuple of them); "no list/segment" (None) last."""
    if isinstance(key, tuple):
        return tuple(key_order(k) for k in key)
    return (key is None, key if key is not None else 0)


def kpi_table(kpi_filter: KpiFilter, group_by: str, *, source: str = "rollup", now=None) -> list[KpiRow]:
    return kpi_tables(kpi_filter, [group_by], source=source, now=now)[group_by]


def kpi_totals(kpi_filter: KpiFilter, *, source: str = "rollup", now=None) -> Figures:
    return kpi_table(kpi_filter, "none", source=source, now=now)[0].figures
