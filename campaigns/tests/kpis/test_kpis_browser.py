"""The KPI pages in a real browser: charts draw, the heat map switches segments, filters and
sorting change what is shown, the wallboard refreshes itself, the client page stays scoped."""

import datetime

import pytest
from django.utils import timezone

from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.labels import person_name
from campaigns.selectors.kpis.tables import kpi_totals
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories_kpis import make_attempt, make_state, sample_history
from conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(reference_data):
    end = timezone.localdate() - datetime.timedelta(days=1)
    data = sample_history(end=end, days=8)
    refresh_kpi_rollups(now=timezone.now() + datetime.timedelta(minutes=1))
    data.end = end
    data.start = end - datetime.timedelta(days=7)
    return data


def chart_points(page, canvas_id: str) -> int:
    """How many data points Chart.js drew on the canvas (0 when no chart exists)."""
    return page.evaluate(
        """id => { const chart = Chart.getChart(id); if (!chart) return 0;
                   return chart.getDatasetMeta(0).data.filter(el => el.height !== 0 || el.width !== 0).length; }""",
        canvas_id,
    )


def canvas_has_ink(page, canvas_id: str) -> bool:
    return page.evaluate(
        """id => { const c = document.getElementById(id);
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; } return false; }""",
        canvas_id,
    )


def test_dashboard_draws_sorts_switches_heat_maps_and_filters(history, manager, browser_login, shot):
    page = browser_login(manager)
    query = f"?date_from={history.start}&date_to={history.end}"
    page.goto(page.base_url + "/campaigns/dashboard/" + query)
    everything = kpi_totals(KpiFilter(date_from=history.start, date_to=history.end))
    assert page.inner_text("[data-testid=tile-dials-value]") == f"{everything.dials:,}"
    wait_until(page, "Chart.getChart('chart-trend') && Chart.getChart('chart-funnel') && Chart.getChart('chart-hours')")
    assert chart_points(page, "chart-trend") >= 6  # a bar per calling day
    assert chart_points(page, "chart-funnel") == 3
    for canvas in ("chart-trend", "chart-funnel", "chart-hours"):
        assert canvas_has_ink(page, canvas), canvas
    shot(page, "kpis-dashboard")

    # the operator table sorts by a column, both ways
    page.click("[data-testid=tab-operator]")
    table = page.locator("[data-testid=table-operator]")
    table.locator("th >> nth=1").locator("button").click()  # dials, most first
    dials = [int(v.replace(",", "")) for v in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert dials == sorted(dials, reverse=True) and len(dials) == 3
    table.locator("th >> nth=1").locator("button").click()  # again: fewest first
    dials = [int(v.replace(",", "")) for v in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert dials == sorted(dials)

    # the heat map: every segment together, then one segment
    all_segments = page.locator("[data-testid=heatmap-all]")
    assert all_segments.is_visible()
    assert all_segments.locator("td:not(.empty)").count() >= 20
    assert all_segments.locator("td.best").count() >= 1  # evenings answer more in this history
    everything_map = all_segments.inner_text()
    segment = history.segments[1]
    page.select_option("[data-testid=heat-segment]", str(segment.id))
    one_map = page.locator(f"[data-testid=heatmap-{segment.id}]")
    assert one_map.is_visible() and not all_segments.is_visible()
    assert one_map.locator("td:not(.empty)").count() >= 20
    assert one_map.inner_text() != everything_map
    page.locator("[data-testid=heatmap-card]").scroll_into_view_if_needed()
    shot(page, "kpis-heatmap-segment")

    # filter by one campaign: the tiles change to that campaign's figures
    campaign = history.campaigns[1]
    page.select_option("#id_campaign", str(campaign.id))
    page.click("[data-testid=kpi-apply]")
    page.wait_for_load_state("networkidle")
    one = kpi_totals(KpiFilter(date_from=history.start, date_to=history.end, campaign_ids=(campaign.id,)))
    assert 0 < one.dials < everything.dials
    assert page.inner_text("[data-testid=tile-dials-value]") == f"{one.dials:,}"
    assert f"campaign={campaign.id}" in page.url

    # and by operator
    operator = history.operators[0]
    page.select_option("#id_campaign", "")
    page.select_option("#id_operator", str(operator.id))
    page.click("[data-testid=kpi-apply]")
    page.wait_for_load_state("networkidle")
    mine = kpi_totals(KpiFilter(date_from=history.start, date_to=history.end, operator_id=operator.id))
    assert page.inner_text("[data-testid=tile-dials-value]") == f"{mine.dials:,}"

    # the previous period alongside each figure of the tables
    page.check("#id_compare")
    page.click("[data-testid=kpi-apply]")
    page.wait_for_load_state("networkidle")
    assert "compare=on" in page.url
    page.click("[data-testid=tab-operator]")
    headings = page.locator("[data-testid=table-operator] thead th").all_inner_texts()
    assert headings[1:3] == ["架電数", "架電数（前期間）"]
    assert page.locator("[data-testid=table-operator] tbody td.previous").count() > 0
    page.locator("[data-testid=kpi-tables]").scroll_into_view_if_needed()
    shot(page, "kpis-dashboard-compare")

    # a preset period
    page.click("text=過去7日間")
    page.wait_for_load_state("networkidle")
    assert page.input_value("#id_date_from") == (timezone.localdate() - datetime.timedelta(days=6)).isoformat()


def test_wallboard_refreshes_itself(history, manager, browser_login, shot):
    now = timezone.now()
    # The board counts the local day: shortly after midnight the calls go just after it instead.
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    operator = history.operators[0]
    for minutes, code in ((40, "success"), (30, "no_answer"), (20, "refused")):
        make_attempt(
            campaign=history.campaigns[0],
            operator=operator,
            started_at=max(
                now - datetime.timedelta(minutes=minutes), midnight + datetime.timedelta(seconds=50 - minutes)
            ),
            disposition=code,
            talk=90 if code != "no_answer" else 0,
        )
    make_state(operator=operator, state="on_call", started_at=now - datetime.timedelta(minutes=2))
    make_state(operator=history.operators[1], state="break", started_at=now - datetime.timedelta(minutes=9))
    refresh_kpi_rollups(now=timezone.now() + datetime.timedelta(minutes=1))
    page = browser_login(manager)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(page.base_url + "/campaigns/wallboard/?every=2")
    assert page.inner_text("[data-testid=wb-1]") == "3"  # dials today
    assert page.inner_text("[data-testid=wb-3]") == "1"  # successes
    assert page.inner_text("[data-testid=wb-state-on_call]") == "1"
    assert page.inner_text("[data-testid=wb-state-break]") == "1"
    shot(page, "kpis-wallboard")
    # another call is logged and counted: the board shows it without a reload (a minute ago, or
    # just after midnight when a minute ago was still yesterday)
    make_attempt(
        campaign=history.campaigns[1],
        operator=operator,
        started_at=max(timezone.now() - datetime.timedelta(minutes=1), midnight + datetime.timedelta(seconds=40)),
        disposition="success",
        talk=60,
    )
    refresh_kpi_rollups(now=timezone.now() + datetime.timedelta(minutes=1))
    wait_until(page, "document.querySelector('[data-testid=wb-1]').textContent.trim() === '4'")
    assert page.inner_text("[data-testid=wb-3]") == "2"


def test_client_page_is_scoped(history, client_viewer, browser_login, shot):
    campaign = history.campaigns[0]
    campaign.client_viewers.add(client_viewer)
    page = browser_login(client_viewer)
    page.goto(page.base_url + f"/campaigns/client/?date_from={history.start}&date_to={history.end}")
    theirs = kpi_totals(KpiFilter(date_from=history.start, date_to=history.end, campaign_ids=(campaign.id,)))
    assert page.inner_text("[data-testid=tile-dials-value]") == f"{theirs.dials:,}"
    wait_until(page, "Chart.getChart('chart-trend') !== undefined")
    assert canvas_has_ink(page, "chart-trend")
    text = page.inner_text("main")
    assert campaign.name in text and history.campaigns[1].name not in text
    for person in history.operators:
        assert person_name(person) not in text
    for customer in history.customers:
        assert customer.name not in text
    assert page.locator("[data-testid=tab-operator]").count() == 0
    shot(page, "kpis-client")
