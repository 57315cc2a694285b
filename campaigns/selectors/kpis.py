"""KPI figures (DESIGN.md section 5) read from the rollups, or from the raw tables to check them.

What is counted, once for every page, the API, the exports and the bench:

- dials: attempts; contacts: attempts whose disposition is a contact; successes: attempts whose
  disposition is a success. Contact rate = contacts ÷ dials; success rate = successes ÷ dials
  (also ÷ contacts).
- handled calls: attempts with talk time. ATT = talk ÷ handled calls; ACW = after-call work ÷
  attempts; AHT = (talk + hold + after-call work of the handled calls) ÷ handled calls.
- logged-in time comes from AgentStateLog (every state but offline), cut into whole seconds per
  operator and local hour. Utilization = (talk + hold [on call] + after-call work + waiting [ready])
  ÷ logged-in time. CPH = dials ÷ logged-in hours.
- Logged-in time belongs to an operator, not to a campaign. When figures are for some campaigns
  (a campaign, list or segment filter, a client viewer, or a table by campaign/list/segment), each
  operator-hour's time is shared out between the campaigns the operator dialed in that hour, in
  proportion to the dials (whole seconds, rounded down). Hours without any dial then count for no
  campaign; they still count for the operator and for the all-campaigns totals.
- Cost = labour (that shared-out logged-in time × the campaign's cost per hour) + telecom (talk
  minutes × the campaign's cost per minute) + fixed (the campaign's fixed cost spread evenly over
  the days from its start to its end date — the first/last day it dialed where a date is missing —
  and within a day over that day's dials). CPC = cost ÷ dials.
- Days and hours are the call center's local time (settings.TIME_ZONE); weekday 0 = Monday.

A ratio whose denominator is zero is None ("no figure"), never 0."""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

# The days a KPI period may cover. Periods become timestamps (the day after `to`, the hours of
# each day) and a comparison reaches back one period: near year 1 or 9999 that overflows.
KPI_FIRST_DAY = datetime.date(1900, 1, 1)
KPI_LAST_DAY = datetime.date(2999, 12, 31)


def kpi_day_validators() -> list:
    """Validators of a KPI date (Django's, so forms and DRF serializers both take them)."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    return [MinValueValidator(KPI_FIRST_DAY), MaxValueValidator(KPI_LAST_DAY)]


# ---------------------------------------------------------------- shared SQL definitions
# The rollup maintenance (services/kpis.py) and the raw path below use these same fragments, so the
# rollups and a from-scratch computation cannot drift apart in what they count.

ATTEMPT_MEASURES = (
    "dials",
    "contacts",
    "successes",
    "handled",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "handle_seconds",
)
AGENT_MEASURES = ("logged_in_seconds", "ready_seconds", "on_call_seconds", "acw_seconds", "break_seconds")


def attempt_buckets_sql(where: str) -> str:
    """Attempts matching `where` (alias a) summed per local day × hour × campaign × list × operator.
    Parameters: %(tz)s and those of `where`."""
    return f"""
        SELECT (a.started_at AT TIME ZONE %(tz)s)::date AS day,
               EXTRACT(HOUR FROM a.started_at AT TIME ZONE %(tz)s)::smallint AS hour,
               a.campaign_id, a.call_list_id, a.operator_id,
               count(*) AS dials,
               count(*) FILTER (WHERE d.is_contact) AS contacts,
               count(*) FILTER (WHERE d.is_success) AS successes,
               count(*) FILTER (WHERE a.talk_seconds > 0) AS handled,
               coalesce(sum(a.talk_seconds), 0) AS talk_seconds,
               coalesce(sum(a.hold_seconds), 0) AS hold_seconds,
               coalesce(sum(a.acw_seconds), 0) AS acw_seconds,
               coalesce(sum(a.talk_seconds + a.hold_seconds + a.acw_seconds) FILTER (WHERE a.talk_seconds > 0), 0)
                   AS handle_seconds
        FROM campaigns_callattempt a
        JOIN campaigns_disposition d ON d.id = a.disposition_id
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5"""


def agent_seconds_sql(pieces: str) -> str:
    """Whole seconds per local day × hour × operator from `pieces` (operator_id, hour_start, state,
    seconds). Each state is rounded on its own and logged-in time is their sum, so utilization never
    exceeds 100 %. Parameters: %(tz)s."""
    return f"""
        SELECT day, hour, operator_id,
               ready + on_call + acw + brk AS logged_in_seconds,
               ready AS ready_seconds, on_call AS on_call_seconds, acw AS acw_seconds, brk AS break_seconds
        FROM (
            SELECT (p.hour_start AT TIME ZONE %(tz)s)::date AS day,
                   EXTRACT(HOUR FROM p.hour_start AT TIME ZONE %(tz)s)::smallint AS hour,
                   p.operator_id,
                   round(coalesce(sum(p.seconds) FILTER (WHERE p.state = 'ready'), 0))::bigint AS ready,
                   round(coalesce(sum(p.seconds) FILTER (WHERE p.state = 'on_call'), 0))::bigint AS on_call,
                   round(coalesce(sum(p.seconds) FILTER (WHERE p.state = 'acw'), 0))::bigint AS acw,
                   round(coalesce(sum(p.seconds) FILTER (WHERE p.state = 'break'), 0))::bigint AS brk
            FROM ({pieces}) p
            GROUP BY 1, 2, 3
        ) per_hour"""


def state_pieces_sql(where: str, *, hour_from: str = "", hour_to: str = "") -> str:
    """Every logged-in state interval matching `where` (alias l) cut at the local hour boundaries:
    (operator_id, hour_start, state, seconds). An open interval runs until %(now)s. Optional SQL
    bounds keep only the hours in [hour_from, hour_to). Parameters: %(tz)s, %(now)s."""
    bounds = ""
    if hour_from:
        bounds += f" AND h.hour_start >= {hour_from}"
    if hour_to:
        bounds += f" AND h.hour_start < {hour_to}"
    return f"""
        SELECT l.operator_id, h.hour_start, l.state,
               EXTRACT(EPOCH FROM LEAST(coalesce(l.ended_at, %(now)s), h.hour_start + interval '1 hour')
                                  - GREATEST(l.started_at, h.hour_start)) AS seconds
        FROM campaigns_agentstatelog l
        CROSS JOIN LATERAL generate_series(
            date_trunc('hour', l.started_at, %(tz)s),
            coalesce(l.ended_at, %(now)s) - interval '1 microsecond',
            interval '1 hour') AS h(hour_start)
        WHERE l.state <> 'offline' AND l.started_at < coalesce(l.ended_at, %(now)s) AND ({where}){bounds}"""


# ---------------------------------------------------------------- filters and figures


@dataclass(frozen=True)
class KpiFilter:
    """What to count: a date range (local days, both included) and optional restrictions.
    `campaign_ids` None means every campaign; a tuple limits to those (a client viewer's scope)."""

    date_from: datetime.date
    date_to: datetime.date
    campaign_ids: tuple[int, ...] | None = None
    operator_id: int | None = None
    call_list_id: int | None = None
    segment_id: int | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def campaign_scoped(self) -> bool:
        return self.campaign_ids is not None or self.call_list_id is not None or self.segment_id is not None

    def previous(self) -> "KpiFilter":
        """The period of the same length just before this one."""
        return replace(
            self,
            date_from=self.date_from - datetime.timedelta(days=self.days),
            date_to=self.date_from - datetime.timedelta(days=1),
        )


def _ratio(numerator, denominator):
    if not denominator:
        return None
    return float(numerator) / float(denominator)


@dataclass
class Figures:
    """Sums for one row of a KPI table; the KPIs are computed from them."""

    dials: int = 0
    contacts: int = 0
    successes: int = 0
    handled: int = 0
    talk_seconds: int = 0
    hold_seconds: int = 0
    acw_seconds: int = 0
    handle_seconds: int = 0
    logged_in_seconds: int = 0
    productive_seconds: int = 0
    labour_cost: Decimal = field(default_factory=Decimal)
    telecom_cost: Decimal = field(default_factory=Decimal)
    fixed_cost: Decimal = field(default_factory=Decimal)

    @property
    def contact_rate(self):
        return _ratio(self.contacts, self.dials)

    @property
    def success_rate(self):
        return _ratio(self.successes, self.dials)

    @property
    def success_per_contact(self):
        return _ratio(self.successes, self.contacts)

    @property
    def att(self):
        return _ratio(self.talk_seconds, self.handled)

    @property
    def acw(self):
        return _ratio(self.acw_seconds, self.dials)

    @property
    def aht(self):
        return _ratio(self.handle_seconds, self.handled)

    @property
    def utilization(self):
        return _ratio(self.productive_seconds, self.logged_in_seconds)

    @property
    def cost(self) -> Decimal:
        return self.labour_cost + self.telecom_cost + self.fixed_cost

    @property
    def cpc(self):
        return _ratio(self.cost, self.dials)

    @property
    def cph(self):
        return _ratio(self.dials * 3600, self.logged_in_seconds)

    @property
    def logged_in_hours(self) -> float:
        return self.logged_in_seconds / 3600

    def as_dict(self) -> dict:
        """The API.md row (without key), plus a few extra figures."""
        return {
            "dials": self.dials,
            "contacts": self.contacts,
            "successes": self.successes,
            "contact_rate": self.contact_rate,
            "success_rate": self.success_rate,
            "success_per_contact": self.success_per_contact,
            "talk_seconds": self.talk_seconds,
            "att": self.att,
            "acw": self.acw,
            "aht": self.aht,
            "utilization": self.utilization,
            "logged_in_seconds": self.logged_in_seconds,
            "cost": round(float(self.cost), 2),
            "cpc": None if self.cpc is None else round(self.cpc, 2),
            "cph": self.cph,
        }


@dataclass
class KpiRow:
    key: object
    figures: Figures
    label: str = ""


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


def shared_time_sql(bucket: str, hour: str) -> tuple[str, str]:
    """SQL for an attempt bucket's share of its operator-hour's logged-in and productive time: the
    hour's time × the bucket's dials ÷ the operator's dials in that hour (every campaign), in whole
    seconds rounded down. `bucket` and `hour` are the aliases of the two rows."""
    # div() truncates whatever the column types are (a sum() of integers is numeric in PostgreSQL)
    return (
        f"coalesce(div({hour}.logged_in_seconds * {bucket}.dials, NULLIF({hour}.dials, 0))::bigint, 0)",
        f"coalesce(div(({hour}.ready_seconds + {hour}.on_call_seconds + {hour}.acw_seconds) * {bucket}.dials,"
        f" NULLIF({hour}.dials, 0))::bigint, 0)",
    )


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
    with connection.cursor() as cursor:
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
    result = {}
    for grouping, rows in tables.items():
        if grouping == "none" and not rows:
            rows = {None: Figures()}
        result[grouping] = [KpiRow(key=k, figures=f) for k, f in sorted(rows.items(), key=lambda kv: key_order(kv[0]))]
    return result


def key_order(key):
    """Sort key of a row key (a day, hour, id or a tuple of them); "no list/segment" (None) last."""
    if isinstance(key, tuple):
        return tuple(key_order(k) for k in key)
    return (key is None, key if key is not None else 0)


def kpi_table(kpi_filter: KpiFilter, group_by: str, *, source: str = "rollup", now=None) -> list[KpiRow]:
    return kpi_tables(kpi_filter, [group_by], source=source, now=now)[group_by]


def kpi_totals(kpi_filter: KpiFilter, *, source: str = "rollup", now=None) -> Figures:
    return kpi_table(kpi_filter, "none", source=source, now=now)[0].figures


# ---------------------------------------------------------------- who sees what


@dataclass(frozen=True)
class KpiScope:
    """What a user may read: every campaign or some (a client viewer's), every operator or one
    (an operator sees only their own figures), and whether operators may be named at all."""

    campaign_ids: tuple[int, ...] | None = None
    operator_id: int | None = None
    operators_visible: bool = True

    def restrict(self, kpi_filter: KpiFilter) -> KpiFilter:
        campaign_ids = kpi_filter.campaign_ids
        if self.campaign_ids is not None:
            allowed = set(self.campaign_ids)
            campaign_ids = tuple(sorted(allowed if campaign_ids is None else allowed & set(campaign_ids)))
        operator_id = self.operator_id if self.operator_id is not None else kpi_filter.operator_id
        return replace(kpi_filter, campaign_ids=campaign_ids, operator_id=operator_id)


def kpi_scope_for(user) -> KpiScope | None:
    """The user's KPI scope, or None when the user may read no KPI at all."""
    from callcenter import roles

    if roles.can(user, roles.VIEW_DASHBOARD):
        return KpiScope()
    if roles.can(user, roles.VIEW_CLIENT_KPIS):
        ids = tuple(sorted(user.client_campaigns.values_list("id", flat=True)))
        return KpiScope(campaign_ids=ids, operators_visible=False)
    if roles.can(user, roles.USE_CONSOLE):
        return KpiScope(operator_id=user.id)
    return None


def campaigns_in_scope(scope: KpiScope):
    from ..models import Campaign

    campaigns = Campaign.objects.order_by("name")
    if scope.campaign_ids is not None:
        campaigns = campaigns.filter(id__in=scope.campaign_ids)
    return campaigns


def operators_for_kpis():
    """The people who may use the console (the operator filter's choices)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    User = get_user_model()
    console = Q(groups__permissions__codename="use_console") | Q(user_permissions__codename="use_console")
    ids = User.objects.filter(console, is_active=True).values("id")
    return User.objects.filter(id__in=ids).order_by("last_name", "first_name", "username")


# ---------------------------------------------------------------- labels


def person_name(user) -> str:
    from callcenter.templatetags.callcenter_tags import display_name

    return display_name(user)


def label_rows(tables: dict[str, list[KpiRow]]) -> dict[str, list[KpiRow]]:
    """Fill in each row's label (campaign, list, segment and operator names; weekdays; hours)."""
    from django.contrib.auth import get_user_model
    from django.utils.dates import WEEKDAYS_ABBR
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from contacts.models import Segment

    from ..models import CallList, Campaign

    def ids(grouping):
        return {row.key for row in tables.get(grouping, []) if row.key is not None}

    names = {
        "campaign": dict(Campaign.objects.filter(id__in=ids("campaign")).values_list("id", "name")),
        "list": dict(CallList.objects.filter(id__in=ids("list")).values_list("id", "name")),
        "segment": dict(
            Segment.objects.filter(id__in={k[0] for k in ids("segment_weekday_hour")} | ids("segment")).values_list(
                "id", "name"
            )
        ),
        "operator": {u.id: person_name(u) for u in get_user_model().objects.filter(id__in=ids("operator"))},
    }
    empty = {
        "campaign": "—",
        "list": _("No list"),
        "segment": _("No segment"),
        "operator": _("No operator"),
    }
    for grouping, rows in tables.items():
        for row in rows:
            if grouping in names:
                row.label = names[grouping].get(row.key, empty[grouping]) if row.key is not None else empty[grouping]
            elif grouping == "segment_weekday_hour":  # the segment's name (weekday and hour are in the key)
                row.label = names["segment"].get(row.key[0], empty["segment"])
            elif grouping == "day":
                row.label = f"{date_format(row.key, 'SHORT_DATE_FORMAT')} ({WEEKDAYS_ABBR[row.key.weekday()]})"
            elif grouping == "hour":
                row.label = f"{row.key:02d}:00"
            elif grouping == "weekday":
                row.label = str(WEEKDAYS_ABBR[row.key])
            elif grouping == "none":
                row.label = _("Total")
    return tables


# ---------------------------------------------------------------- heat map and best time to call


@dataclass
class HeatCell:
    dials: int = 0
    contacts: int = 0

    @property
    def rate(self):
        return _ratio(self.contacts, self.dials)


def heat_grid(rows: list[KpiRow]) -> dict[tuple[int, int], HeatCell]:
    """(weekday, hour) -> dials and contacts, from a "weekday_hour" table."""
    return {row.key: HeatCell(row.figures.dials, row.figures.contacts) for row in rows}


def pick_best_hours(grid: dict[tuple[int, int], HeatCell], *, min_dials: int) -> set[tuple[int, int]]:
    """The cells with enough dials to judge whose contact rate is at least the average of those
    cells: when this campaign's or segment's customers pick up more often than usual."""
    judged = {cell: figures for cell, figures in grid.items() if figures.dials >= min_dials}
    if not judged:
        return set()
    average = sum(f.contacts for f in judged.values()) / sum(f.dials for f in judged.values())
    return {cell for cell, figures in judged.items() if figures.rate >= average and figures.contacts > 0}


BEST_HOURS_DAYS = 56


def best_hours(
    *, campaign_id=None, segment_id=None, min_dials: int = 20, days: int = BEST_HOURS_DAYS, today=None
) -> set[tuple[int, int]]:
    """(weekday, hour) slots, in the call center's local time (weekday 0 = Monday), in which the
    customers of a campaign and/or segment answered at least as often as on average over the last
    `days` days, counting only slots with `min_dials` dials or more. Empty when there is too little
    history to judge (the scheduler then ignores the preference)."""
    today = today or timezone.localdate()
    kpi_filter = KpiFilter(
        date_from=today - datetime.timedelta(days=days),
        date_to=today - datetime.timedelta(days=1),
        campaign_ids=(campaign_id,) if campaign_id is not None else None,
        segment_id=segment_id,
    )
    return pick_best_hours(heat_grid(kpi_table(kpi_filter, "weekday_hour")), min_dials=min_dials)


def best_hours_for_entry(entry) -> set[tuple[int, int]]:
    """The best hours for a list entry's next attempt: those of its list's segment (every campaign
    that called it) when there is enough history, else those of its campaign. They are judged on
    the days before today, so they change once a day: cached per list and day, a hit costs no
    query at all (scheduling runs after every outcome)."""
    from callcenter import cache_safely

    from ..models import CallList

    key = f"kpis:best-hours:{entry.campaign_id}:{entry.call_list_id}:{timezone.localdate()}"
    cached = cache_safely.get(key)  # Redis away: dispatch still works, reading the rollups
    if cached is not None:
        return {tuple(cell) for cell in cached}
    segment_id = CallList.objects.filter(id=entry.call_list_id).values_list("segment_id", flat=True).first()
    best = best_hours(segment_id=segment_id) if segment_id else set()
    if not best:
        best = best_hours(campaign_id=entry.campaign_id)
    cache_safely.set(key, sorted(best), 24 * 3600)
    return best


def next_best_hour(*, best: set[tuple[int, int]], earliest: datetime.datetime, allowed_from, horizon_days: int = 14):
    """The first moment at or after `earliest` that `allowed_from(moment)` (the scheduler's "first
    allowed time at or after moment", or None) accepts and that falls in one of the `best` slots.
    None when no best slot is allowed within `horizon_days` (the caller keeps its own time)."""
    if not best:
        return None
    tz = timezone.get_default_timezone()
    limit = earliest + datetime.timedelta(days=horizon_days)
    moment = earliest
    for _ in range(horizon_days * 24 + 1):  # at most one try per hour of the horizon
        allowed = allowed_from(moment)
        if allowed is None or allowed > limit or allowed < moment:
            return None
        local = allowed.astimezone(tz)
        if (local.weekday(), local.hour) in best:
            return allowed
        # not a best slot: try the start of the next local hour
        moment = (local.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)).astimezone(
            datetime.UTC
        )
    return None


# ---------------------------------------------------------------- the wallboard's operators

STATE_ORDER = ["on_call", "acw", "ready", "break", "offline"]


def operator_states(now=None) -> dict:
    """Every active console user with their current state and since when, and a count per state
    (offline: no open interval). No customer data: the wallboard hangs on a wall."""
    from ..models import AgentStateLog

    now = now or timezone.now()
    labels = dict(AgentStateLog.State.choices)
    open_states = {log.operator_id: log for log in AgentStateLog.objects.filter(ended_at__isnull=True)}
    people = []
    for user in operators_for_kpis():
        log = open_states.get(user.id)
        state = log.state if log else AgentStateLog.State.OFFLINE
        people.append(
            {
                "name": person_name(user),
                "state": state,
                "label": labels[state],
                "since": log.started_at if log else None,
                "minutes": int((now - log.started_at).total_seconds() // 60) if log else None,
            }
        )
    people.sort(key=lambda p: (STATE_ORDER.index(p["state"]), -(p["minutes"] or 0), p["name"]))
    counts = [{"state": s, "label": labels[s], "count": sum(1 for p in people if p["state"] == s)} for s in STATE_ORDER]
    return {"people": people, "working": [p for p in people if p["since"] is not None], "counts": counts}
