"""Browser journeys of campaign setup (Playwright on Debian's Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import CallingPolicy, CallList, CallListEntry, Campaign, Disposition
from campaigns.services.policies import ensure_preset_policies
from campaigns.tests.factories import (
    CallingPolicyFactory,
    CallListEntryFactory,
    CallListFactory,
    CampaignFactory,
    published_script,
)
from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIP = {"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]}


def test_create_a_policy_from_a_preset(page, browser_login, supervisor, shot):
    ensure_preset_policies()
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/policies/")
    expect(page.get_by_test_id("policy-table")).to_contain_text("Japan standard")
    page.get_by_test_id("new-policy").click()
    page.get_by_test_id("preset-japan_standard").click()
    expect(page.locator("#id_call_window_start")).to_have_value("09:00")
    expect(page.locator("#id_cap_attempts")).to_have_value("3")
    shot(page, "setup-policy-form-preset")
    page.fill("#id_name", "Japan standard (午前のみ)")
    page.fill("#id_call_window_end", "12:00")
    page.fill("#id_retry_no_answer", "180")
    page.get_by_test_id("save-policy").click()
    expect(page.get_by_test_id("policy-table")).to_contain_text("Japan standard (午前のみ)")
    shot(page, "setup-policy-list")
    policy = CallingPolicy.objects.get(name="Japan standard (午前のみ)")
    assert policy.call_window_end.hour == 12 and policy.retry_delays == {"no_answer": 180}
    assert policy.cooloff_days_after_contact == 7


def test_create_a_campaign(page, browser_login, supervisor, operator, shot):
    ensure_preset_policies()
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/manage/")
    page.get_by_test_id("new-campaign").click()
    page.fill("#id_name", "休眠顧客 掘り起こし 2026冬")
    page.select_option("#id_purpose", "reactivation")
    page.select_option("#id_policy", label="Japan standard")
    page.check(f"input[name=operators][value='{operator.pk}']")
    page.fill("#id_starts_on", "2026-12-01")
    page.fill("#id_ends_on", "2026-12-25")
    page.fill("#id_cost_per_hour", "1800")
    shot(page, "setup-campaign-form")
    page.get_by_test_id("save-campaign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("休眠顧客 掘り起こし 2026冬")
    expect(page.get_by_test_id("activation-problems")).to_be_visible()
    expect(page.get_by_test_id("campaign-operators")).to_contain_text("鈴木")
    shot(page, "setup-campaign-detail")
    campaign = Campaign.objects.get(name="休眠顧客 掘り起こし 2026冬")
    assert campaign.status == "draft" and list(campaign.operators.all()) == [operator]


def test_preview_and_build_a_list(page, browser_login, supervisor, operator, shot):
    campaign = CampaignFactory(
        name="DMフォロー 春", policy=CallingPolicyFactory(), operators=[operator], script=published_script()
    )
    SegmentFactory(name="VIP会員", criteria=VIP)
    for _ in range(6):
        CustomerFactory(tags=["vip"])
    DoNotCallFactory(customer=CustomerFactory(tags=["vip"]), phone_number="")
    CustomerFactory(tags=["vip"], phone=False)
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/")
    page.get_by_test_id("new-list").click()
    page.fill("#id_name", "VIP 第1弾")
    page.select_option("#id_segment", label="VIP会員")
    page.select_option("#id_order_by", "highest_spend")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-included")).to_have_text("6")
    expect(page.get_by_test_id("preview-matched")).to_have_text("8")
    expect(page.locator("[data-testid=exclusions] tr[data-reason=dnc] td").last).to_have_text("1")
    expect(page.locator("[data-testid=exclusions] tr[data-reason=no_phone] td").last).to_have_text("1")
    shot(page, "setup-list-preview")
    assert not CallList.objects.exists()
    page.get_by_test_id("build").click()
    expect(page.get_by_test_id("included")).to_have_text("6")
    expect(page.locator("[data-testid=by-status] [data-status=pending]")).to_contain_text("6")
    expect(page.get_by_test_id("entries").locator("tbody tr")).to_have_count(6)
    shot(page, "setup-list-detail")
    page.get_by_role("link", name="DMフォロー 春").click()
    page.get_by_test_id("activate").click()
    expect(page.get_by_test_id("status-badge").first).to_have_text(re.compile("実施中|Active"))
    shot(page, "setup-campaign-active")


@pytest.mark.worker
def test_a_large_list_builds_in_the_background_with_progress(
    page, browser_login, supervisor, settings, celery_worker_process, shot
):
    settings.LIST_BUILD_INLINE_LIMIT = 0  # every list goes to the worker
    campaign = CampaignFactory(name="督促 12月", purpose="collections", policy=CallingPolicyFactory())
    SegmentFactory(name="全員", criteria={"match": "all", "rules": []})
    for _ in range(5):
        CustomerFactory()
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/lists/new/")
    page.select_option("#id_segment", label="全員")
    page.get_by_test_id("build").click()
    page.wait_for_url(re.compile(r"/campaigns/lists/\d+/"))
    shot(page, "setup-list-building")
    # The page polls the progress and reloads itself when the worker is done.
    expect(page.get_by_test_id("included")).to_have_text("5", timeout=30000)
    expect(page.get_by_test_id("build-progress")).to_have_count(0)
    assert CallList.objects.get().status == "ready"


def test_recycle_with_confirmation(page, browser_login, supervisor, shot):
    call_list = CallListFactory(name="解約防止 11月", campaign=CampaignFactory(name="解約防止", purpose="churn"))
    no_answer = Disposition.objects.get(code="no_answer")
    for _ in range(3):
        CallListEntryFactory(call_list=call_list, status="exhausted", last_disposition=no_answer, attempts=6)
    opted_out = CallListEntryFactory(call_list=call_list, status="exhausted", last_disposition=no_answer, attempts=6)
    DoNotCallFactory(customer=opted_out.customer, phone_number="")
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/lists/{call_list.pk}/")
    shot(page, "setup-list-before-recycle")
    page.get_by_test_id("recycle-form").get_by_label(no_answer.label_ja).check()
    # The first time the supervisor cancels the confirmation: nothing changes.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("recycle").click()
    assert CallListEntry.objects.filter(status="pending").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("recycle").click()
    expect(page.locator(".alert-success")).to_contain_text("3")
    expect(page.locator("[data-testid=by-status] [data-status=pending]")).to_contain_text("3")
    expect(page.locator("[data-testid=by-status] [data-status=blocked]")).to_contain_text("1")
    shot(page, "setup-list-recycled")
    assert CallListEntry.objects.get(pk=opted_out.pk).status == "blocked"
