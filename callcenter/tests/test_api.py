import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_then_me_reports_roles(api_client, supervisor):
    response = api_client.post("/api/v1/auth/token/", {"username": supervisor.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/").json()
    assert me == {"id": supervisor.id, "username": supervisor.username, "roles": ["supervisor"]}


def test_superuser_has_admin_role(api_as, admin_user):
    assert api_as(admin_user).get("/api/v1/me/").json()["roles"] == ["admin"]


def test_wrong_password_is_400_with_errors_shape(api_client, operator):
    response = api_client.post("/api/v1/auth/token/", {"username": operator.username, "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "errors" in response.json()


def test_without_credentials_is_401(api_client):
    assert api_client.get("/api/v1/me/").status_code == 401


def test_session_auth_works_for_the_browser(login, manager):
    response = login(manager).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["roles"] == ["manager"]


def test_schema_and_docs_are_served(login, supervisor):
    client = login(supervisor)
    schema = client.get(reverse("api_schema"))
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get(reverse("api_docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content.lower()
    # Swagger UI assets come from the sidecar package, not a CDN.
    assert b"cdn.jsdelivr" not in docs.content and b"unpkg.com" not in docs.content
