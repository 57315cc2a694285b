"""Appointment figures of the KPI tables: appointments set (by the moment the call set them,
`set_at`), held, no-show and cancelled, grouped like the other figures (GROUPING SETS over the
same dimensions: the operator is who booked it, the list and campaign of the call).

Read straight from campaigns_appointment (one row per appointment and per reschedule; far fewer
than attempts) for both KPI sources, so rollup and raw tables agree. A rescheduled appointment and
its successor share `set_at`, campaign, list and operator: the original counts as set, and each
chain's one open version carries its outcome."""

from .figures import KpiFilter

APPOINTMENT_MEASURES = ("appointments_set", "appointments_held", "appointments_no_show", "appointments_cancelled")


def appointments_sql(kpi_filter: KpiFilter, select: str, group_by: str, params: dict) -> str:
    """The appointment sums per grouping set; `select` and `group_by` as tables._grouping_select
    makes them (the dimension columns are the same names)."""
    conditions = ["a.set_at >= %(start)s", "a.set_at < %(end)s"]
    conditions += kpi_filter.row_conditions(params, operator_column="a.booked_by_id")
    return f"""
        SELECT {select},
               count(*) FILTER (WHERE a.rescheduled_from_id IS NULL) AS appointments_set,
               count(*) FILTER (WHERE a.status = 'held') AS appointments_held,
               count(*) FILTER (WHERE a.status = 'no_show') AS appointments_no_show,
               count(*) FILTER (WHERE a.status = 'cancelled') AS appointments_cancelled
        FROM (
            SELECT a.*, (a.set_at AT TIME ZONE %(tz)s)::date AS day,
                   EXTRACT(HOUR FROM a.set_at AT TIME ZONE %(tz)s)::smallint AS hour,
                   (EXTRACT(ISODOW FROM a.set_at AT TIME ZONE %(tz)s)::int - 1) AS weekday,
                   a.booked_by_id AS operator_id, cl.segment_id
            FROM campaigns_appointment a
            LEFT JOIN campaigns_calllist cl ON cl.id = a.call_list_id
            WHERE {" AND ".join(conditions)}
        ) a
        GROUP BY {group_by}"""
