"""Every KPI of docs/api.md#kpis on the hand-computed data set of factories_kpis.hand_dataset.
Each figure is checked from the rollups and from the raw tables."""

import datetime
from decimal import Decimal

import pytest

from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.tables import kpi_table, kpi_tables, kpi_totals
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories_kpis import DAY, at, hand_dataset

pytestmark = pytest.mark.django_db
NOW = at(DAY, 23, 0)
SOURCES = ["rollup", "raw"]


@pytest.fixture
def data(reference_data):
    data = hand_dataset()
    refresh_kpi_rollups(now=NOW)
    return data


def day_filter(**kw):
    return KpiFilter(date_from=DAY, date_to=DAY, **kw)


@pytest.mark.parametrize("source", SOURCES)
def test_all_campaigns_totals(data, source):
    f = kpi_totals(day_filter(), source=source, now=NOW)
    assert (f.dials, f.contacts, f.successes) == (7, 3, 1)
    assert f.contact_rate == pytest.approx(3 / 7)
    assert f.success_rate == pytest.approx(1 / 7)
    assert f.success_per_contact == pytest.approx(1 / 3)
    # handled calls = attempts with talk: success, refused, callback
    assert (f.handled, f.talk_seconds, f.hold_seconds, f.acw_seconds) == (3, 270, 30, 155)
    assert f.att == pytest.approx(90)
    assert f.acw == pytest.approx(155 / 7)
    assert f.aht == pytest.approx((210 + 90 + 110) / 3)
    # logged in: A 3600 (h10) + B 900 (h10) + 2400 (h11) + C 3600 (break) = 10500
    # productive: A 3000 + B 900 + 2400 + C 0 = 6300
    assert (f.logged_in_seconds, f.productive_seconds) == (10500, 6300)
    assert f.utilization == pytest.approx(0.6)
    assert f.cph == pytest.approx(7 / (10500 / 3600))
    # labour: A h10 split 4:1 between X and Y -> 2880 s at 1800/h + 720 s at 3600/h; B h11 2400 s
    # at 3600/h; B's h10 and C's break have no dial, so no campaign pays them.
    assert f.labour_cost == Decimal(1440 + 720 + 2400)
    assert f.telecom_cost == Decimal(9 + 9)  # X 3 talk minutes × 3, Y 1.5 × 6
    assert f.fixed_cost == pytest.approx(Decimal(100))  # Y: 1000 over 10 days
    assert f.cost == pytest.approx(Decimal(4678))
    assert f.cpc == pytest.approx(4678 / 7)


@pytest.mark.parametrize("source", SOURCES)
def test_one_campaign_gets_its_share_of_the_operators_time(data, source):
    x = kpi_totals(day_filter(campaign_ids=(data.x.id,)), source=source, now=NOW)
    assert (x.dials, x.contacts, x.successes) == (4, 2, 1)
    assert (x.logged_in_seconds, x.productive_seconds) == (2880, 2400)
    assert x.utilization == pytest.approx(2400 / 2880)
    assert x.cph == pytest.approx(5)
    assert x.cost == pytest.approx(Decimal(1440 + 9))
    y = kpi_totals(day_filter(campaign_ids=(data.y.id,)), source=source, now=NOW)
    assert (y.dials, y.contacts, y.successes) == (3, 1, 0)
    assert (y.logged_in_seconds, y.productive_seconds) == (720 + 2400, 600 + 2400)
    assert y.cost == pytest.approx(Decimal(720 + 2400 + 9 + 100))
    assert y.success_rate == 0.0
    assert y.success_per_contact == 0.0


@pytest.mark.parametrize("source", SOURCES)
def test_by_operator_including_one_with_only_breaks(data, source):
    rows = {row.key: row.figures for row in kpi_table(day_filter(), "operator", source=source, now=NOW)}
    assert set(rows) == {data.a.id, data.b.id, data.c.id}
    a, b, c = rows[data.a.id], rows[data.b.id], rows[data.c.id]
    assert (a.dials, a.logged_in_seconds, a.productive_seconds) == (5, 3600, 3000)
    # B: no talk time at all
    assert (b.dials, b.handled, b.talk_seconds) == (2, 0, 0)
    assert b.att is None and b.aht is None
    assert b.acw == pytest.approx(15)
    assert b.contact_rate == 0.0
    assert b.utilization == pytest.approx(1.0)
    # C: only a break
    assert (c.dials, c.logged_in_seconds, c.productive_seconds) == (0, 3600, 0)
    assert c.contact_rate is None and c.success_rate is None and c.cpc is None and c.acw is None
    assert c.utilization == 0.0
    assert c.cph == 0.0
    assert c.cost == 0


@pytest.mark.parametrize("source", SOURCES)
def test_operator_filter_for_the_operator_with_only_breaks(data, source):
    c = kpi_totals(day_filter(operator_id=data.c.id), source=source, now=NOW)
    assert c.dials == 0 and c.logged_in_seconds == 3600 and c.utilization == 0.0


@pytest.mark.parametrize("source", SOURCES)
def test_zero_dials(data, source):
    empty = kpi_totals(
        KpiFilter(date_from=DAY + datetime.timedelta(days=30), date_to=DAY + datetime.timedelta(days=31)),
        source=source,
        now=NOW,
    )
    assert empty.dials == 0 and empty.logged_in_seconds == 0
    for ratio in (
        "contact_rate",
        "success_rate",
        "success_per_contact",
        "att",
        "acw",
        "aht",
        "utilization",
        "cpc",
        "cph",
    ):
        assert getattr(empty, ratio) is None, ratio
    assert empty.cost == 0


@pytest.mark.parametrize("source", SOURCES)
def test_by_hour_weekday_day_campaign_list_segment(data, source):
    tables = kpi_tables(
        day_filter(), ["hour", "weekday", "day", "campaign", "list", "segment", "weekday_hour"], source=source, now=NOW
    )
    assert [(r.key, r.figures.dials) for r in tables["hour"]] == [(10, 5), (11, 2)]
    hours = {r.key: r.figures for r in tables["hour"]}
    assert hours[10].logged_in_seconds == 3600 + 900 + 3600  # A, B, C in hour 10
    assert hours[11].utilization == pytest.approx(1.0)
    assert [(r.key, r.figures.dials) for r in tables["weekday"]] == [(0, 7)]
    assert [(r.key, r.figures.dials) for r in tables["day"]] == [(DAY, 7)]
    assert {r.key: r.figures.dials for r in tables["campaign"]} == {data.x.id: 4, data.y.id: 3}
    assert {r.key: r.figures.dials for r in tables["list"]} == {None: 4, data.l1.id: 1, data.l2.id: 2}
    assert {r.key: r.figures.dials for r in tables["segment"]} == {None: 6, data.segment.id: 1}
    assert {r.key: (r.figures.dials, r.figures.contacts) for r in tables["weekday_hour"]} == {
        (0, 10): (5, 3),
        (0, 11): (2, 0),
    }


@pytest.mark.parametrize("source", SOURCES)
def test_list_and_segment_filters(data, source):
    l2 = kpi_totals(day_filter(call_list_id=data.l2.id), source=source, now=NOW)
    assert (l2.dials, l2.logged_in_seconds) == (2, 2400)
    segment = kpi_totals(day_filter(segment_id=data.segment.id), source=source, now=NOW)
    assert (segment.dials, segment.contacts, segment.logged_in_seconds) == (1, 1, 720)
    # the fixed cost of the day (100) splits by dials: L1 one of Y's three dials
    assert segment.fixed_cost == pytest.approx(Decimal(100) / 3)


def test_previous_period_is_the_same_length_just_before(data):
    current = day_filter()
    previous = current.previous()
    assert (previous.date_from, previous.date_to) == (DAY - datetime.timedelta(days=1),) * 2
    before = kpi_totals(previous)
    assert (before.dials, before.successes, before.talk_seconds) == (1, 1, 100)
    week = KpiFilter(date_from=DAY, date_to=DAY + datetime.timedelta(days=6))
    assert (week.previous().date_from, week.previous().date_to) == (
        DAY - datetime.timedelta(days=7),
        DAY - datetime.timedelta(days=1),
    )
    assert kpi_totals(week.previous()).dials == 1
    assert kpi_totals(week).dials == 7


@pytest.mark.parametrize("source", SOURCES)
def test_fixed_cost_without_dates_spreads_over_the_days_dialed(data, source):
    data.x.fixed_cost = 500
    data.x.save()
    # X dialed on the Sunday and on the Monday: 250 a day, all of Monday's on X's four dials
    x = kpi_totals(day_filter(campaign_ids=(data.x.id,)), source=source, now=NOW)
    assert x.fixed_cost == pytest.approx(Decimal(250))
    two_days = kpi_totals(
        KpiFilter(date_from=DAY - datetime.timedelta(days=1), date_to=DAY, campaign_ids=(data.x.id,)),
        source=source,
        now=NOW,
    )
    assert two_days.fixed_cost == pytest.approx(Decimal(500))


def test_api_row_shape_of_figures(data):
    row = kpi_totals(day_filter()).as_dict()
    assert set(row) >= {
        "dials",
        "contacts",
        "successes",
        "contact_rate",
        "success_rate",
        "talk_seconds",
        "att",
        "acw",
        "aht",
        "utilization",
        "cost",
        "cpc",
        "cph",
    }
    assert row["cost"] == 4678.0
    assert row["cpc"] == round(4678 / 7, 2)
