import pytest

from conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "user_fixture, home",
    [
        ("supervisor", "contacts:customer_list"),
        ("operator", "campaigns:console"),
        ("manager", "campaigns:dashboard"),
        ("client_viewer", "campaigns:client_kpis"),
    ],
)
def test_each_role_logs_in_and_lands_on_its_home(request, page, browser_login, user_fixture, home):
    from django.urls import reverse

    user = request.getfixturevalue(user_fixture)
    browser_login(user)
    assert page.url.endswith(reverse(home)), page.url
    assert page.locator("[data-testid=user-menu]").is_visible()
    screenshot(page, f"home-{user_fixture}")


def test_language_switcher_changes_the_page(page, browser_login, supervisor):
    browser_login(supervisor)
    page.goto(page.base_url + "/audit/")
    assert page.locator("h1").inner_text() == "監査ログ"
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Audit trail"
    assert page.url.endswith("/audit/")
    screenshot(page, "audit-en")
    page.click("[data-testid=lang-ja]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "監査ログ"


def test_login_page_in_japanese_and_wrong_password_message(page, supervisor):
    page.goto(page.base_url + "/accounts/login/")
    assert page.locator("h1").inner_text() == "ログイン"
    page.fill("input[name=username]", supervisor.username)
    page.fill("input[name=password]", "wrong")
    page.click("[data-testid=login-submit]")
    assert page.locator(".alert-danger, .invalid-feedback, .alert-block").first.is_visible()
    screenshot(page, "login-error")


def test_forbidden_page_for_another_roles_page(page, browser_login, operator):
    browser_login(operator)
    page.goto(page.base_url + "/audit/")
    assert page.locator("[data-testid=forbidden]").is_visible()
    screenshot(page, "forbidden")
