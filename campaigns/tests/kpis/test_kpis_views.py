"""The KPI pages and CSV exports: who may open them, what they show, and what they never show."""

import csv
import datetime
import io
import json

import pytest
import sqlparse
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from callcenter.models import AuditEvent
from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.labels import person_name
from campaigns.selectors.kpis.tables import GROUPINGS, kpi_tables
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories_kpis import DAY, at, hand_dataset

pytestmark = pytest.mark.django_db
DAY_QUERY = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


@pytest.fixture
def data(reference_data):
    data = hand_dataset()
    refresh_kpi_rollups(now=at(DAY, 23))
    return data


def test_dashboard_shows_tiles_tables_heat_map_and_chart_data(data, manager, login):
    response = login(manager).get(reverse("campaigns:dashboard"), DAY_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    tiles = {tile["name"]: tile for tile in response.context["tiles"]}
    assert tiles["dials"]["value"] == "7" and tiles["dials"]["previous"] == "1"
    assert tiles["contact_rate"]["value"] == "42.9%"
    assert tiles["utilization"]["value"] == "60.0%"
    assert tiles["att"]["value"] == "1:30"
    assert tiles["cost"]["value"] == "¥4,678"
    assert tiles["dials"]["change"]["tone"] == "success"
    operator_table = next(t for t in response.context["tables"] if t["name"] == "operator")
    assert {row["label"] for row in operator_table["rows"]} == {person_name(u) for u in (data.a, data.b, data.c)}
    assert 'data-testid="chart-trend"' in page and 'id="kpi-charts"' in page
    charts = response.context["charts"]
    assert charts["funnel"]["values"] == [7, 3, 1]
    assert charts["trend"]["dials"] == [7]
    heat_ids = [h["id"] for h in response.context["heat_maps"]]
    assert heat_ids[0] == "all" and str(data.segment.id) in heat_ids
    assert "KPI segment S" in page


def test_dashboard_filters_change_the_figures(data, manager, login):
    client = login(manager)
    response = client.get(reverse("campaigns:dashboard"), {**DAY_QUERY, "campaign": data.x.id})
    assert response.context["totals"].dials == 4
    response = client.get(reverse("campaigns:dashboard"), {**DAY_QUERY, "operator": data.b.id})
    assert response.context["totals"].dials == 2


def test_dashboard_bad_filter_shows_an_error_and_the_default(data, manager, login):
    response = login(manager).get(
        reverse("campaigns:dashboard"), {"date_from": "2025-06-10", "date_to": "2025-06-01", "campaign": "nope"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'data-testid="kpi-filter-errors"' in response.content.decode()
    assert response.context["kpi_filter"].days == 30
    # Dates at the edge of the calendar overflowed the period's arithmetic (a 500): now a form error.
    response = login(manager).get(reverse("campaigns:dashboard"), {"date_from": "9999-12-30", "date_to": "9999-12-31"})
    assert response.status_code == 200 and "date_from" in response.context["form"].errors
    assert response.context["kpi_filter"].days == 30


def test_dashboard_and_wallboard_need_the_dashboard_permission(data, operator, client_viewer, client):
    for name in ("campaigns:dashboard", "campaigns:wallboard", "campaigns:wallboard_panel"):
        assert client.get(reverse(name)).status_code == 302  # to the login page
        client.force_login(operator)
        assert client.get(reverse(name)).status_code == 403
        client.force_login(client_viewer)
        assert client.get(reverse(name)).status_code == 403
        client.logout()


def test_manager_home_lands_on_the_dashboard_and_nav_shows_it(manager, client_viewer, login):
    client = login(manager)
    assert client.get(reverse("home"), follow=True).redirect_chain[-1][0] == reverse("campaigns:dashboard")
    page = client.get(reverse("campaigns:dashboard")).content.decode()
    assert reverse("campaigns:wallboard") in page
    client = login(client_viewer)
    assert client.get(reverse("home"), follow=True).redirect_chain[-1][0] == reverse("campaigns:client_kpis")


def test_wallboard_shows_today_and_operators_by_state(data, manager, login):
    from django.utils import timezone

    from campaigns.tests.factories_kpis import make_attempt, make_state

    now = timezone.now()
    # The board counts the local day: shortly after midnight the call goes just after it instead.
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    make_attempt(
        campaign=data.x,
        operator=data.a,
        started_at=max(now - datetime.timedelta(minutes=5), midnight + datetime.timedelta(seconds=1)),
        disposition="success",
        talk=60,
    )
    make_state(operator=data.a, state="on_call", started_at=now - datetime.timedelta(minutes=3))
    make_state(operator=data.c, state="break", started_at=now - datetime.timedelta(minutes=12))
    refresh_kpi_rollups(now=now + datetime.timedelta(seconds=30))
    client = login(manager)
    response = client.get(reverse("campaigns:wallboard"))
    assert response.status_code == 200
    assert response.context["totals"].dials == 1 and response.context["totals"].successes == 1
    counts = {c["state"]: c["count"] for c in response.context["states"]["counts"]}
    assert counts["on_call"] == 1 and counts["break"] == 1
    assert 'hx-trigger="every 15s"' in response.content.decode()
    panel = client.get(reverse("campaigns:wallboard_panel"), {"campaign": data.y.id})
    assert panel.status_code == 200 and panel.context["totals"].dials == 0
    assert "<html" not in panel.content.decode()


def test_wallboard_before_the_first_dial_of_the_day(data, manager, login):
    """Morning: operators have logged in but nobody has dialed yet. The hour rows then carry
    logged-in time and no dials (the hour chart divided by the busiest hour's 0 dials: a 500)."""
    from django.utils import timezone

    from campaigns.tests.factories_kpis import make_state

    now = timezone.now()
    make_state(operator=data.a, state="ready", started_at=now - datetime.timedelta(minutes=20))
    refresh_kpi_rollups(now=now + datetime.timedelta(seconds=30))
    client = login(manager)
    for name in ("campaigns:wallboard", "campaigns:wallboard_panel"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response.context["totals"].dials == 0
        assert all(hour["height"] == 0 for hour in response.context["hours"])
        counts = {c["state"]: c["count"] for c in response.context["states"]["counts"]}
        assert counts["ready"] == 1


def test_client_page_shows_only_its_campaigns_and_no_personal_data(data, client_viewer, login):
    data.y.client_viewers.add(client_viewer)
    response = login(client_viewer).get(reverse("campaigns:client_kpis"), DAY_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["totals"].dials == 3
    assert "KPI Y" in page and "KPI X" not in page
    assert [c.id for c in response.context["form"].fields["campaign"].queryset] == [data.y.id]
    # no customer data, and no operator names either
    customer = data.customer
    for secret in [
        customer.name,
        customer.name_kana,
        customer.external_id,
        "+8190",
        "819000000000",
        person_name(data.a),
        person_name(data.b),
        data.a.username,
    ]:
        assert secret not in page, secret
    assert "operator" not in [t["name"] for t in response.context["tables"]]
    # a campaign that is not theirs in the URL is simply not applied
    response = login(client_viewer).get(reverse("campaigns:client_kpis"), {**DAY_QUERY, "campaign": data.x.id})
    assert response.context["totals"].dials == 3


def test_client_page_without_campaigns_says_so(client_viewer, login):
    response = login(client_viewer).get(reverse("campaigns:client_kpis"))
    assert response.status_code == 200
    assert 'data-testid="client-campaigns"' not in response.content.decode()


def test_client_page_needs_the_client_permission(operator, login):
    assert login(operator).get(reverse("campaigns:client_kpis")).status_code == 403


def read_csv(response):
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_of_every_table_with_bom_and_audit(data, manager, login):
    client = login(manager)
    for table in ("day", "hour", "weekday", "operator", "campaign", "list", "segment", "weekday_hour"):
        response = client.get(reverse("campaigns:kpi_export", args=[table]), DAY_QUERY)
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv")
        rows = read_csv(response)
        assert len(rows) >= 2, table
    rows = read_csv(client.get(reverse("campaigns:kpi_export", args=["campaign"]), DAY_QUERY))
    header, *body = rows
    dials = header.index(next(h for h in header if h in ("Dials", "架電数")))
    assert {row[0]: row[dials] for row in body} == {"KPI X": "4", "KPI Y": "3"}
    assert AuditEvent.objects.filter(action="kpis.export", actor=manager).count() == 9
    assert client.get(reverse("campaigns:kpi_export", args=["customers"])).status_code == 404


def test_csv_export_names_are_plain_text(data, manager, login):
    data.x.name = "=cmd|' /C calc'!A0"
    data.x.save()
    rows = read_csv(login(manager).get(reverse("campaigns:kpi_export", args=["campaign"]), DAY_QUERY))
    assert "'=cmd|' /C calc'!A0" in [row[0] for row in rows[1:]]


def test_csv_export_scoping(data, client_viewer, operator, login):
    data.y.client_viewers.add(client_viewer)
    client = login(client_viewer)
    rows = read_csv(client.get(reverse("campaigns:kpi_export", args=["campaign"]), DAY_QUERY))
    assert [row[0] for row in rows[1:]] == ["KPI Y"]
    assert client.get(reverse("campaigns:kpi_export", args=["operator"]), DAY_QUERY).status_code == 404
    assert login(operator).get(reverse("campaigns:kpi_export", args=["day"])).status_code == 403


def test_pages_in_english(data, manager, login):
    client = login(manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("campaigns:dashboard"), DAY_QUERY, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "KPI dashboard" in page


@pytest.mark.parametrize(
    "language, no_calls", [("ja", "この期間の架電はありません。"), ("en", "No calls in this period.")]
)
def test_pages_of_a_period_without_calls(data, manager, client_viewer, login, language, no_calls):
    """Empty states in both languages: a period before any call, a wallboard with no call today,
    a client whose campaign has no call yet; tiles show "—" instead of a rate of 0."""
    data.y.client_viewers.add(client_viewer)
    empty = {"date_from": "2024-01-01", "date_to": "2024-01-31"}
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    client = login(manager)
    client.cookies["django_language"] = language
    response = client.get(reverse("campaigns:dashboard"), empty, **headers)
    assert response.status_code == 200
    assert no_calls in response.content.decode()
    tiles = {tile["name"]: tile for tile in response.context["tiles"]}
    assert tiles["dials"]["value"] == "0" and tiles["contact_rate"]["value"] == "—" and tiles["cpc"]["value"] == "—"
    assert all(not table["rows"] for table in response.context["tables"])
    assert response.context["heat_maps"][0]["map"]["has_data"] is False
    rows = read_csv(client.get(reverse("campaigns:kpi_export", args=["operator"]), empty))
    assert len(rows) == 1  # the header alone
    wallboard = client.get(reverse("campaigns:wallboard"), **headers)
    assert wallboard.status_code == 200 and wallboard.context["totals"].dials == 0
    assert ("本日の架電はまだありません。" if language == "ja" else "No calls yet today.") in wallboard.content.decode()

    client = login(client_viewer)
    client.cookies["django_language"] = language
    response = client.get(reverse("campaigns:client_kpis"), empty, **headers)
    assert response.status_code == 200 and response.context["totals"].dials == 0
    assert no_calls in response.content.decode()


def test_tables_compare_with_the_previous_period(data, manager, client_viewer, login):
    """Each KPI by campaign, operator, day, hour … with the previous period alongside.
    DAY's previous period is the Sunday before: A's one success in campaign X at 15:00."""
    import re

    client = login(manager)
    response = client.get(reverse("campaigns:dashboard"), {**DAY_QUERY, "compare": "on"})
    assert response.status_code == 200
    labels = [str(label) for _name, label in response.context["columns"]]
    assert labels[:2] == ["架電数", "架電数（前期間）"]
    tables = {t["name"]: t for t in response.context["tables"]}

    def dials(table):  # label -> (dials, previous dials) from the cells' sort values
        return {
            row["label"]: tuple(int(float(v)) for v in re.findall(r'data-sort="([^"]*)"', row["cells"])[:2])
            for row in tables[table]["rows"]
        }

    assert dials("operator") == {person_name(data.a): (5, 1), person_name(data.b): (2, 0), person_name(data.c): (0, 0)}
    assert dials("campaign") == {"KPI X": (4, 1), "KPI Y": (3, 0)}
    assert dials("hour") == {"10:00": (5, 0), "11:00": (2, 0), "15:00": (0, 1)}  # 15:00 only in the previous period
    assert list(dials("day").values()) == [(7, 1)]  # the day lines up with the same day of the previous period

    rows = read_csv(client.get(reverse("campaigns:kpi_export", args=["campaign"]), {**DAY_QUERY, "compare": "on"}))
    header, *body = rows
    assert header[1:3] == ["架電数", "架電数（前期間）"]
    success_rate = header.index("成約率 (%)")
    assert header[success_rate + 1] == "成約率（前期間） (%)"
    assert {row[0]: (row[1], row[2], row[success_rate + 1]) for row in body} == {
        "KPI X": ("4", "1", "100.00"),
        "KPI Y": ("3", "0", ""),
    }

    # without the option the tables stay as they were
    response = client.get(reverse("campaigns:dashboard"), DAY_QUERY)
    assert len(response.context["columns"]) == len(labels) // 2

    # a client viewer compares its own campaigns only
    data.x.client_viewers.add(client_viewer)
    response = login(client_viewer).get(reverse("campaigns:client_kpis"), {**DAY_QUERY, "compare": "on"})
    tables = {t["name"]: t for t in response.context["tables"]}
    assert dials("campaign") == {"KPI X": (4, 1)}


def test_csv_export_of_the_heat_map_per_segment(data, manager, login):
    """The dashboard shows a heat map per segment; its CSV has the segment beside weekday and hour
    (the heat map's export had only the all-segments grid)."""
    client = login(manager)
    page = client.get(reverse("campaigns:dashboard"), DAY_QUERY).content.decode()
    assert 'data-testid="export-segment_weekday_hour"' in page
    rows = read_csv(client.get(reverse("campaigns:kpi_export", args=["segment_weekday_hour"]), DAY_QUERY))
    header, *body = rows
    assert header[:4] == ["セグメント", "曜日", "時間帯", "架電数"]
    assert [row[:4] for row in body] == [
        ["KPI segment S", "月", "10:00", "1"],
        ["セグメントなし", "月", "10:00", "4"],
        ["セグメントなし", "月", "11:00", "2"],
    ]


def test_heat_map_of_an_operator_without_dials_says_there_are_no_calls(data, manager, login):
    """Operator C only took a break: the weekday × hour rows carry C's logged-in time and no dial.
    The heat map said nothing about it (an empty grid) instead of its empty state."""
    response = login(manager).get(reverse("campaigns:dashboard"), {**DAY_QUERY, "operator": data.c.id})
    assert response.status_code == 200 and response.context["totals"].dials == 0
    assert response.context["totals"].logged_in_seconds == 3600
    heat = response.context["heat_maps"][0]["map"]
    assert heat["has_data"] is False


def relations_read(captured: CaptureQueriesContext) -> set[str]:
    """Every table (or partition) the plans of the captured reads scan, by EXPLAIN."""

    def walk(plan):
        if "Relation Name" in plan:
            yield plan["Relation Name"]
        for child in plan.get("Plans", []):
            yield from walk(child)

    relations = set()
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            for statement in sqlparse.split(query["sql"]):
                statement = statement.strip().rstrip(";")
                if statement.upper().startswith(("SELECT", "WITH")):
                    cursor.execute("EXPLAIN (FORMAT JSON) " + statement)
                    document = cursor.fetchone()[0]
                    relations |= set(walk((json.loads(document) if isinstance(document, str) else document)[0]["Plan"]))
    return relations


def test_kpi_pages_and_api_read_the_rollups_and_never_the_attempts(
    data, manager, client_viewer, login, api_as, settings
):
    """The figures of the dashboard, the client page, the exports and the API, dialing figures
    included, come from the rollups: no plan of theirs reads the attempt table or a partition of
    it, so they cost the same whatever the number of calls."""
    settings.CALLCENTER_PREPARED_STATEMENTS = False  # the captured statements are the SQL itself
    data.y.client_viewers.add(client_viewer)
    with CaptureQueriesContext(connection) as captured:
        dashboard = login(manager).get(reverse("campaigns:dashboard"), DAY_QUERY)
        assert login(client_viewer).get(reverse("campaigns:client_kpis"), DAY_QUERY).status_code == 200
        assert login(manager).get(reverse("campaigns:kpi_export", args=["hour"]), DAY_QUERY).status_code == 200
        for group_by in ("none", "day", "operator", "campaign"):
            response = api_as(manager).get(
                "/api/v1/kpis/", {"from": DAY.isoformat(), "to": DAY.isoformat(), "group_by": group_by}
            )
            assert response.status_code == 200
    assert dashboard.status_code == 200
    assert dashboard.context["totals"].answered == 3  # the talks: the dialing figures are there
    read = relations_read(captured)
    assert {"campaigns_kpidaily", "campaigns_kpihourprofile", "campaigns_kpioperatorhour"} <= read
    assert not [relation for relation in read if relation.startswith("campaigns_callattempt")], read

    # the check sees the attempts where they are read: the raw source of the same tables
    with CaptureQueriesContext(connection) as captured:
        kpi_tables(KpiFilter(date_from=DAY, date_to=DAY), list(GROUPINGS), source="raw")
    assert [relation for relation in relations_read(captured) if relation.startswith("campaigns_callattempt")]
