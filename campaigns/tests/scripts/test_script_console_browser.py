"""The talk script in the real operator console: walked with the keyboard, answers saved with the
attempt through the console's outcome form, required answers enforced before a success."""

import pytest

from campaigns.models import CallAttempt
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory
from scripts.tests.factories import branching_script

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_celery():
    from callcenter.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def scripted_call(operator, eager_celery):
    version = branching_script()
    policy = open_around_the_clock(name="終日 (台本テスト)")
    campaign = working_campaign(operators=[operator], policy=policy, name="台本つき 掘り起こし", script=version.script)
    call_list = ready_list(campaign, name="休眠")
    customer = CustomerFactory(name="山田 花子", phone="090-1111-2222", purchase_count=0)
    return entry(call_list, customer=customer, phone=customer.phones.get().number), version


def test_operator_walks_the_script_and_the_answers_are_saved_with_the_call(
    page, browser_login, shot, operator, scripted_call
):
    call, version = scripted_call
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]:has-text('山田 花子')")
    walk = page.locator("[data-testid=script-walk]")
    opening = walk.locator("[data-testid=walk-step-opening]")
    opening.wait_for(state="visible")
    assert "山田 花子" in opening.inner_text() and "鈴木" in opening.inner_text()
    page.keyboard.press("c")  # connected (console shortcut, focus outside the panel)

    opening.locator("[data-testid=walk-disclosure]").check()
    opening.locator("[data-testid=walk-next]").click()
    walk.locator("[data-testid=walk-step-interest]").wait_for(state="visible")

    # A success before the required questions: the console refuses it and nothing is saved.
    page.locator("[data-testid=disposition-success]").click()
    with page.expect_response(lambda r: "/outcome/" in r.url) as response:
        page.locator("[data-testid=save]").click()
    page.wait_for_load_state("networkidle")
    shot(page, "scripts-console-required")
    assert response.value.status == 400
    assert not CallAttempt.objects.exists()

    # The panel comes back where the operator was; digits inside the panel answer the script.
    interest = walk.locator("[data-testid=walk-step-interest]")
    interest.wait_for(state="visible")
    interest.locator("[data-testid=walk-next]").focus()
    page.keyboard.press("1")
    assert not page.locator("#outcome-form input[name=disposition][value=no_answer]").is_checked()
    page.keyboard.press("Enter")
    budget = walk.locator("input[name=walk-budget]")
    budget.wait_for(state="visible")
    budget.fill("30000")
    budget.press("Enter")
    walk.locator("[data-testid=walk-step-premium] [data-testid=walk-next]").click()
    end = walk.locator("[data-testid=walk-step-end_success]")
    end.wait_for(state="visible")
    end.locator("[data-walk-suggest]").click()
    assert page.locator("#outcome-form input[name=disposition][value=success]").is_checked()
    shot(page, "scripts-console-walk")
    page.keyboard.press("e")  # hang up
    page.locator("[data-testid=save]").click()
    page.wait_for_load_state("networkidle")

    attempt = CallAttempt.objects.get(entry=call)
    assert attempt.disposition_id is not None and attempt.disposition.code == "success"
    assert attempt.script_version == version
    assert attempt.answers == {"opening": True, "interest": "yes", "budget": 30000}
