"""KPI pages: the manager dashboard, the live wallboard, the client viewer's page, CSV exports.
The figures come from campaigns.selectors.kpis; this module only chooses and formats them."""

import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from callcenter import csv_files, roles
from callcenter.audit import record_event

from ..forms.kpis import KpiFilterForm
from ..selectors.kpis.best_hours import heat_grid, pick_best_hours
from ..selectors.kpis.figures import Figures, KpiFilter, KpiRow
from ..selectors.kpis.labels import label_rows
from ..selectors.kpis.scope import KpiScope, campaigns_in_scope, kpi_scope_for, operators_for_kpis
from ..selectors.kpis.tables import key_order, kpi_tables
from ..selectors.kpis.wallboard import operator_states
from ..services.kpis import rollups_refreshed_at

BEST_HOURS_MIN_DIALS = 20

# (figure, label, format, which way is better: 1 up, -1 down, 0 neither)
TILES = [
    ("dials", gettext_lazy("Dials"), "int", 1),
    ("contact_rate", gettext_lazy("Contact rate"), "pct", 1),
    ("success_rate", gettext_lazy("Success rate"), "pct", 1),
    ("success_per_contact", gettext_lazy("Success per contact"), "pct", 1),
    ("utilization", gettext_lazy("Utilization"), "pct", 1),
    ("att", gettext_lazy("ATT (avg. talk time)"), "time", 0),
    ("acw", gettext_lazy("ACW (avg. after-call work)"), "time", -1),
    ("aht", gettext_lazy("AHT (avg. handling time)"), "time", -1),
    ("cpc", gettext_lazy("CPC (cost per dial)"), "money", -1),
    ("cph", gettext_lazy("CPH (dials per hour)"), "dec", 1),
    ("cost", gettext_lazy("Total cost"), "money", 0),
    ("logged_in_hours", gettext_lazy("Logged-in hours"), "dec", 0),
    ("appointments_set", gettext_lazy("Appointments set"), "int", 1),
    ("held_rate", gettext_lazy("Appointment held rate"), "pct", 1),
]
COLUMNS = [
    ("dials", gettext_lazy("Dials"), "int"),
    ("contacts", gettext_lazy("Contacts"), "int"),
    ("contact_rate", gettext_lazy("Contact rate"), "pct"),
    ("successes", gettext_lazy("Successes"), "int"),
    ("success_rate", gettext_lazy("Success rate"), "pct"),
    ("success_per_contact", gettext_lazy("Success per contact"), "pct"),
    ("att", gettext_lazy("ATT"), "time"),
    ("acw", gettext_lazy("ACW"), "time"),
    ("aht", gettext_lazy("AHT"), "time"),
    ("utilization", gettext_lazy("Utilization"), "pct"),
    ("logged_in_hours", gettext_lazy("Logged-in hours"), "dec"),
    ("cph", gettext_lazy("CPH"), "dec"),
    ("cost", gettext_lazy("Cost"), "money"),
    ("cpc", gettext_lazy("CPC"), "money"),
    ("appointments_set", gettext_lazy("Appts"), "int"),
    ("appointments_per_hour", gettext_lazy("Appts / h"), "dec"),
    ("held_rate", gettext_lazy("Held rate"), "pct"),
    ("no_show_rate", gettext_lazy("No-show rate"), "pct"),
    ("asr", gettext_lazy("ASR"), "pct"),
    ("avg_ring", gettext_lazy("Avg. ring"), "time"),
]
TABLE_TITLES = {
    "operator": gettext_lazy("By operator"),
    "campaign": gettext_lazy("By campaign"),
    "list": gettext_lazy("By call list"),
    "segment": gettext_lazy("By segment"),
    "day": gettext_lazy("By day"),
    "hour": gettext_lazy("By hour of day"),
    "weekday": gettext_lazy("By weekday"),
    "weekday_hour": gettext_lazy("Contact rate by weekday and hour"),
}
KEY_TITLES = {
    "operator": gettext_lazy("Operator"),
    "campaign": gettext_lazy("Campaign"),
    "list": gettext_lazy("Call list"),
    "segment": gettext_lazy("Segment"),
    "day": gettext_lazy("Day"),
    "hour": gettext_lazy("Hour"),
    "weekday": gettext_lazy("Weekday"),
    "weekday_hour": gettext_lazy("Weekday / hour"),
}
DASHBOARD_TABLES = [
    "none",
    "day",
    "hour",
    "weekday",
    "operator",
    "campaign",
    "list",
    "segment",
    "weekday_hour",
    "segment_weekday_hour",
]
# Client viewers: the same figures for their campaigns, without people (operators) in them, nor
# the center's segments of its customers.
CLIENT_TABLES = ["none", "day", "hour", "weekday", "campaign", "list", "weekday_hour"]
EXPORTABLE = {
    "day",
    "hour",
    "weekday",
    "operator",
    "campaign",
    "list",
    "segment",
    "weekday_hour",
    "segment_weekday_hour",
}


# ---------------------------------------------------------------- formatting


def figure(figures: Figures, name: str):
    return getattr(figures, name)


def display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "time":
        seconds = int(round(value))
        hours, rest = divmod(seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
    if kind == "money":
        return f"¥{float(value):,.0f}" if abs(float(value)) >= 100 else f"¥{float(value):,.1f}"
    return f"{float(value):,.1f}"


def compare(current, previous, kind: str, better: int) -> dict:
    """The change against the previous period, and whether it is good news."""
    if current is None or previous is None:
        return {"text": "", "tone": "secondary", "arrow": ""}
    if kind == "pct":
        change = (float(current) - float(previous)) * 100
        text = f"{change:+.1f} pt"
    elif float(previous) == 0:
        change = float(current)
        text = "" if change == 0 else _("new")
    else:
        change = (float(current) - float(previous)) / float(previous) * 100
        text = f"{change:+.1f}%"
    arrow = "up" if change > 0 else ("down" if change < 0 else "")
    tone = "secondary"
    if better and change:
        tone = "success" if (change > 0) == (better > 0) else "danger"
    return {"text": text, "tone": tone, "arrow": arrow}


def tiles(current: Figures, previous: Figures) -> list[dict]:
    result = []
    for name, label, kind, better in TILES:
        now_value, before = figure(current, name), figure(previous, name)
        result.append(
            {
                "name": name,
                "label": label,
                "value": display(now_value, kind),
                "previous": display(before, kind),
                "change": compare(now_value, before, kind, better),
            }
        )
    return result


def columns(compare: bool) -> list[tuple[str, str, str, bool]]:
    """The tables' figure columns (name, label, kind, of the previous period?): with `compare`, each
    figure is followed by the same figure of the previous period."""
    result = []
    for name, label, kind in COLUMNS:
        result.append((name, label, kind, False))
        if compare:
            result.append((name, _("%(figure)s, previous period") % {"figure": label}, kind, True))
    return result


def compared_rows(grouping: str, rows: list[KpiRow], previous: list[KpiRow], kpi_filter: KpiFilter):
    """(row, previous figures) pairs: the previous period's figures of the same campaign, operator,
    hour … (of a day: the day as many days earlier as the period is long). Rows found only in the
    previous period come last, with no figures in this one."""

    def key(row):
        if grouping == "day":
            return row.key + datetime.timedelta(days=kpi_filter.days)
        return row.key

    before = {key(row): row for row in previous}
    pairs = [(row, before.pop(row.key).figures if row.key in before else Figures()) for row in rows]
    for old_key, row in before.items():
        pairs.append((KpiRow(key=old_key, figures=Figures(), label=row.label), row.figures))
    return sorted(pairs, key=lambda pair: key_order(pair[0].key))


def table_rows(pairs, table_columns) -> list[dict]:
    """Rows with their figure cells rendered here: a dashboard has a few thousand cells, and a
    template loop writes them an order of magnitude slower (bench/kpi_cells.py, docs/benchmarks.md),
    so the heat map is a template but these cells are not. `pairs`: (row, previous figures)."""
    return [
        {
            "key": row.key,
            "label": row.label,
            # numbers formatted by display(): digits, separators, %, ¥, ":" and "—", nothing to escape
            "cells": mark_safe(  # noqa: S308
                "".join(
                    f'<td class="num{" previous" if earlier else ""}" data-sort="{_sort_value(value)}">'
                    f"{display(value, kind)}</td>"
                    for value, kind, earlier in (
                        (figure(previous if earlier else row.figures, name), kind, earlier)
                        for name, _label, kind, earlier in table_columns
                    )
                )
            ),
        }
        for row, previous in pairs
    ]


def _sort_value(value):
    return "" if value is None else float(value)


def heat_map(rows, *, min_dials: int | None = None) -> dict:
    """An hour × weekday grid of contact rates, shaded relative to the best cell, with the best
    hours starred (picked as the scheduler's "prefer best hours" picks them). A cell needs enough
    dials to be judged: 1 % of the map's dials, between 5 and the scheduler's 20."""
    from django.utils.dates import WEEKDAYS_ABBR

    # Without a campaign filter the rows also carry hours operators were logged in without dialing:
    # a cell without dials says nothing about when customers answer.
    grid = {cell: figures for cell, figures in heat_grid(rows).items() if figures.dials}
    if min_dials is None:
        min_dials = max(5, min(BEST_HOURS_MIN_DIALS, sum(cell.dials for cell in grid.values()) // 100))
    hours = sorted({hour for _, hour in grid}) or list(range(9, 20))
    hours = list(range(min(hours), max(hours) + 1))
    best = pick_best_hours(grid, min_dials=min_dials)
    # Shade against the best cell that has enough dials to judge, so one lucky call in a quiet
    # hour does not wash out the rest; such thin cells are drawn faint.
    judged = [cell.rate for cell in grid.values() if cell.rate and cell.dials >= min_dials]
    top = max(judged or [cell.rate for cell in grid.values() if cell.rate] or [0])
    weekdays = []
    for weekday in range(7):
        cells = []
        for hour in hours:
            cell = grid.get((weekday, hour))
            if cell is None or not cell.dials:
                cells.append(None)  # drawn empty, "No dials"
                continue
            strength = min(1.0, (cell.rate or 0) / top) if top else 0
            thin = cell.dials < min_dials
            alpha = 0.08 + (0.22 if thin else 0.82) * strength
            classes = " ".join(
                c for c, on in (("dark", alpha > 0.5), ("thin", thin), ("best", (weekday, hour) in best)) if on
            )
            title = _("%(weekday)s %(hour)02d:00 — %(rate)s of %(dials)s dials") % {
                "weekday": WEEKDAYS_ABBR[weekday],
                "hour": hour,
                "rate": display(cell.rate, "pct"),
                "dials": f"{cell.dials:,}",
            }
            cells.append(
                {"classes": classes, "alpha": f"{alpha:.3f}", "title": title, "rate": display(cell.rate, "pct")}
            )
        weekdays.append({"label": WEEKDAYS_ABBR[weekday], "cells": cells})
    return {"hours": [f"{h:02d}" for h in hours], "weekdays": weekdays, "has_data": bool(grid), "min_dials": min_dials}


def chart_data(kpi_filter, tables) -> dict:
    by_day = {row.key: row.figures for row in tables["day"]}
    days, day = [], kpi_filter.date_from
    while day <= kpi_filter.date_to:
        days.append(day)
        day += datetime.timedelta(days=1)

    def pct(value):
        return None if value is None else round(value * 100, 2)

    empty = Figures()
    totals = tables["none"][0].figures
    return {
        "trend": {
            "labels": [f"{d.month}/{d.day}" for d in days],
            "dials": [by_day.get(d, empty).dials for d in days],
            "contacts": [by_day.get(d, empty).contacts for d in days],
            "successes": [by_day.get(d, empty).successes for d in days],
            "contact_rate": [pct(by_day.get(d, empty).contact_rate) for d in days],
            "success_rate": [pct(by_day.get(d, empty).success_rate) for d in days],
        },
        "hours": {
            "labels": [row.label for row in tables["hour"]],
            "dials": [row.figures.dials for row in tables["hour"]],
            "contact_rate": [pct(row.figures.contact_rate) for row in tables["hour"]],
        },
        "funnel": {
            "labels": [_("Dials"), _("Contacts"), _("Successes")],
            "values": [totals.dials, totals.contacts, totals.successes],
            "rates": [100 if totals.dials else None, pct(totals.contact_rate), pct(totals.success_rate)],
        },
        "text": {
            "dials": _("Dials"),
            "contacts": _("Contacts"),
            "successes": _("Successes"),
            "contact_rate": _("Contact rate (%)"),
            "success_rate": _("Success rate (%)"),
            "of_dials": _("of dials"),
        },
    }


# ---------------------------------------------------------------- pages

TABLES = ("operator", "campaign", "list", "segment", "day", "hour", "weekday")


def _report(kpi_filter, groupings, *, compare: bool):
    """This period's tables, and the previous period's: its totals, and its tables too to compare."""
    tables = label_rows(kpi_tables(kpi_filter, groupings))
    compared = [g for g in groupings if g in TABLES] if compare else []
    previous = label_rows(kpi_tables(kpi_filter.previous(), ["none", *compared]))
    return tables, previous


def _presets(request, form, kpi_filter) -> list[dict]:
    presets = []
    for label, start, end in form.presets():
        query = request.GET.copy()
        query["date_from"], query["date_to"] = start.isoformat(), end.isoformat()
        presets.append(
            {
                "label": label,
                "query": query.urlencode(),
                "active": (start, end) == (kpi_filter.date_from, kpi_filter.date_to),
            }
        )
    return presets


def _page_context(request, form, kpi_filter, groupings, *, with_segments: bool):
    compare = form.compare_tables()
    tables, previous_tables = _report(kpi_filter, groupings, compare=compare)
    previous = previous_tables["none"][0].figures
    totals = tables["none"][0].figures
    table_columns = columns(compare)
    context = {
        "form": form,
        "kpi_filter": kpi_filter,
        "previous_filter": kpi_filter.previous(),
        "totals": totals,
        "tiles": tiles(totals, previous),
        "columns": [(name, label) for name, label, _kind, _previous in table_columns],
        "compare": compare,
        "tables": [
            {
                "name": g,
                "title": TABLE_TITLES[g],
                "key_title": KEY_TITLES[g],
                "rows": table_rows(compared_rows(g, tables[g], previous_tables.get(g, []), kpi_filter), table_columns),
                "export": g in EXPORTABLE,
            }
            for g in groupings
            if g in TABLES
        ],
        "heat_maps": [
            {
                "id": "all",
                "label": _("All segments") if with_segments else _("All campaigns"),
                "map": heat_map(tables["weekday_hour"]),
            }
        ],
        "charts": chart_data(kpi_filter, tables),
        "refreshed_at": rollups_refreshed_at(),
        "query": request.GET.urlencode(),
        "presets": _presets(request, form, kpi_filter),
    }
    if with_segments:
        per_segment = {}
        for row in tables["segment_weekday_hour"]:
            segment_id, weekday, hour = row.key
            per_segment.setdefault(segment_id, []).append(KpiRow(key=(weekday, hour), figures=row.figures))
        names = {row.key: row.label for row in tables["segment"]}
        for segment_id, rows in sorted(per_segment.items(), key=lambda kv: names.get(kv[0], "")):
            context["heat_maps"].append(
                {"id": str(segment_id or "none"), "label": names.get(segment_id, "—"), "map": heat_map(rows)}
            )
    return context


def tables_on_page(scope: KpiScope) -> list[str]:
    """The tables of the KPI page a scope gets: the dashboard's, or the client viewer's."""
    return DASHBOARD_TABLES if scope.operators_visible else CLIENT_TABLES


@require_GET
@roles.permission_required(roles.VIEW_DASHBOARD)
def dashboard(request):
    scope = KpiScope()
    form = KpiFilterForm(request.GET, campaigns=campaigns_in_scope(scope), operators=operators_for_kpis())
    kpi_filter = form.kpi_filter()
    context = _page_context(request, form, kpi_filter, tables_on_page(scope), with_segments=True)
    return render(request, "campaigns/kpis/dashboard.html", context)


@require_GET
@roles.permission_required(roles.VIEW_CLIENT_KPIS)
def client_kpis(request):
    scope = kpi_scope_for(request.user)
    campaigns = campaigns_in_scope(scope)
    form = KpiFilterForm(request.GET, campaigns=campaigns)
    kpi_filter = scope.restrict(form.kpi_filter())
    context = _page_context(request, form, kpi_filter, tables_on_page(scope), with_segments=False)
    context["campaigns"] = campaigns
    return render(request, "campaigns/kpis/client.html", context)


def _refresh_seconds(request, default: int = 15) -> int:
    """How often the wallboard reloads itself (?every=N seconds, 2-300)."""
    try:
        return min(300, max(2, int(request.GET.get("every", default))))
    except ValueError:
        return default


def _hour_bars(rows) -> list[dict]:
    """Dials per hour as bar heights (% of the busiest hour). Hours where operators were logged in
    but nobody dialed yet have rows too, so the busiest hour can have 0 dials (a morning's start)."""
    busiest = max((row.figures.dials for row in rows), default=0)
    return [
        {
            "label": row.label,
            "dials": row.figures.dials,
            "height": round(100 * row.figures.dials / busiest) if busiest else 0,
        }
        for row in rows
    ]


def _wallboard_context(request):
    today = timezone.localdate()
    campaigns = campaigns_in_scope(KpiScope())
    form = KpiFilterForm(request.GET, campaigns=campaigns)
    kpi_filter = form.kpi_filter()
    kpi_filter = KpiFilter(date_from=today, date_to=today, campaign_ids=kpi_filter.campaign_ids)
    tables = label_rows(kpi_tables(kpi_filter, ["none", "campaign", "hour"]))
    totals = tables["none"][0].figures
    states = operator_states()
    return {
        "form": form,
        "today": today,
        "now": timezone.localtime(),
        "totals": totals,
        "big": [
            {"label": _("Dials"), "value": display(totals.dials, "int")},
            {"label": _("Contacts"), "value": display(totals.contacts, "int")},
            {"label": _("Successes"), "value": display(totals.successes, "int")},
            {"label": _("Contact rate"), "value": display(totals.contact_rate, "pct")},
            {"label": _("Success rate"), "value": display(totals.success_rate, "pct")},
        ],
        "campaign_rows": [
            {
                "label": row.label,
                "dials": display(row.figures.dials, "int"),
                "contacts": display(row.figures.contacts, "int"),
                "successes": display(row.figures.successes, "int"),
                "contact_rate": display(row.figures.contact_rate, "pct"),
                "success_rate": display(row.figures.success_rate, "pct"),
            }
            for row in sorted(tables["campaign"], key=lambda r: -r.figures.dials)
        ],
        "hours": _hour_bars(tables["hour"]),
        "states": states,
        "every": _refresh_seconds(request),
        "refreshed_at": rollups_refreshed_at(),
        "query": request.GET.urlencode(),
    }


@require_GET
@roles.permission_required(roles.VIEW_DASHBOARD)
def wallboard(request):
    return render(request, "campaigns/kpis/wallboard.html", _wallboard_context(request))


@require_GET
@roles.permission_required(roles.VIEW_DASHBOARD)
def wallboard_panel(request):
    """The part of the wallboard that htmx reloads every few seconds."""
    return render(request, "campaigns/kpis/_wallboard_panel.html", _wallboard_context(request))


# ---------------------------------------------------------------- CSV

CSV_VALUE = {
    "int": lambda v: "" if v is None else int(v),
    "pct": lambda v: "" if v is None else f"{v * 100:.2f}",
    "time": lambda v: "" if v is None else f"{v:.1f}",
    "money": lambda v: "" if v is None else f"{float(v):.2f}",
    "dec": lambda v: "" if v is None else f"{float(v):.2f}",
}
CSV_UNIT = {"pct": " (%)", "time": " (s)", "money": "", "dec": "", "int": ""}


@require_GET
@roles.permission_required(roles.EXPORT_DATA, roles.VIEW_CLIENT_KPIS)
def kpi_export(request, table: str):
    """A KPI table of the user's page as CSV (UTF-8 with BOM, so Excel opens the Japanese right):
    a client viewer gets the tables the client page shows, nothing the dashboard adds."""
    scope = kpi_scope_for(request.user)
    if scope is None or table not in EXPORTABLE or table not in tables_on_page(scope):
        raise Http404
    operators = operators_for_kpis() if scope.operators_visible else None
    form = KpiFilterForm(request.GET, campaigns=campaigns_in_scope(scope), operators=operators)
    kpi_filter = scope.restrict(form.kpi_filter())
    rows = label_rows(kpi_tables(kpi_filter, [table]))[table]
    compare = form.compare_tables()
    previous = label_rows(kpi_tables(kpi_filter.previous(), [table]))[table] if compare else []
    table_columns = columns(compare)

    filename = f"kpi-{table}-{kpi_filter.date_from:%Y%m%d}-{kpi_filter.date_to:%Y%m%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(csv_files.BOM)
    writer = csv_files.line_writer()
    if table == "weekday_hour":
        header = [str(KEY_TITLES["weekday"]), str(KEY_TITLES["hour"])]
    elif table == "segment_weekday_hour":
        header = [str(KEY_TITLES["segment"]), str(KEY_TITLES["weekday"]), str(KEY_TITLES["hour"])]
    else:
        header = [str(KEY_TITLES[table])]
    response.write(
        writer.writerow(header + [f"{label}{CSV_UNIT[kind]}" for _name, label, kind, _previous in table_columns])
    )
    from django.utils.dates import WEEKDAYS_ABBR

    for row, previous_figures in compared_rows(table, rows, previous, kpi_filter):
        if table == "weekday_hour":
            key = [str(WEEKDAYS_ABBR[row.key[0]]), f"{row.key[1]:02d}:00"]
        elif table == "segment_weekday_hour":  # the heat map of each segment
            key = [csv_files.neutralize(row.label), str(WEEKDAYS_ABBR[row.key[1]]), f"{row.key[2]:02d}:00"]
        elif table == "day":
            key = [row.key.isoformat()]
        else:
            key = [csv_files.neutralize(row.label)]  # names are typed by users; figures are numbers
        response.write(
            writer.writerow(
                key
                + [
                    CSV_VALUE[kind](figure(previous_figures if earlier else row.figures, name))
                    for name, _label, kind, earlier in table_columns
                ]
            )
        )
    record_event(
        actor=request.user,
        action="kpis.export",
        summary=f"KPI table '{table}' {kpi_filter.date_from}..{kpi_filter.date_to}",
        table=table,
        date_from=kpi_filter.date_from.isoformat(),
        date_to=kpi_filter.date_to.isoformat(),
        campaigns=list(kpi_filter.campaign_ids) if kpi_filter.campaign_ids is not None else None,
        operator=kpi_filter.operator_id,
        rows=len(rows),
        compare=compare,
    )
    return response
