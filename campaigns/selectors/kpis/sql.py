"""SQL fragments shared by the rollup maintenance (services/kpis.py) and the raw path of the KPI
tables (tables.py), so the rollups and a from-scratch computation cannot drift apart in what they
count."""

ATTEMPT_MEASURES = (
    "dials",
    "contacts",
    "successes",
    "handled",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "handle_seconds",
    # dialing: dials answered (by a person or a machine), dials timed by their call events, their ring time
    "answered",
    "rung",
    "ring_seconds",
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
               count(*) FILTER (WHERE a.is_contact) AS contacts,
               count(*) FILTER (WHERE a.is_success) AS successes,
               count(*) FILTER (WHERE a.talk_seconds > 0) AS handled,
               coalesce(sum(a.talk_seconds), 0) AS talk_seconds,
               coalesce(sum(a.hold_seconds), 0) AS hold_seconds,
               coalesce(sum(a.acw_seconds), 0) AS acw_seconds,
               coalesce(sum(a.talk_seconds + a.hold_seconds + a.acw_seconds) FILTER (WHERE a.talk_seconds > 0), 0)
                   AS handle_seconds,
               count(*) FILTER (WHERE a.answered_at IS NOT NULL) AS answered,
               count(*) FILTER (WHERE a.ring_seconds > 0) AS rung,
               coalesce(sum(a.ring_seconds), 0) AS ring_seconds
        FROM campaigns_callattempt a
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
