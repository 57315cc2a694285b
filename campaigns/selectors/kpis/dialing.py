"""Dialing figures of the KPI tables: calls answered (the answer-seizure ratio's numerator; every
dial is a seizure) and the ring time of the calls dialed with their events on the server (the
softphone, the console's buttons, an external dialer: campaigns.services.call_events), grouped like
the other figures (GROUPING SETS over the same dimensions).

Read straight from the attempts of the period for both KPI sources, so rollup and raw tables
agree; the rollup tables carry no ring time (attempts written before the call events have none)."""

from .figures import KpiFilter

DIALING_MEASURES = ("answered", "rung", "ring_seconds")


def dialing_sql(kpi_filter: KpiFilter, select: str, group_by: str, params: dict) -> str:
    """The dialing sums per grouping set; `select` and `group_by` as tables._grouping_select makes
    them (the dimension columns are the same names)."""
    conditions = ["a.started_at >= %(start)s", "a.started_at < %(end)s"]
    conditions += kpi_filter.row_conditions(params, operator_column="a.operator_id")
    return f"""
        SELECT {select},
               count(*) FILTER (WHERE a.answered_at IS NOT NULL) AS answered,
               count(*) FILTER (WHERE a.ring_seconds > 0) AS rung,
               coalesce(sum(a.ring_seconds), 0) AS ring_seconds
        FROM (
            SELECT a.campaign_id, a.call_list_id, a.operator_id, a.answered_at, a.ring_seconds,
                   (a.started_at AT TIME ZONE %(tz)s)::date AS day,
                   EXTRACT(HOUR FROM a.started_at AT TIME ZONE %(tz)s)::smallint AS hour,
                   (EXTRACT(ISODOW FROM a.started_at AT TIME ZONE %(tz)s)::int - 1) AS weekday,
                   cl.segment_id
            FROM campaigns_callattempt a
            LEFT JOIN campaigns_calllist cl ON cl.id = a.call_list_id
            WHERE {" AND ".join(conditions)}
        ) a
        GROUP BY {group_by}"""
