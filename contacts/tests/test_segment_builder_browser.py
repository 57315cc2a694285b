"""The segment builder in a browser: switching fields and operators keeps what was typed, throws
no script error, and problems are worded with field and operator labels, never machine keys.
Screenshot: test-artifacts/contacts-segment-builder-labels.png."""

import pytest
from playwright.sync_api import expect

from contacts.segments import FIELDS
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.browser


def test_switching_fields_and_operators_keeps_values_and_words_errors(page, browser_login, supervisor, shot):
    CustomerFactory(prefecture="東京都")
    browser_login(supervisor)
    page.goto(page.base_url + "/contacts/segments/new/")
    count = page.locator("[data-testid=segment-live-count]")
    page.click("[data-testid=add-rule]")  # days since last purchase ≥ 180
    row = page.locator("[data-testid=rule-row]").first
    value = row.locator("[data-testid=rule-value]")
    value.first.fill("300")
    expect(count).to_be_visible()

    # Operators: the typed value follows into the range, the list and back.
    for op in ("lt", "between", "in", "gte"):
        row.locator("[data-testid=rule-op]").select_option(op)
        expect(value.first).to_have_value("300")
    # A field of the same kind keeps operator and value.
    row.locator("[data-testid=rule-field]").select_option("last_contact_days")
    expect(row.locator("[data-testid=rule-op]")).to_have_value("gte")
    expect(value.first).to_have_value("300")

    # Every field, and every operator of each: no script error (the fixture fails on any).
    for name, spec in FIELDS.items():
        row.locator("[data-testid=rule-field]").select_option(name)
        for op in spec.ops:
            row.locator("[data-testid=rule-op]").select_option(op)
    row.locator("[data-testid=rule-field]").select_option("attributes.")
    row.locator("[data-testid=rule-key]").fill("churn_score")
    row.locator("[data-testid=rule-op]").select_option("gt")
    value.first.fill("0.5")
    row.locator("[data-testid=rule-op]").select_option("between")
    expect(value.first).to_have_value("0.5")

    # An empty bound: the error names the field by its label, in Japanese, without "null".
    row.locator("[data-testid=rule-field]").select_option("last_purchase_days")
    row.locator("[data-testid=rule-op]").select_option("between")
    value.nth(1).fill("20")
    errors = page.locator("[data-testid=segment-errors]")
    expect(errors).to_contain_text("「最終購入からの日数」に値を指定してください")
    expect(errors).not_to_contain_text("last_purchase_days")
    expect(errors).not_to_contain_text("null")
    value.nth(0).fill("50")
    expect(errors).to_contain_text("「最終購入からの日数」: 下限 50 が上限 20 より大きくなっています")
    shot(page, "contacts-segment-builder-labels")

    # Saving with the problem: the form's error is worded the same way, and the rule is kept.
    page.fill("#id_name", "休眠")
    page.click("[data-testid=segment-save]")
    saved_errors = page.locator("[data-testid=criteria-errors]")
    expect(saved_errors).to_contain_text("「最終購入からの日数」")
    expect(saved_errors).not_to_contain_text("last_purchase_days")
    kept = page.locator("[data-testid=rule-row]").first.locator("[data-testid=rule-value]")
    expect(kept.nth(0)).to_have_value("50")
    expect(kept.nth(1)).to_have_value("20")
    assert page.browser_problems == []
