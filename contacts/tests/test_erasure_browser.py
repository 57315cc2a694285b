"""Erasing a customer in the browser, in Japanese and in English: the warning, the confirmation,
the erased card, and the audit trail that no longer names the person."""

import pytest

from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ja": {"redacted": "監査ログから個人情報を削除（消去依頼）", "erased": "依頼により顧客情報を消去"},
    "en": {"redacted": "Personal data removed from audit events (erasure)", "erased": "Customer erased on request"},
}


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_supervisor_erases_a_customer_after_confirming(reference_data, supervisor, browser_login, shot, language):
    from callcenter.audit import record_event

    customer = CustomerFactory(name="消去 希望子", name_kana="ショウキョ キボウコ", phones=["090-1234-0001"])
    record_event(actor=supervisor, action="customer.update", target=customer, summary=str(customer))
    page = browser_login(supervisor)
    page.goto(page.base_url + f"/contacts/customers/{customer.pk}/")
    if language == "en":
        page.get_by_test_id("lang-en").click()
    page.click("[data-testid=erase-customer]")
    assert page.locator("[data-testid=erase-warning]").is_visible()
    assert page.locator("[data-testid=erase-also]").is_visible()
    page.fill("textarea[name=reason]", "削除依頼 受付番号 42")
    page.click("[data-testid=erase-submit]")  # without the confirmation box: refused, nothing erased
    page.wait_for_load_state("networkidle")
    assert page.locator(".invalid-feedback, .text-danger").first.is_visible()
    shot(page, f"customer-erase-confirm-{language}")
    page.check("input[name=confirm]")
    page.click("[data-testid=erase-submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=customer-erased]").is_visible()
    assert "消去 希望子" not in page.inner_text("main")
    assert "090" not in page.inner_text("main")
    assert page.inner_text("[data-testid=dnc-status]").strip() != ""
    shot(page, f"customer-erased-{language}")
    # the audit trail: the erasure and the redaction, in the reader's language, and no name
    page.goto(page.base_url + "/audit/")
    trail = page.inner_text("main")
    assert TEXT[language]["redacted"] in trail and TEXT[language]["erased"] in trail
    assert "消去 希望子" not in trail
