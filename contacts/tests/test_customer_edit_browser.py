"""Browser journeys: a supervisor creates and edits a customer (phones, time zone, call times,
tags), a stale edit is refused with a message; an operator corrects the customer during a call
and the supervisor sees it on the customer page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.models import Customer
from contacts.services.customers import update_customer
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_and_edit_a_customer(page, browser_login, supervisor, shot):
    browser_login(supervisor)
    page.goto(page.base_url + "/contacts/customers/")
    page.get_by_test_id("new-customer").click()
    page.fill("#id_external_id", "C-900001")
    page.fill("#id_name", "新井 花子")
    page.fill("#id_name_kana", "ｱﾗｲ ﾊﾅｺ")
    page.fill("#id_prefecture", "東京")
    page.fill("#id_postal_code", "1500001")
    page.fill("#id_phones-0-number", "090-1111-2222")
    page.fill("#id_phones-1-number", "03-1234-5678")
    page.select_option("#id_phones-1-kind", "home")
    page.check("#id_phones-1-is_primary")
    page.fill("#id_preferred_call_windows", "月火水木金 18:00-20:00")
    page.fill("#id_tags", "vip, 定期")
    shot(page, "customer-form-new")
    page.get_by_test_id("save-customer").click()
    expect(page.get_by_test_id("customer-name")).to_contain_text("新井 花子")
    expect(page.get_by_test_id("call-windows")).to_contain_text("月火水木金 18:00-20:00")
    expect(page.get_by_test_id("phone-list")).to_contain_text("03-1234-5678")
    expect(page.get_by_test_id("customer-changes")).to_contain_text("顧客")
    shot(page, "customer-detail-after-create")
    customer = Customer.objects.get(external_id="C-900001")
    assert customer.prefecture == "東京都" and customer.name_kana == "アライ ハナコ"

    page.get_by_test_id("edit-customer").click()
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit customer")
    page.fill("#id_email", "not an address")
    page.get_by_test_id("save-customer").click()
    expect(page.locator("#id_email")).to_have_class(re.compile("is-invalid"))
    shot(page, "customer-form-error-en")
    page.fill("#id_email", "hanako@example.jp")
    update_customer(customer=customer, by=supervisor, notes="someone else's change")  # meanwhile
    page.get_by_test_id("save-customer").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("Someone saved this customer")
    shot(page, "customer-form-stale-en")
    page.get_by_test_id("reload-customer").click()
    page.fill("#id_email", "hanako@example.jp")
    page.get_by_test_id("save-customer").click()
    expect(page.get_by_test_id("customer-name")).to_contain_text("新井 花子")
    customer.refresh_from_db()
    assert customer.email == "hanako@example.jp" and customer.notes == "someone else's change"


def test_operator_corrects_the_customer_during_a_call(page, browser_login, operator, supervisor, shot):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock())
    customer = CustomerFactory(name="山田 花子", phones=["090-1111-2222", "080-3333-4444"])
    entry(ready_list(campaign), customer=customer, phone="+819011112222")
    assert dispatch_next(operator=operator, now=timezone.now()) is not None
    browser_login(operator)
    page.goto(page.base_url + "/campaigns/console/")
    actions = page.get_by_test_id("customer-actions")
    page.on("dialog", lambda dialog: dialog.accept())
    actions.get_by_test_id("mark-wrong").click()
    expect(page.get_by_test_id("customer-action-done")).to_contain_text("090-1111-2222")
    expect(page.get_by_test_id("console-phones").locator(".text-decoration-line-through")).to_contain_text(
        "090-1111-2222"
    )
    page.get_by_test_id("new-number").fill("070-5555-6666")
    page.get_by_test_id("add-number").click()
    expect(page.get_by_test_id("customer-action-done")).to_contain_text("070-5555-6666")
    page.get_by_test_id("new-note").fill("平日 18時以降に")
    page.get_by_test_id("add-note").click()
    expect(page.get_by_test_id("customer-action-done")).to_be_visible()
    shot(page, "console-customer-actions")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    browser_login(supervisor)
    page.goto(page.base_url + f"/contacts/customers/{customer.pk}/")
    expect(page.get_by_test_id("customer-notes")).to_contain_text("平日 18時以降に")
    expect(page.get_by_test_id("customer-changes")).to_contain_text("070")
    shot(page, "customer-detail-operator-changes")


def test_export_the_do_not_call_registry(page, browser_login, supervisor, shot):
    DoNotCallFactory(phone_number="+819011112222", reason="customer_request")
    browser_login(supervisor)
    page.goto(page.base_url + "/contacts/dnc/?status=active")
    shot(page, "dnc-list-export")
    with page.expect_download() as download:
        page.get_by_test_id("dnc-export").click()
    content = open(download.value.path(), encoding="utf-8").read()
    assert content.startswith("\ufeff") and "090-1111-2222" in content


def test_bulk_tag_the_ticked_customers(page, browser_login, supervisor, shot):
    first = CustomerFactory(external_id="C-B1", name="一括 一郎")
    CustomerFactory(external_id="C-B2", name="一括 二郎")
    third = CustomerFactory(external_id="C-B3", name="一括 三郎")
    browser_login(supervisor)
    page.goto(page.base_url + "/contacts/customers/?q=一括")
    page.get_by_test_id("tick-C-B1").check()
    page.get_by_test_id("tick-C-B3").check()
    page.get_by_test_id("bulk-submit").click()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("2")
    page.get_by_test_id("bulk-tag").fill("休眠")
    shot(page, "customer-bulk-confirm")
    page.get_by_test_id("bulk-confirm-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("2")
    shot(page, "customer-bulk-done")
    assert set(Customer.objects.filter(tags__contains=["休眠"]).values_list("pk", flat=True)) == {first.pk, third.pk}
