"""Erasing a customer in the browser: the warning, the confirmation, the erased card."""

import pytest

from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_erases_a_customer_after_confirming(reference_data, supervisor, browser_login, shot):
    customer = CustomerFactory(name="消去 希望子", name_kana="ショウキョ キボウコ", phones=["090-1234-0001"])
    page = browser_login(supervisor)
    page.goto(page.base_url + f"/contacts/customers/{customer.pk}/")
    page.click("[data-testid=erase-customer]")
    assert page.locator("[data-testid=erase-warning]").is_visible()
    page.fill("textarea[name=reason]", "削除依頼 受付番号 42")
    page.click("[data-testid=erase-submit]")  # without the confirmation box: refused, nothing erased
    page.wait_for_load_state("networkidle")
    assert page.locator(".invalid-feedback, .text-danger").first.is_visible()
    shot(page, "customer-erase-confirm")
    page.check("input[name=confirm]")
    page.click("[data-testid=erase-submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=customer-erased]").is_visible()
    assert "消去 希望子" not in page.inner_text("main")
    assert "090" not in page.inner_text("main")
    assert page.inner_text("[data-testid=dnc-status]").strip() != ""
    shot(page, "customer-erased")
