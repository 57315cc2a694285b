"""Browser: a supervisor gives a campaign its own outcome and key; the operator's console shows
exactly that set, and the key (and D for the do-not-call outcome) picks it."""

import pytest

from campaigns.models import CallAttempt
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories import DispositionFactory
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_sets_a_key_and_the_operator_uses_it(page, browser_login, shot, supervisor, operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="督促 12月")
    entry(ready_list(campaign))
    DispositionFactory(code="paid", label="Paid in full", label_ja="入金済み", is_contact=True, is_success=True)

    browser_login(supervisor)
    page.goto(f"{page.base_url}/campaigns/manage/{campaign.pk}/")
    page.click("[data-testid=edit-outcomes]")
    page.wait_for_selector("[data-testid=campaign-outcome-table]")
    assert page.inner_text("[data-testid=outcome-count]") == "11 / 12"
    page.select_option("#id_disposition", "paid")
    page.select_option("#id_key", "P")
    page.click("[data-testid=add-outcome]")
    page.wait_for_selector("[data-testid=campaign-outcome-paid]")
    # Voicemail makes no sense in collections: it goes; the other keys stay where they were.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=remove-voicemail]")
    page.wait_for_selector(".alert-success")
    assert page.query_selector("[data-testid=campaign-outcome-voicemail]") is None
    assert "P" in page.inner_text("[data-testid=campaign-outcome-paid]")
    assert "8" in page.inner_text("[data-testid=campaign-outcome-success]")
    shot(page, "outcome-set-1-supervisor")

    page.context.clear_cookies()
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=outcome-grid]")
    grid = page.inner_text("[data-testid=outcome-grid]")
    assert "入金済み" in grid and "留守番電話" not in grid
    assert page.inner_text("#chosen-outcome-label") == "未選択"
    page.keyboard.press("c")
    page.keyboard.press("p")
    assert page.is_checked("input[name=disposition][value=paid]")
    assert page.inner_text("#chosen-outcome-label") == "入金済み"
    # Every outcome fits the grid: no button below the form's save row.
    grid_box = page.locator("[data-testid=outcome-grid]").bounding_box()
    assert grid_box["height"] < 200
    shot(page, "outcome-set-2-console")
    page.keyboard.press("e")
    page.keyboard.press("Control+s")
    page.wait_for_selector(".alert-success")
    assert CallAttempt.objects.get().disposition.code == "paid"


def test_a_save_refused_says_why_next_to_the_buttons(page, browser_login, shot, operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="理由表示")
    entry(ready_list(campaign))
    dispatch_next(operator=operator)
    browser_login(operator)
    page.wait_for_selector("[data-testid=outcome-form]")
    page.click("[data-testid=save]")  # no outcome chosen
    refused = page.wait_for_selector("[data-testid=save-refused]")
    assert "通話結果を選んでください" in refused.inner_text()
    footer = page.locator("#outcome-form .card-footer").bounding_box()
    box = refused.bounding_box()
    assert footer["y"] <= box["y"] <= footer["y"] + footer["height"]
    shot(page, "outcome-set-3-refused")
    page.keyboard.press("d")
    assert page.is_checked("input[name=disposition][value=dnc_request]")
    assert page.inner_text("#chosen-outcome-label") == "架電拒否"
    assert not CallAttempt.objects.exists()
