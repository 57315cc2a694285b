"""Browser journeys of the users page: a supervisor creates an operator, the operator signs in with
the temporary password and must choose their own; a supervisor deactivates an account."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from campaigns.tests.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OWN_PASSWORD = "Kq8-mz!t2-Lp5w"


def test_create_an_operator_who_then_chooses_their_own_password(page, browser_login, supervisor, shot):
    CampaignFactory(name="春の掘り起こし")
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/users/")
    expect(page.get_by_test_id("user-table")).to_contain_text(supervisor.username)
    shot(page, "people-user-list")
    page.get_by_test_id("new-user").click()
    page.fill("#id_username", "op_yamada")
    page.fill("#id_name", "山田 太郎")
    page.select_option("#id_role", "operator")
    page.fill("#id_skills", "veteran, 回収")
    page.get_by_label("春の掘り起こし").check()
    shot(page, "people-user-form")
    page.get_by_test_id("save-user").click()
    temporary = page.get_by_test_id("temporary-password").locator("code").inner_text()
    expect(page.get_by_test_id("password-change-due")).to_be_visible()
    shot(page, "people-user-created")
    page.goto(page.base_url + "/campaigns/users/?role=operator")
    expect(page.get_by_test_id("user-op_yamada")).to_contain_text("春の掘り起こし")
    expect(page.get_by_test_id("user-op_yamada")).to_contain_text("veteran")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    operator = get_user_model().objects.get(username="op_yamada")
    browser_login(operator, password=temporary)
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    page.goto(page.base_url + "/campaigns/console/")
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))  # nothing else before
    page.fill("#id_old_password", temporary)
    page.fill("#id_new_password1", OWN_PASSWORD)
    page.fill("#id_new_password2", OWN_PASSWORD)
    shot(page, "people-own-password")
    page.locator("main form button[type=submit]").click()
    page.goto(page.base_url + "/campaigns/console/")
    expect(page).to_have_url(re.compile(r"/campaigns/console/$"))


def test_deactivate_in_english(page, browser_login, supervisor, operator, shot):
    browser_login(supervisor)
    page.goto(page.base_url + f"/campaigns/users/{operator.pk}/")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("deactivate")).to_contain_text("Deactivate")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("deactivate").click()
    expect(page.get_by_test_id("reactivate")).to_contain_text("Reactivate")
    shot(page, "people-user-deactivated")
    operator.refresh_from_db()
    assert operator.is_active is False
    page.goto(page.base_url + "/campaigns/users/?state=inactive")
    expect(page.get_by_test_id(f"user-{operator.username}")).to_be_visible()
