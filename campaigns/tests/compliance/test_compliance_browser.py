"""The compliance report in the browser: a supervisor reaches it from the campaign, changes the
period and downloads the CSV; a client viewer finds their campaign in the menu."""

import datetime as dt

import pytest

from campaigns.models import Campaign
from campaigns.tests.compliance.test_compliance_report import MONDAY, at, noticed, strict_policy
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.factories_console import past_attempt, ready_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign(reference_data):
    campaign = CampaignFactory(
        name="光回線 乗換キャンペーン",
        policy=strict_policy(),
        prenotice_days=3,
        status=Campaign.Status.ACTIVE,
        starts_on=MONDAY,
    )
    call_list = ready_list(campaign)
    one = noticed(call_list)
    past_attempt(entry=one, at=at(0, 10), attempt_number=1)
    past_attempt(entry=one, at=at(0, 10, 20), attempt_number=2)  # 20 minutes later: the gap is 60
    past_attempt(entry=noticed(call_list), at=at(5, 10), attempt_number=1)  # a Saturday
    return campaign


def test_a_supervisor_checks_a_campaign_and_downloads_the_csv(campaign, supervisor, browser_login, shot):
    page = browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/")
    page.click("[data-testid=compliance-link]")
    page.fill("#id_date_from", MONDAY.isoformat())
    page.fill("#id_date_to", (MONDAY + dt.timedelta(days=6)).isoformat())
    page.click("[data-testid=compliance-period] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("[data-testid=attempts-checked]") == "3"
    assert page.inner_text("tr[data-rule=min_gap] .badge") == "1"
    assert page.inner_text("tr[data-rule=weekday_holiday] .badge") == "1"
    assert page.inner_text("tr[data-rule=dnc] .badge") == "0"
    shot(page, "compliance-report")
    with page.expect_download() as download:
        page.click("[data-testid=compliance-csv]")
    assert download.value.suggested_filename.startswith(f"compliance-campaign{campaign.pk}-")
    # a period without calls is clean
    page.fill("#id_date_from", (MONDAY + dt.timedelta(days=20)).isoformat())
    page.fill("#id_date_to", (MONDAY + dt.timedelta(days=21)).isoformat())
    page.click("[data-testid=compliance-period] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=compliance-clean]").is_visible()


def test_a_client_viewer_finds_the_report_of_their_campaign(campaign, client_viewer, browser_login, shot):
    campaign.client_viewers.add(client_viewer)
    page = browser_login(client_viewer)
    page.click("[data-testid=nav] >> text=コンプライアンス")
    page.click(f"[data-testid=compliance-campaigns] a[href$='/{campaign.pk}/compliance/']")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("[data-testid=attempts-checked]") == "3"
    shot(page, "compliance-report-client")
