"""Two-factor sign-in in the browser: a supervisor signs in with the password, is sent to set up
the authenticator (QR code), confirms it with a code computed from the device's key as the phone
would, keeps the recovery codes shown once; next time the code page asks for a code. Then the
API tokens page."""

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from callcenter.signin.testing import current_code
from conftest import PASSWORD, screenshot

pytestmark = pytest.mark.browser


def sign_in_with_password(page, user):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state("networkidle")


def test_enrolment_then_sign_in_with_the_code(page, supervisor):
    sign_in_with_password(page, supervisor)
    assert "/accounts/two-factor/" in page.url
    assert page.locator("[data-testid=two-factor-required]").is_visible()
    qr = page.locator("[data-testid=qr-code] svg")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 150
    secret = page.locator("[data-testid=otp-secret]").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    assert base64.b32decode(secret) == device.bin_key  # the key shown is the device's
    screenshot(page, "two-factor-setup")

    # Other pages are closed until the set-up is done.
    page.goto(page.base_url + "/audit/")
    assert "/accounts/two-factor/" in page.url

    page.fill("input[name=code]", "000000")
    page.click("[data-testid=otp-submit]")
    assert page.locator(".invalid-feedback").is_visible()
    device.refresh_from_db()
    device.throttle_reset()  # the person reads the phone again a few seconds later

    page.fill("input[name=code]", current_code(device))
    page.click("[data-testid=otp-submit]")
    codes = page.locator("[data-testid=recovery-codes] li")
    assert codes.count() == 10
    screenshot(page, "two-factor-recovery-codes")
    page.click("[data-testid=recovery-codes-done]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/two-factor/" not in page.url and "/accounts/login/" not in page.url
    page.goto(page.base_url + "/audit/")
    assert page.locator("h1").inner_text() == "監査ログ"

    # Next sign-in: password, then the code page.
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_load_state("networkidle")
    sign_in_with_password(page, supervisor)
    assert "/accounts/two-factor/verify/" in page.url
    screenshot(page, "two-factor-verify")
    device = TOTPDevice.objects.get(user=supervisor, confirmed=True)
    page.fill("input[name=code]", current_code(device))
    page.click("[data-testid=otp-submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/" not in page.url
    assert page.locator("[data-testid=user-menu]").is_visible()


def test_the_tokens_page_revokes_a_token(page, browser_login, operator):
    from callcenter.signin import tokens

    token, _secret = tokens.issue_personal_token(operator, name="POST /api/v1/auth/token/")
    browser_login(operator)
    page.click("[data-testid=user-menu]")
    page.click("text=API トークン")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=api-tokens]").inner_text().count(token.prefix) == 1
    screenshot(page, "api-tokens")
    page.click("[data-testid=revoke-token]")
    page.wait_for_load_state("networkidle")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert page.locator("[data-testid=revoke-token]").count() == 0
