"""Appointment KPIs on the hand-computed KPI data set: appointments set, per logged-in hour, held
rate and no-show rate, per campaign, operator and list; the same from rollups and raw tables; in
the KPI API and on the dashboard."""

import datetime

import pytest
from django.urls import reverse

from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.tables import kpi_tables
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories_appointments import SalespersonFactory, appointment
from campaigns.tests.factories_kpis import DAY, at, hand_dataset
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LATER = at(DAY + datetime.timedelta(days=3), 10)


@pytest.fixture
def data(reference_data):
    """hand_dataset (operator A logged in 10:00–11:00, B 10:45–11:40, C 10:00–11:00 on a break)
    and these appointments, set on DAY unless said otherwise:

      A, campaign X (no list), 10:10: held
      A, campaign X, 10:12: rescheduled → its successor booked (one appointment set, still ahead)
      A, campaign Y, list L1, 10:40: no-show
      B, campaign Y, list L2, 11:15: cancelled
      B, campaign Y, list L2, 11:16: booked
      A, campaign X, the Sunday before: held (outside the period)
    """
    data = hand_dataset()
    salesperson = SalespersonFactory()

    def made(operator, campaign, set_at, status, call_list=None, hour=10):
        return appointment(
            salesperson=salesperson,
            customer=CustomerFactory(),
            campaign=campaign,
            call_list=call_list,
            booked_by=operator,
            starts_at=LATER.replace(hour=hour),
            set_at=set_at,
            status=status,
        )

    made(data.a, data.x, at(DAY, 10, 10), "held", hour=9)
    original = made(data.a, data.x, at(DAY, 10, 12), "rescheduled", hour=10)
    successor = made(data.a, data.x, at(DAY, 10, 12), "booked", hour=11)
    successor.rescheduled_from = original
    successor.save()
    made(data.a, data.y, at(DAY, 10, 40), "no_show", call_list=data.l1, hour=12)
    made(data.b, data.y, at(DAY, 11, 15), "cancelled", call_list=data.l2, hour=13)
    made(data.b, data.y, at(DAY, 11, 16), "booked", call_list=data.l2, hour=14)
    made(data.a, data.x, at(DAY - datetime.timedelta(days=1), 15), "held", hour=15)
    refresh_kpi_rollups(now=at(DAY, 23))
    return data


def figures_by_key(rows):
    return {row.key: row.figures for row in rows}


def test_appointments_per_campaign_operator_and_list(data):
    tables = kpi_tables(KpiFilter(DAY, DAY), ["none", "operator", "campaign", "list"])
    total = tables["none"][0].figures
    assert (total.appointments_set, total.appointments_held, total.appointments_no_show) == (5, 1, 1)
    assert total.appointments_cancelled == 1
    assert total.held_rate == pytest.approx(1 / 3) and total.no_show_rate == pytest.approx(1 / 3)
    # Logged in: A 3,600 s, B 3,300 s, C 3,600 s (a break counts).
    assert total.appointments_per_hour == pytest.approx(5 * 3600 / 10500)

    operators = figures_by_key(tables["operator"])
    a, b = operators[data.a.pk], operators[data.b.pk]
    assert (a.appointments_set, a.held_rate, a.no_show_rate, a.appointments_per_hour) == (3, 0.5, 0.5, 3.0)
    assert (b.appointments_set, b.held_rate, b.no_show_rate) == (2, 0.0, 0.0)
    assert b.appointments_per_hour == pytest.approx(2 * 3600 / 3300)
    assert operators[data.c.pk].appointments_set == 0 and operators[data.c.pk].held_rate is None

    campaigns = figures_by_key(tables["campaign"])
    assert (campaigns[data.x.pk].appointments_set, campaigns[data.x.pk].held_rate) == (2, 1.0)
    assert (campaigns[data.y.pk].appointments_set, campaigns[data.y.pk].no_show_rate) == (3, 0.5)

    lists = figures_by_key(tables["list"])
    assert (lists[data.l1.pk].appointments_set, lists[data.l1.pk].no_show_rate) == (1, 1.0)
    assert (lists[data.l2.pk].appointments_set, lists[data.l2.pk].held_rate) == (2, 0.0)
    assert lists[None].appointments_set == 2


def test_filters_apply_to_appointments_too(data):
    only_b = kpi_tables(KpiFilter(DAY, DAY, operator_id=data.b.pk), ["none"])["none"][0].figures
    assert (only_b.appointments_set, only_b.appointments_cancelled) == (2, 1)
    only_x = kpi_tables(KpiFilter(DAY, DAY, campaign_ids=(data.x.pk,)), ["none"])["none"][0].figures
    assert (only_x.appointments_set, only_x.appointments_held) == (2, 1)
    segment = kpi_tables(KpiFilter(DAY, DAY, segment_id=data.segment.pk), ["none"])["none"][0].figures
    assert (segment.appointments_set, segment.appointments_no_show) == (1, 1)
    sunday = DAY - datetime.timedelta(days=1)
    assert kpi_tables(KpiFilter(sunday, sunday), ["none"])["none"][0].figures.appointments_held == 1


def test_rollups_and_raw_tables_agree(data):
    groupings = ["none", "day", "hour", "operator", "campaign", "list", "segment"]
    rollup = kpi_tables(KpiFilter(DAY, DAY), groupings)
    raw = kpi_tables(KpiFilter(DAY, DAY), groupings, source="raw", now=at(DAY, 23))
    for grouping in groupings:
        assert [(r.key, r.figures.as_dict()) for r in rollup[grouping]] == [
            (r.key, r.figures.as_dict()) for r in raw[grouping]
        ], grouping


def test_the_kpi_api_reports_appointments(data, manager, operator, api_as):
    response = api_as(manager).get(
        "/api/v1/kpis/", {"from": DAY.isoformat(), "to": DAY.isoformat(), "group_by": "operator"}
    )
    rows = {row["key"]: row for row in response.json()["rows"]}
    a = rows[data.a.pk]
    assert (a["appointments_set"], a["appointments_held"], a["appointments_no_show"]) == (3, 1, 1)
    assert (a["held_rate"], a["no_show_rate"], a["appointments_per_hour"]) == (0.5, 0.5, 3.0)
    assert rows[data.c.pk]["held_rate"] is None


def test_the_dashboard_shows_appointment_columns_and_tiles(data, manager, login):
    page = (
        login(manager)
        .get(reverse("campaigns:dashboard"), {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()})
        .content.decode()
    )
    assert "アポイント獲得数" in page and "アポイント実施率" in page
    assert "不在率" in page and "アポ/時" in page
