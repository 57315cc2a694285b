import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "user_fixture, home",
    [
        ("supervisor", "contacts:customer_list"),
        ("operator", "campaigns:console"),
        ("manager", "campaigns:dashboard"),
        ("client_viewer", "campaigns:client_kpis"),
    ],
)
def test_each_role_lands_on_its_own_home(request, client, user_fixture, home):
    from callcenter.signin import two_factor
    from callcenter.signin.testing import authenticator, current_code

    user = request.getfixturevalue(user_fixture)
    device = authenticator(user) if two_factor.is_required(user) else None
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    if device is not None:  # supervisors and managers: the code page first
        assert response.url.startswith(reverse("two_factor_verify"))
        response = client.post(response.url, {"code": current_code(device)})
        assert response.status_code == 302
    assert response.url == reverse("home")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(home)


def test_user_without_role_gets_explanation_not_crash(client, reference_data):
    from conftest import make_user

    client.force_login(make_user("nobody"))
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.content.decode()


@pytest.mark.parametrize(
    "user_fixture, forbidden",
    [
        ("operator", "contacts:customer_list"),
        ("operator", "campaigns:dashboard"),
        ("operator", "audit_list"),
        ("client_viewer", "campaigns:dashboard"),
        ("client_viewer", "campaigns:console"),
        ("manager", "campaigns:console"),
        ("supervisor", "campaigns:client_kpis"),
    ],
)
def test_other_roles_pages_are_a_403_page(request, login, user_fixture, forbidden):
    client = login(request.getfixturevalue(user_fixture))
    response = client.get(reverse(forbidden))
    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.content.decode()


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_navigation_shows_only_what_the_role_may_use(login, operator, manager):
    audit_url = reverse("audit_list")
    operator_page = login(operator).get(reverse("home"), follow=True).content.decode()
    assert audit_url not in operator_page
    manager_page = login(manager).get(reverse("home"), follow=True).content.decode()
    assert audit_url in manager_page


def test_repeated_failed_logins_lock_the_account(client, supervisor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": supervisor.username, "password": "wrong"})
    # Now even the right password is refused, with the lockout page.
    response = client.post(reverse("login"), {"username": supervisor.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower() or "ロック" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_below_the_limit_do_not_lock(client, supervisor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": supervisor.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": supervisor.username, "password": PASSWORD})
    assert response.status_code == 302


def test_password_change_page(login, operator):
    client = login(operator)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.check_password("a-new-long-passphrase-42")


def test_audit_page_lists_events(login, manager):
    from callcenter.audit import record_event

    record_event(actor=manager, action="export.customers", summary="filter: prefecture=東京都")
    response = login(manager).get(reverse("audit_list"))
    assert response.status_code == 200
    assert "export.customers" in response.content.decode()
    assert "東京都" in response.content.decode()
