"""People's accounts: creating with a role, campaigns and skills; who may give what to whom;
password resets that must be changed; deactivation that stops sessions and tokens at once; the CSV
import; the users API (GET/POST /api/v1/users/, GET/PATCH /api/v1/users/{id}/)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from callcenter import people
from callcenter.models import AuditEvent, PasswordChangeDue
from callcenter.signin.testing import sign_in
from callcenter.signin.tokens import issue_personal_token
from campaigns.models import OperatorProfile
from campaigns.services import people as services
from campaigns.tests.factories import CampaignFactory
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()
STRONG = "Kq8-mz!t2-Lp5w"


def events(action, user):
    return AuditEvent.objects.filter(action=action, object_type="auth.user", object_id=str(user.pk))


# ------------------------------------------------------------------ the service


def test_create_an_operator_with_campaigns_and_skills(supervisor):
    campaign = CampaignFactory()
    user, temporary = services.create_account(
        by=supervisor,
        change=services.AccountChange(
            username="op_yamada", name="山田　太郎", role="operator", campaigns=[campaign], skills="veteran、 回収"
        ),
    )
    assert (user.last_name, user.first_name) == ("山田", "太郎")
    assert people.role_of(user) == "operator"
    assert list(campaign.operators.all()) == [user]
    assert OperatorProfile.objects.get(user=user).skills == ["veteran", "回収"]
    assert temporary and user.check_password(temporary)
    assert PasswordChangeDue.objects.filter(user=user).exists()
    event = events(people.CREATED, user).get()
    assert event.actor == supervisor and event.data["role"] == "operator" and event.data["campaigns"] == [campaign.pk]


def test_a_client_viewer_is_given_the_campaigns_they_see(supervisor):
    campaign = CampaignFactory()
    user, _temporary = services.create_account(
        by=supervisor,
        change=services.AccountChange(username="client_a", role="client_viewer", campaigns=[campaign]),
    )
    assert list(campaign.client_viewers.all()) == [user] and not campaign.operators.exists()


def test_every_problem_of_a_request_at_once(supervisor, operator):
    with pytest.raises(Exception) as refused:
        services.create_account(
            by=supervisor,
            change=services.AccountChange(
                username=operator.username.upper(), role="manager", password="123", skills="veteran"
            ),
        )
    errors = refused.value.message_dict
    assert set(errors) == {"username", "password", "skills"}
    assert User.objects.count() == 2


def test_a_supervisor_cannot_give_a_role_above_their_own_nor_touch_a_superuser(manager, supervisor, admin_user):
    with pytest.raises(Exception) as refused:
        services.create_account(by=manager, change=services.AccountChange(username="x", role="supervisor"))
    assert "role" in refused.value.message_dict
    # a supervisor may make a supervisor, never change a superuser
    services.create_account(by=supervisor, change=services.AccountChange(username="sv2", role="supervisor"))
    with pytest.raises(people.NotAllowed):
        services.update_account(by=supervisor, user=admin_user, change=services.AccountChange(name="x"))
    with pytest.raises(people.NotAllowed):
        people.set_password_for(admin_user, by=supervisor)
    with pytest.raises(people.NotAllowed):
        people.set_active(admin_user, by=supervisor, active=False)
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.check_password(PASSWORD)


def test_nobody_changes_their_own_role_or_deactivates_themselves(supervisor):
    with pytest.raises(Exception) as refused:
        services.update_account(
            by=supervisor, user=supervisor, change=services.AccountChange(role="operator", is_active=False)
        )
    assert set(refused.value.message_dict) == {"role", "is_active"}
    assert people.role_of(User.objects.get(pk=supervisor.pk)) == "supervisor"


def test_changing_the_role_replaces_it_and_is_audited(supervisor, operator):
    services.update_account(by=supervisor, user=operator, change=services.AccountChange(role="manager"))
    assert people.role_of(User.objects.get(pk=operator.pk)) == "manager"
    assert list(operator.groups.values_list("name", flat=True)) == ["Manager"]
    assert events(people.UPDATED, operator).get().data["changes"]["role"] == ["operator", "manager"]


# ------------------------------------------------------------------ passwords


def test_a_reset_password_must_be_changed_at_the_next_sign_in(client, supervisor, operator):
    temporary = people.set_password_for(operator, by=supervisor)
    assert events(people.PASSWORD_RESET, operator).filter(actor=supervisor).exists()
    response = client.post(reverse("login"), {"username": operator.username, "password": temporary})
    assert response.status_code == 302
    response = client.get(reverse("campaigns:console"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert client.get("/api/v1/me/").status_code == 403
    response = client.post(
        reverse("password_change"),
        {"old_password": temporary, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response.status_code == 302
    assert not PasswordChangeDue.objects.filter(user=operator).exists()
    assert client.get(reverse("campaigns:console")).status_code == 200


def test_no_api_token_for_a_password_someone_else_set(api_client, supervisor, operator):
    temporary = people.set_password_for(operator, by=supervisor)
    response = api_client.post(
        "/api/v1/auth/token/", {"username": operator.username, "password": temporary}, format="json"
    )
    assert response.status_code == 400 and "non_field_errors" in response.json()["errors"]


def test_a_reset_ends_the_users_sessions_and_tokens(client, api_client, supervisor, operator):
    client.force_login(operator)
    _token, secret = issue_personal_token(operator)
    people.set_password_for(operator, by=supervisor)
    assert client.get(reverse("campaigns:console")).status_code == 302
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 401


# ------------------------------------------------------------------ deactivation


def test_deactivating_stops_sessions_and_tokens_at_once_and_keeps_the_account(client, api_client, supervisor, operator):
    client.force_login(operator)
    _token, secret = issue_personal_token(operator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 200
    assert people.set_active(operator, by=supervisor, active=False)
    assert api_client.get("/api/v1/me/").status_code == 401
    response = client.get(reverse("campaigns:console"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert User.objects.filter(pk=operator.pk, is_active=False).exists()
    assert not people.set_active(operator, by=supervisor, active=False)  # already: nothing recorded twice
    assert events(people.DEACTIVATED, operator).count() == 1
    # reactivated, the old token stays revoked
    assert people.set_active(operator, by=supervisor, active=True)
    assert api_client.get("/api/v1/me/").status_code == 401
    assert events(people.REACTIVATED, operator).count() == 1


# ------------------------------------------------------------------ CSV import


def test_import_many_operators(supervisor):
    campaign = CampaignFactory(name="春の掘り起こし")
    data = (
        "ユーザー名,氏名,ロール,キャンペーン,スキル\r\n"
        "op_a,青木 一,,春の掘り起こし,veteran\r\n"
        "op_b,伊藤 二,operator,,\r\n"
        ",,,,\r\n"
    ).encode("cp932")
    result = services.import_accounts(by=supervisor, data=data)
    assert result.errors == []
    assert [user.username for user, _temporary in result.created] == ["op_a", "op_b"]
    assert all(temporary for _user, temporary in result.created)
    assert [u.username for u in campaign.operators.all()] == ["op_a"]
    assert PasswordChangeDue.objects.count() == 2
    assert AuditEvent.objects.filter(action=people.IMPORTED).get().data["usernames"] == ["op_a", "op_b"]


def test_an_import_with_a_bad_row_creates_nothing_and_says_where(supervisor, operator):
    data = (
        "username,name,role,campaigns\n"
        "op_new,新井 三,operator,\n"
        f"{operator.username},x,operator,\n"
        "op_x,,superuser,\n"
        "op_y,,operator,ないキャンペーン\n"
        "op_new,,,\n"
    ).encode()
    result = services.import_accounts(by=supervisor, data=data)
    assert result.created == []
    assert [(line, column) for line, column, _value, _message in result.errors] == [
        (3, "username"),
        (4, "role"),
        (5, "campaigns"),
        (6, "username"),
    ]
    assert not User.objects.filter(username="op_new").exists()


def test_an_import_cannot_raise_anyone_above_the_importer(manager):
    result = services.import_accounts(by=manager, data=b"username,role\nsv_new,supervisor\n")
    assert result.created == [] and result.errors[0][1] == "role"


# ------------------------------------------------------------------ the API


def test_api_create_list_and_read(api_as, supervisor):
    campaign = CampaignFactory()
    api = api_as(supervisor)
    response = api.post(
        "/api/v1/users/",
        {"username": "op_api", "name": "佐々木 四郎", "role": "operator", "campaigns": [campaign.pk], "skills": ["a"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "operator" and body["campaigns"] == [campaign.pk] and body["skills"] == ["a"]
    assert body["must_change_password"] is True and body["temporary_password"]
    listed = api.get("/api/v1/users/", {"role": "operator", "state": "active", "q": "佐々木"}).json()
    assert [row["username"] for row in listed["results"]] == ["op_api"]
    detail = api.get(f"/api/v1/users/{body['id']}/").json()
    assert "temporary_password" not in detail and "password" not in detail
    assert api.get("/api/v1/users/", {"role": "boss"}).status_code == 400


def test_api_create_with_a_password(api_as, supervisor):
    response = api_as(supervisor).post(
        "/api/v1/users/", {"username": "mgr2", "role": "manager", "password": STRONG}, format="json"
    )
    assert response.status_code == 201 and response.json()["temporary_password"] is None
    assert User.objects.get(username="mgr2").check_password(STRONG)


def test_api_patch_deactivates_and_the_tokens_stop(api_as, api_client, supervisor, operator):
    _token, secret = issue_personal_token(operator)
    response = api_as(supervisor).patch(f"/api/v1/users/{operator.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_api_patch_refuses_a_superuser_and_a_higher_role(api_as, supervisor, manager, admin_user):
    api = api_as(supervisor)
    assert api.patch(f"/api/v1/users/{admin_user.pk}/", {"is_active": False}, format="json").status_code == 403
    response = api.patch(f"/api/v1/users/{manager.pk}/", {"role": "supervisor"}, format="json")
    assert response.status_code == 200  # up to the supervisor's own rank
    other = make_user("mgr_other", "manager")
    api = api_as(other)
    assert api.get("/api/v1/users/").status_code == 403  # managers do not manage accounts


def test_api_reset_password_answers_it_once(api_as, supervisor, operator):
    response = api_as(supervisor).patch(f"/api/v1/users/{operator.pk}/", {"reset_password": True}, format="json")
    body = response.json()
    assert response.status_code == 200 and body["temporary_password"] and body["must_change_password"]
    operator.refresh_from_db()
    assert operator.check_password(body["temporary_password"])


@pytest.mark.parametrize("role", ["operator", "client_viewer", "manager"])
def test_api_refuses_roles_that_do_not_manage_accounts(role, api_as, request):
    user = request.getfixturevalue(role)
    api = api_as(user)
    assert api.get("/api/v1/users/").status_code == 403
    assert api.get(f"/api/v1/users/{user.pk}/").status_code == 403


# ------------------------------------------------------------------ the pages


def test_pages_create_edit_reset_deactivate(login, supervisor, operator):
    client = login(supervisor)
    response = client.post(
        reverse("campaigns:user_create"), {"username": "op_page", "name": "上田 五", "role": "operator"}
    )
    user = User.objects.get(username="op_page")
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:user_edit", args=[user.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="temporary-password"' in page
    assert 'data-testid="temporary-password"' not in client.get(response["Location"]).content.decode()  # once
    client.post(reverse("campaigns:user_set_active", args=[user.pk]), {"active": "0"})
    assert not User.objects.get(pk=user.pk).is_active
    listing = client.get(reverse("campaigns:user_list"), {"state": "inactive"}).content.decode()
    assert "op_page" in listing and operator.username not in listing
    assert client.post(reverse("campaigns:user_set_active", args=[user.pk])).status_code == 400


def test_the_page_does_not_offer_roles_above_ones_own(login, supervisor):
    client = login(supervisor)
    page = client.get(reverse("campaigns:user_create")).content.decode()
    assert 'value="supervisor"' in page and "is_superuser" not in page


def test_the_user_menu_leads_supervisors_to_users_and_callbacks(login, supervisor, operator):
    page = login(supervisor).get(reverse("campaigns:campaign_list")).content.decode()
    assert reverse("campaigns:user_list") in page and reverse("campaigns:callback_list") in page
    page = sign_in(Client(), operator).get(reverse("campaigns:console")).content.decode()
    assert reverse("campaigns:user_list") not in page
