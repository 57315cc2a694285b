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


def test_the_audit_page_filters_pages_and_exports(page, browser_login, supervisor, manager):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO callcenter_auditevent (created_at, actor_id, action, object_type, object_id, summary, data)"
            " SELECT now() - make_interval(secs => g), %s, 'kpis.export', '', '', 'export ' || g, '{}'"
            " FROM generate_series(1, 60) g",
            [manager.pk],
        )
    browser_login(supervisor)
    page.goto(page.base_url + "/audit/")
    page.fill("#id_actor", manager.username)
    page.select_option("#id_action", "kpis.export")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=audit-row]").count() == 50
    screenshot(page, "audit-filtered")
    page.click("[data-testid=audit-older]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=audit-row]").count() == 10
    assert "actor=" in page.url and "before=" in page.url
    page.click("[data-testid=audit-newer]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=audit-row]").count() == 50
    with page.expect_download() as download:
        page.click("[data-testid=audit-export]")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.count("kpis.export") == 60
    page.fill("#id_date_from", "2030-01-02")
    page.fill("#id_date_to", "2030-01-01")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".invalid-feedback").is_visible()
