"""Browser: a new supervisor opens a draft campaign, reads what keeps it from going live, puts it
right and starts it; the page then says who paused it and when."""

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import CallListEntryFactory, CallListFactory, CampaignFactory, published_script

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_checklist_blocks_until_the_campaign_is_ready(page, browser_login, shot, supervisor, operator):
    campaign = CampaignFactory(name="春の掘り起こし", operators=[operator], cost_per_hour=0, cost_per_minute=0)
    CallListFactory(campaign=campaign, name="空のリスト")
    browser_login(supervisor)
    page.goto(f"{page.base_url}/campaigns/manage/{campaign.pk}/")
    page.wait_for_selector("[data-testid=readiness]")
    assert page.get_attribute("[data-testid=readiness-call_list]", "data-ok") == "0"
    assert page.get_attribute("[data-testid=readiness-script]", "data-ok") == "0"
    assert page.get_attribute("[data-testid=readiness-costs]", "data-blocking") == "0"
    shot(page, "readiness-1-blocked")
    page.get_by_test_id("activate").click()
    page.wait_for_selector(".alert-danger")
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"

    campaign.script = published_script()
    campaign.save()
    CallListEntryFactory(call_list=CallListFactory(campaign=campaign, name="休眠 6か月"))
    page.reload()
    assert page.get_attribute("[data-testid=readiness-script]", "data-ok") == "1"
    assert page.get_attribute("[data-testid=readiness-costs]", "data-ok") == "0"  # a warning only
    page.get_by_test_id("activate").click()
    page.wait_for_selector(".alert-success")
    assert Campaign.objects.get(pk=campaign.pk).status == "active"
    page.get_by_test_id("pause").click()
    page.wait_for_selector("[data-testid=last-status-change]")
    assert "一時停止" in page.inner_text("[data-testid=last-status-change]")
    shot(page, "readiness-2-paused")
