"""Browser journey of the callbacks page: an operator is off sick, the supervisor gives their
callbacks to a colleague and moves one; in English too."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import CallListEntry
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reassign_the_callbacks_of_an_absent_operator(page, browser_login, supervisor, operator, operator2, shot):
    campaign = working_campaign(operators=[operator, operator2], policy=open_around_the_clock(), name="春の掘り起こし")
    call_list = ready_list(campaign, name="休眠 6か月")
    now = timezone.now()
    entries = [
        entry(
            call_list,
            customer=CustomerFactory(name=name),
            status="callback",
            callback_at=now + delta,
            next_attempt_at=now + delta,
            assigned_operator=operator,
            attempts=1,
        )
        for name, delta in (("遅延 一郎", -dt.timedelta(hours=1)), ("予定 二郎", dt.timedelta(hours=2)))
    ]
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/callbacks/?operator={operator.pk}")
    expect(page.get_by_test_id(f"callback-{entries[0].pk}").get_by_test_id("overdue")).to_be_visible()
    shot(page, "callbacks-list")
    for item in entries:
        page.get_by_test_id(f"tick-{item.pk}").check()
    page.get_by_test_id("reassign-operator").select_option(str(operator2.pk))
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("reassign-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("2")
    assert set(CallListEntry.objects.values_list("assigned_operator", flat=True)) == {operator2.pk}
    page.get_by_test_id("lang-en").click()
    page.goto(page.base_url + "/campaigns/callbacks/")
    move = page.get_by_test_id(f"move-{entries[1].pk}")
    new_time = timezone.localtime(now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    move.locator("input[name=callback_at]").fill(new_time)
    move.get_by_role("button", name="Move").click()
    expect(page.locator(".alert-success")).to_contain_text("Callback moved")
    shot(page, "callbacks-list-en")
    moved = CallListEntry.objects.get(pk=entries[1].pk)
    assert timezone.localtime(moved.callback_at).strftime("%Y-%m-%dT%H:%M") == new_time


def test_add_a_customer_to_a_list_and_remove_one(page, browser_login, supervisor, operator, shot):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="春の掘り起こし")
    call_list = ready_list(campaign, name="休眠 6か月", status="ready")
    kept = entry(call_list, customer=CustomerFactory(name="既存 一郎"))
    CustomerFactory(external_id="C-ADD-1", name="追加 太郎")
    DoNotCallFactory(customer=CustomerFactory(external_id="C-DNC-1"))
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/lists/{call_list.pk}/")
    page.get_by_test_id("add-entry-customer").fill("C-DNC-1")
    page.get_by_test_id("add-entry").click()
    expect(page.locator(".alert-danger")).to_contain_text("架電禁止")
    page.get_by_test_id("add-entry-customer").fill("C-ADD-1")
    page.get_by_test_id("add-entry").click()
    expect(page.get_by_test_id("entries")).to_contain_text("追加 太郎")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id(f"remove-{kept.pk}").click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "list-entries-add-remove")
    assert CallListEntry.objects.get(pk=kept.pk).status == "cancelled"
