"""The menu fits one row at 1366 px for every role, its groups open as dropdowns, and a group a
role sees only one page of is a plain link."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin_user", "operator"])
def test_the_menu_fits_one_row_at_1366_px(request, page, browser_login, shot, role):
    user = request.getfixturevalue(role)
    browser_login(user)
    page.goto(page.base_url + "/campaigns/manage/" if role in ("supervisor", "admin_user") else page.base_url + "/")
    page.wait_for_selector("[data-testid=nav]")
    bar = page.locator("nav.navbar").bounding_box()
    link = page.locator("[data-testid=nav] > li").first.bounding_box()
    assert bar["height"] < link["height"] * 2, f"{role}: the menu wraps ({bar['height']} px)"
    if role == "operator":  # one page: a plain link, no dropdown
        assert page.locator("[data-testid=nav] .dropdown-toggle").count() == 0
        assert page.locator("[data-testid=nav] a.nav-link").count() == 1
    shot(page, f"nav-{role}")


def test_a_group_opens_and_leads_to_its_pages(page, browser_login, shot, supervisor):
    browser_login(supervisor)
    page.goto(page.base_url + "/contacts/customers/")
    group = page.locator("[data-testid=nav] .dropdown-toggle", has_text="キャンペーン")
    assert "active" not in (group.get_attribute("class") or "")
    group.click()
    page.locator("[data-testid=nav] .dropdown-menu.show a", has_text="架電ポリシー").click()
    page.wait_for_url("**/campaigns/policies/")
    assert "active" in page.locator("[data-testid=nav] .dropdown-toggle", has_text="キャンペーン").get_attribute(
        "class"
    )
    customers = page.locator("[data-testid=nav] .dropdown-toggle", has_text="顧客")
    customers.click()
    shot(page, "nav-group-open")
    assert page.locator("[data-testid=nav] .dropdown-menu.show a").count() == 4
