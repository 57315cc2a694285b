"""Browser journeys of the presets table, blackout dates, the disclosure check, a collections
campaign's debts and the console's promise to pay (Playwright on Debian's Chromium)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import CallAttempt, CallingPolicy, Campaign, Debt
from campaigns.services.policies import ensure_preset_policies
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory
from scripts import services as script_services
from scripts.tests.factories import branching_export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_celery():
    from callcenter.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_presets_side_by_side_and_a_policy_with_blackout_dates(page, browser_login, supervisor, shot):
    ensure_preset_policies()
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/policies/")
    table = page.get_by_test_id("preset-table")
    expect(table).to_contain_text("貸金業法第21条第1項第3号")
    expect(page.get_by_test_id("preset-row-call_window_end")).to_contain_text("21:00")
    shot(page, "presets-side-by-side")
    page.get_by_test_id("preset-column-japan_collections").get_by_role("link").click()
    expect(page.locator("#id_call_window_start")).to_have_value("08:00")
    expect(page.locator("#id_no_workplace_calls_rule")).to_be_checked()
    page.fill("#id_name", "督促（年末年始休み）")
    page.fill("#id_blackout_dates", "12-29 01-03 年末年始\n2026-08-13 2026-08-16 お盆")
    shot(page, "presets-policy-form")
    page.get_by_test_id("save-policy").click()
    expect(page.get_by_test_id("policy-table")).to_contain_text("督促（年末年始休み）")
    policy = CallingPolicy.objects.get(name="督促（年末年始休み）")
    assert policy.preset_key == "japan_collections" and len(policy.blackout_dates) == 2


def test_the_disclosure_page_confirms_the_wording_and_unblocks_activation(
    page, browser_login, supervisor, operator, shot
):
    data = branching_export("開示つき案内")
    data["steps"][0]["text"] = (
        "{{ company.name }}の{{ operator.name }}です。{{ campaign.product }}のご案内でお電話しました。"
    )
    version = script_services.publish_version(
        version=script_services.import_script(data=data, by=supervisor), by=supervisor
    )
    campaign = working_campaign(
        operators=[operator],
        policy=open_around_the_clock(disclosure_required=True),
        script=version.script,
        company="ひかり通販",
        product="青汁定期便",
        status=Campaign.Status.DRAFT,
    )
    entry(ready_list(campaign))
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/")
    page.get_by_test_id("disclosure-link").click()
    expect(page.get_by_test_id("disclosure-problems")).to_contain_text("勧誘目的であること")
    shot(page, "disclosure-check-missing")
    page.get_by_test_id(f"confirm-{version.pk}-sales_call").check()
    page.get_by_test_id(f"confirm-wording-{version.pk}").click()
    expect(page.get_by_test_id("disclosure-ok")).to_be_visible()
    shot(page, "disclosure-check-ok")
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/")
    page.get_by_test_id("activate").click()
    page.wait_for_load_state("networkidle")
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.ACTIVE


def test_a_promise_to_pay_from_the_console_and_the_debts_page(
    page, browser_login, supervisor, operator, shot, eager_celery
):
    campaign = working_campaign(
        operators=[operator], policy=open_around_the_clock(), name="督促 12月", purpose="collections"
    )
    customer = CustomerFactory(name="山本 健", phone="090-7777-8888")
    one = entry(ready_list(campaign), customer=customer, phone=customer.phones.get().number)
    Debt.objects.create(
        campaign=campaign, customer=customer, amount_due=52000, due_on=dt.date(2026, 11, 30), account_reference="L-1001"
    )
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    expect(page.get_by_test_id("debt-card")).to_contain_text("52,000")
    page.keyboard.press("c")
    page.get_by_test_id("disposition-promise_to_pay").click()
    promised = timezone.localdate() + dt.timedelta(days=3)
    page.fill("#id_promised_on", f"{promised:%Y-%m-%d}")
    page.fill("#id_promised_amount", "20000")
    shot(page, "console-promise-to-pay")
    page.click("[data-testid=save]")
    page.wait_for_load_state("networkidle")
    attempt = CallAttempt.objects.get(entry=one)
    assert attempt.promised_on == promised and attempt.promised_amount == 20000
    page.context.clear_cookies()
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/manage/{campaign.pk}/debts/")
    debt = Debt.objects.get(campaign=campaign, customer=customer)
    expect(page.get_by_test_id("debt-table")).to_contain_text("L-1001")
    shot(page, "debts-page")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id(f"promise-broken-{debt.pk}").click()
    page.wait_for_load_state("networkidle")
    debt.refresh_from_db()
    assert debt.promise_status == Debt.Promise.BROKEN
