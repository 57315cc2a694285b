"""Sign-in: two-factor sign-in (who must, enrolment, the code page, recovery codes, reset by a
superuser), API tokens (hashed, expiring, revoked on sign-out-everywhere and password change,
integration tokens), lockout by username+address and against spraying, and sessions that end."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from callcenter.models import ApiToken, AuditEvent, IntegrationAccount
from callcenter.signin import sessions, tokens, two_factor
from callcenter.signin.testing import authenticator, current_code
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def password_login(client, user, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **extra)


def enrol(client, user) -> list[str]:
    """Enrol through the set-up page, as a person would; returns the recovery codes shown."""
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": current_code(device)})
    assert response.status_code == 200
    return list(response.context["codes"])


# ---------------------------------------------------------------- two-factor sign-in


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin_user"])
def test_roles_that_must_use_two_factors_are_sent_to_enrolment_after_the_password(client, request, role):
    user = request.getfixturevalue(role)
    response = password_login(client, user)
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_setup"))
    # Nothing else is reachable before enrolling: pages, the admin, the API with the session.
    for url in (reverse("home"), reverse("audit_list"), "/admin/", "/contacts/customers/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("two_factor_setup")), url
    response = client.get("/api/v1/me/")
    assert (
        response.status_code == 403
        and "two-factor" in response.json()["detail"].lower()
        or "二要素" in (response.json()["detail"])
    )


@pytest.mark.parametrize("role", ["operator", "client_viewer"])
def test_operators_and_client_viewers_need_no_second_factor_by_default(client, request, role):
    user = request.getfixturevalue(role)
    response = password_login(client, user)
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 302  # on to the role's page, not to the code page
    assert reverse("two_factor_setup") not in client.get(reverse("home"))["Location"]


def test_the_required_roles_come_from_the_setting(client, settings, operator, manager):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["Operator"]
    assert password_login(client, operator).url.startswith(reverse("two_factor_setup"))
    assert password_login(Client(), manager).url == reverse("home")
    settings.TWO_FACTOR_REQUIRED_ROLES = ["client_viewer", "admin"]  # slugs work too
    assert two_factor.required_role_slugs() == {"client_viewer", "admin"}


def test_a_misspelt_role_is_a_configuration_error(settings):
    from callcenter.apps import check_two_factor_roles

    settings.TWO_FACTOR_REQUIRED_ROLES = ["Supervisor", "Managr"]
    errors = check_two_factor_roles(None)
    assert [error.id for error in errors] == ["callcenter.E001"] and "Managr" in errors[0].msg


def test_enrolment_shows_a_qr_code_then_the_recovery_codes_once(client, supervisor):
    password_login(client, supervisor)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert (
        "<svg" in page
        and 'data-testid="qr-code"' in page
        and "<script" not in page.split("<main")[1].split("</main>")[0]
    )
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    # The same key on a reload: a QR code already scanned stays valid.
    client.get(reverse("two_factor_setup"))
    assert TOTPDevice.objects.get(user=supervisor, confirmed=False).key == device.key

    wrong = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 200 and not two_factor.is_enrolled(supervisor)
    device.refresh_from_db()
    device.throttle_reset()  # a person types the next code a few seconds later

    codes = enrol(client, supervisor)
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT and len(set(codes)) == len(codes)
    assert two_factor.is_enrolled(supervisor)
    # Stored as digests: the codes themselves are not in the database.
    stored = set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True))
    assert stored == {two_factor.recovery_digest(code) for code in codes} and not stored & set(codes)
    # Signed in fully now; the set-up page shows the state, never the codes again.
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("home"))["Location"] != reverse("two_factor_setup")
    status = client.get(reverse("two_factor_setup")).content.decode()
    assert 'data-testid="recovery-remaining"' in status and not any(code in status for code in codes)
    event = AuditEvent.objects.get(action="auth.two_factor_enrolled")
    assert event.actor == supervisor and event.object_id == str(supervisor.pk)


def test_an_enrolled_user_is_asked_for_the_code_after_the_password(client, supervisor):
    device = authenticator(supervisor)
    response = password_login(client, supervisor)
    assert response.url.startswith(reverse("two_factor_verify"))
    assert client.get(reverse("audit_list")).url.startswith(reverse("two_factor_verify"))
    wrong = client.post(reverse("two_factor_verify"), {"code": "123456", "next": reverse("audit_list")})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    code = current_code(device)
    # Right after a wrong code, even the right one waits (django-otp's throttle: 1, 2, 4... s).
    throttled = client.post(reverse("two_factor_verify"), {"code": code, "next": reverse("audit_list")})
    assert throttled.status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # the wait is over
    response = client.post(reverse("two_factor_verify"), {"code": code, "next": reverse("audit_list")})
    assert response.status_code == 302 and response.url == reverse("audit_list")
    assert client.get(reverse("audit_list")).status_code == 200
    # A code is accepted once: the same code in another sign-in is refused.
    other = Client()
    password_login(other, supervisor)
    assert other.post(reverse("two_factor_verify"), {"code": code}).status_code == 200
    assert other.get(reverse("audit_list")).status_code == 302


def test_the_code_page_does_not_redirect_elsewhere(client, supervisor):
    device = authenticator(supervisor)
    password_login(client, supervisor)
    response = client.post(
        reverse("two_factor_verify"), {"code": current_code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("home")


def test_a_recovery_code_signs_in_once(client, supervisor):
    password_login(client, supervisor)
    codes = enrol(client, supervisor)
    client.post(reverse("logout"))
    password_login(client, supervisor)
    typed = codes[0].upper().replace("-", "")  # typed without the dash, in capitals
    response = client.post(reverse("two_factor_verify"), {"code": typed}, follow=True)
    assert response.redirect_chain and client.get(reverse("audit_list")).status_code == 200
    assert str(two_factor.RECOVERY_CODE_COUNT - 1) in " ".join(str(m) for m in response.context["messages"])
    assert AuditEvent.objects.filter(action="auth.recovery_code_used", actor=supervisor).count() == 1
    client.post(reverse("logout"))
    password_login(client, supervisor)
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 200  # used up
    assert two_factor.remaining_recovery_codes(supervisor) == two_factor.RECOVERY_CODE_COUNT - 1


def test_new_recovery_codes_replace_the_old_ones(login, supervisor):
    client = login(supervisor)
    old = two_factor.renew_recovery_codes(supervisor)
    response = client.post(reverse("two_factor_setup"), {"action": "renew_codes"})
    new = list(response.context["codes"])
    assert set(new) != set(old)
    assert two_factor.verify(supervisor, new[0]) is not None and two_factor.verify(supervisor, old[0]) is None
    assert AuditEvent.objects.filter(action="auth.recovery_codes_renewed").count() == 2


def test_an_operator_may_turn_it_on_and_is_then_asked_for_the_code(client, operator):
    password_login(client, operator)
    enrol(client, operator)
    client.post(reverse("logout"))
    assert password_login(client, operator).url.startswith(reverse("two_factor_verify"))


def test_a_superuser_resets_a_lost_authenticator_in_the_admin(login, admin_user, supervisor):
    supervisor_client = Client()
    supervisor_client.force_login(supervisor)
    from callcenter.signin.testing import sign_in

    sign_in(supervisor_client, supervisor)
    assert supervisor_client.get(reverse("audit_list")).status_code == 200
    admin_client = login(admin_user)
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [supervisor.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    event = AuditEvent.objects.get(action="auth.two_factor_reset")
    assert event.actor == admin_user and event.object_id == str(supervisor.pk) and event.data["via"] == "admin"
    # The session verified with the removed device is sent to set it up again.
    assert supervisor_client.get(reverse("audit_list")).url.startswith(reverse("two_factor_setup"))


def test_a_staff_user_who_is_not_a_superuser_cannot_reset(login, supervisor, reference_data):
    from django.contrib.auth.models import Permission

    staff = make_user("staff_only", None, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    authenticator(supervisor)
    response = login(staff).post(
        reverse("admin:auth_user_changelist"), {"action": "reset_two_factor", "_selected_action": [supervisor.pk]}
    )
    assert response.status_code == 403 and TOTPDevice.objects.filter(user=supervisor).exists()


def test_reset_from_the_server_for_the_only_superuser(admin_user):
    authenticator(admin_user)
    call_command("reset_two_factor", admin_user.username)
    assert not two_factor.is_enrolled(admin_user)
    assert AuditEvent.objects.get(action="auth.two_factor_reset").data["via"] == "manage.py"


def test_the_device_admin_pages_that_show_secret_keys_are_gone(login, admin_user):
    client = login(admin_user)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


# ---------------------------------------------------------------- API tokens


def test_a_token_is_stored_as_a_digest_and_expires_after_the_lifetime(api_client, operator, settings):
    settings.API_TOKEN_LIFETIME_HOURS = 12
    before = timezone.now()
    response = api_client.post(TOKEN_URL, {"username": operator.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    secret = body["token"]
    token = ApiToken.objects.get(user=operator)
    assert token.digest == tokens.digest(secret) and secret not in (token.digest, token.prefix)
    assert not ApiToken.objects.filter(digest=secret).exists()
    assert timedelta(hours=12) <= token.expires_at - before < timedelta(hours=12, minutes=1)
    assert body["expires_at"] == timezone.localtime(token.expires_at).isoformat()  # +09:00 as the API's others
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 200
    # Moved past its lifetime, it no longer signs in.
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_the_lifetime_comes_from_the_setting(api_client, operator, settings):
    settings.API_TOKEN_LIFETIME_HOURS = 1
    api_client.post(TOKEN_URL, {"username": operator.username, "password": PASSWORD}, format="json")
    token = ApiToken.objects.get(user=operator)
    assert token.expires_at - token.created_at < timedelta(hours=1, seconds=5)


def test_a_user_who_signs_in_with_two_factors_gets_a_token_only_with_the_code(api_client, supervisor):
    body = {"username": supervisor.username, "password": PASSWORD}
    # Not enrolled yet: told to set it up in the browser.
    response = api_client.post(TOKEN_URL, body, format="json")
    assert response.status_code == 400 and "otp" in response.json()["errors"]
    device = authenticator(supervisor)
    response = api_client.post(TOKEN_URL, body, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["otp"]
    response = api_client.post(TOKEN_URL, {**body, "otp": "000000"}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["otp"]
    assert not ApiToken.objects.exists()
    device.throttle_reset()
    response = api_client.post(TOKEN_URL, {**body, "otp": current_code(device)}, format="json")
    assert response.status_code == 200 and set(response.json()) == {"token", "expires_at"}
    # The wrong password is refused before the code is even looked at.
    response = api_client.post(TOKEN_URL, {**body, "password": "nope", "otp": "1"}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["non_field_errors"]


def test_a_revoked_token_no_longer_signs_in(api_client, operator):
    token, secret = tokens.issue_personal_token(operator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 200
    assert tokens.revoke(token, by=operator, reason="test")
    assert api_client.get("/api/v1/me/").status_code == 401
    assert not tokens.revoke(token, by=operator, reason="again")  # once
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1
    assert AuditEvent.objects.filter(action="token.created").count() == 1


def test_a_token_of_a_deactivated_user_no_longer_signs_in(api_client, operator):
    _token, secret = tokens.issue_personal_token(operator)
    operator.is_active = False
    operator.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_changing_the_password_revokes_the_tokens(login, operator, api_client):
    _token, secret = tokens.issue_personal_token(operator)
    client = login(operator)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 401
    # Wherever the password changes (the admin, manage.py changepassword use set_password).
    _token, secret = tokens.issue_personal_token(operator)
    operator.set_password("a-third-long-passphrase-9")
    operator.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_sign_out_everywhere_ends_every_session_and_revokes_the_tokens(login, operator, api_client):
    _token, secret = tokens.issue_personal_token(operator)
    desk = login(operator)
    other_desk = Client()
    other_desk.force_login(operator)
    assert other_desk.get(reverse("api_tokens")).status_code == 200
    response = desk.post(reverse("sign_out_everywhere"))
    assert response.status_code == 302 and response.url == reverse("login")
    for client in (desk, other_desk):
        response = client.get(reverse("api_tokens"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.get(action="auth.signed_out_everywhere").data["tokens"] == 1
    # A new sign-in afterwards works.
    assert password_login(Client(), operator).url == reverse("home")


def test_the_tokens_page_lists_and_revokes_only_ones_own(login, operator, operator2):
    mine, _ = tokens.issue_personal_token(operator)
    theirs, _ = tokens.issue_personal_token(operator2)
    client = login(operator)
    page = client.get(reverse("api_tokens")).content.decode()
    assert mine.prefix in page and theirs.prefix not in page
    assert client.post(reverse("api_token_revoke", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("api_token_revoke", args=[mine.pk])).status_code == 405
    assert client.post(reverse("api_token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_long_lived_tokens_only_for_an_integration_account_and_only_from_a_superuser(operator, admin_user, supervisor):
    with pytest.raises(tokens.NotAnIntegrationAccount):
        tokens.issue_integration_token(operator, name="x", created_by=admin_user)
    from callcenter.signin.integrations import create_integration_account

    account = create_integration_account("crm-sync", note="CRM", by=admin_user)
    assert not account.user.has_usable_password()
    with pytest.raises(PermissionError):
        tokens.issue_integration_token(account.user, name="x", created_by=supervisor)
    token, _secret = tokens.issue_integration_token(account.user, name="x", created_by=admin_user, days=365)
    assert token.kind == ApiToken.Kind.INTEGRATION and token.expires_at > timezone.now() + timedelta(days=364)


def test_the_command_creates_the_integration_account_and_prints_the_token_once(capsys, api_client, reference_data):
    call_command("integration_token", "dialer", "--create", "--role", "supervisor", "--name", "dialer", "--days", "30")
    secret = capsys.readouterr().out.strip()
    account = IntegrationAccount.objects.get(user__username="dialer")
    token = ApiToken.objects.get(user=account.user)
    assert token.digest == tokens.digest(secret) and token.kind == "integration"
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").json()["roles"] == ["supervisor"]
    # A person's account gets no long-lived token.
    from django.core.management.base import CommandError

    make_user("a_person", "operator")
    with pytest.raises(CommandError):
        call_command("integration_token", "a_person")


def test_the_admin_creates_an_integration_account_and_issues_a_token_shown_once(login, admin_user, reference_data):
    from django.contrib.auth.models import Group

    client = login(admin_user)
    response = client.post(
        reverse("admin:callcenter_integrationaccount_add"),
        {"username": "crm", "groups": [Group.objects.get(name="Supervisor").pk], "note": "CRM nightly"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = IntegrationAccount.objects.get(user__username="crm")
    assert not account.user.has_usable_password() and account.note == "CRM nightly"
    response = client.post(
        reverse("admin:callcenter_integrationaccount_changelist"),
        {"action": "issue_token", "_selected_action": [account.pk]},
    )
    page = response.content.decode()
    token = ApiToken.objects.get(user=account.user)
    secret = page.split('data-testid="issued-secret">')[1].split("<")[0]
    assert tokens.digest(secret) == token.digest and token.created_by == admin_user
    assert AuditEvent.objects.filter(action="integration.created", actor=admin_user).exists()


def test_old_tokens_are_deleted_after_a_month(operator):
    old, _ = tokens.issue_personal_token(operator)
    recent, _ = tokens.issue_personal_token(operator)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=31))
    assert tokens.delete_old_tokens() == 1
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_token_endpoint_schema_has_the_code_and_the_expiry(login, supervisor):
    schema = login(supervisor).get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"username", "password", "otp"}
    assert set(schema["components"]["schemas"][ref]["required"]) == {"username", "password"}
    assert set(schema["components"]["schemas"]["Token"]["properties"]) == {"token", "expires_at"}
    assert {"200", "400", "429"} <= set(operation["responses"])


# ---------------------------------------------------------------- lockout


def fail(client, username, ip, times=1):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)


def test_failures_lock_the_username_only_from_the_address_that_failed(client, operator, settings):
    fail(client, operator.username, "10.0.0.66", settings.AXES_FAILURE_LIMIT)
    assert password_login(client, operator, REMOTE_ADDR="10.0.0.66").status_code == 429
    # The operator at their own desk still signs in.
    assert password_login(Client(), operator, REMOTE_ADDR="10.0.0.7").status_code == 302


def test_typing_names_on_one_computer_does_not_lock_the_floor(client, operator, operator2, settings):
    """Behind one NAT address: one person's typos lock only their own username there."""
    fail(client, operator.username, "192.0.2.1", settings.AXES_FAILURE_LIMIT)
    assert password_login(Client(), operator2, REMOTE_ADDR="192.0.2.1").status_code == 302


def test_spraying_many_usernames_from_one_address_blocks_the_address(client, operator, settings):
    settings.AXES_IP_USERNAME_LIMIT = 4
    for index in range(settings.AXES_IP_USERNAME_LIMIT):
        fail(client, f"guess{index}", "203.0.113.9")  # one try each: no username reaches its limit
    response = password_login(client, operator, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429  # even the right password of a real user, from there
    assert "_auth_user_id" not in client.session
    response = Client().post(
        TOKEN_URL,
        {"username": operator.username, "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 429 and "Retry-After" in response
    # Elsewhere, nothing is locked.
    assert password_login(Client(), operator, REMOTE_ADDR="203.0.113.10").status_code == 302


def test_below_the_spraying_limit_the_address_is_not_blocked(client, operator, settings):
    settings.AXES_IP_USERNAME_LIMIT = 4
    for index in range(settings.AXES_IP_USERNAME_LIMIT - 1):
        fail(client, f"guess{index}", "203.0.113.9")
    assert password_login(client, operator, REMOTE_ADDR="203.0.113.9").status_code == 302


# ---------------------------------------------------------------- sessions end


def move_session(client, *, signed_in_ago: float, used_ago: float):
    session = client.session
    now = time.time()
    session[sessions.SIGNED_IN_AT] = now - signed_in_ago
    session[sessions.LAST_USED_AT] = now - used_ago
    session.save()


@pytest.mark.parametrize("role", ["operator", "client_viewer", "supervisor"])
def test_every_session_ends_after_the_absolute_limit(login, request, role, settings):
    client = login(request.getfixturevalue(role))
    move_session(client, signed_in_ago=settings.SESSION_ABSOLUTE_HOURS * 3600 + 1, used_ago=10)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert str(settings.SESSION_ABSOLUTE_HOURS) in " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("role", ["operator", "supervisor", "manager", "sales"])
def test_a_session_that_sees_customer_data_ends_after_the_idle_limit(login, request, role, settings):
    client = login(request.getfixturevalue(role))
    move_session(client, signed_in_ago=3600, used_ago=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_client_viewer_is_not_signed_out_when_idle(login, client_viewer, settings):
    client = login(client_viewer)
    move_session(client, signed_in_ago=3600, used_ago=settings.SESSION_IDLE_MINUTES * 60 + 1)
    assert client.get(reverse("campaigns:client_kpis")).status_code == 200
    assert "_auth_user_id" in client.session


def test_use_within_the_idle_limit_keeps_the_session(login, operator, settings):
    client = login(operator)
    move_session(client, signed_in_ago=3600, used_ago=settings.SESSION_IDLE_MINUTES * 60 - 60)
    assert client.get(reverse("home")).url == reverse("campaigns:console")
    assert time.time() - client.session[sessions.LAST_USED_AT] < 5  # the clock starts again


def test_the_idle_limit_comes_from_the_setting(login, operator, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client = login(operator)
    move_session(client, signed_in_ago=600, used_ago=6 * 60)
    assert client.get(reverse("home")).url.startswith(reverse("login"))


def test_the_consoles_own_pings_do_not_keep_an_idle_session_alive(login, operator, settings):
    client = login(operator)
    move_session(client, signed_in_ago=3600, used_ago=20 * 60)
    used_at = client.session[sessions.LAST_USED_AT]
    assert client.post(reverse("campaigns:console_presence"), HTTP_HX_REQUEST="true").status_code == 200
    assert client.session[sessions.LAST_USED_AT] == used_at
    move_session(client, signed_in_ago=3600, used_ago=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = client.post(reverse("campaigns:console_presence"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_an_expired_session_on_the_api_is_an_anonymous_request(login, operator, settings):
    client = login(operator)
    move_session(client, signed_in_ago=settings.SESSION_ABSOLUTE_HOURS * 3600 + 1, used_ago=1)
    assert client.get("/api/v1/me/").status_code in (401, 403)
