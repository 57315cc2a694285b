import json

import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_then_me_reports_roles(api_client, supervisor):
    from callcenter.signin.testing import authenticator, current_code

    code = current_code(authenticator(supervisor))  # supervisors sign in with two factors
    response = api_client.post(
        "/api/v1/auth/token/", {"username": supervisor.username, "password": PASSWORD, "otp": code}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/").json()
    assert me == {"id": supervisor.id, "username": supervisor.username, "roles": ["supervisor"]}


def test_superuser_has_admin_role(api_as, admin_user):
    assert api_as(admin_user).get("/api/v1/me/").json()["roles"] == ["admin"]


def test_wrong_password_is_400_with_errors_shape(api_client, operator):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": operator.username, "password": "nope"}, format="json"
    )
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
    token = client.get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()["paths"]["/api/v1/auth/token/"][
        "post"
    ]
    assert token["tags"] == ["auth"] and {"200", "429"} <= set(token["responses"])


# ---------------------------------------------------------------- bad input never a 500


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/api/v1/customers/", {"external_id": "N1", "name": "x", "attributes": {"note": "a\u0000b"}}, "attributes"),
        ("/api/v1/customers/", {"external_id": "N1", "name": "x", "attributes": {"\u0000": 1}}, "attributes"),
        (
            "/api/v1/segments/preview/",
            {"criteria": {"rules": [{"field": "prefecture", "op": "eq", "value": "\u0000"}]}},
            "criteria",
        ),
        (
            "/api/v1/segments/preview/",
            {"criteria": {"rules": [{"field": "attributes.k", "op": "eq", "value": "\u0000"}]}},
            "criteria",
        ),
        (
            "/api/v1/policies/",
            {
                "name": "p",
                "call_window_start": "09:00",
                "call_window_end": "18:00",
                "weekdays": [0],
                "retry_delays": {"\u0000": 5},
            },
            "retry_delays",
        ),
        # Python reads 1e400 as infinity, which jsonb refuses.
        ("/api/v1/customers/", {"external_id": "N1", "name": "x", "attributes": {"score": float("inf")}}, "attributes"),
    ],
)
def test_a_nul_character_in_json_is_a_400_naming_the_field(api_as, supervisor, url, body, field):
    """PostgreSQL stores no NUL in text or jsonb: these were database errors (500)."""
    from contacts.models import Customer

    raw = json.dumps(body).replace("Infinity", "1e400")  # what a client sends for a huge float
    response = api_as(supervisor).post(url, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?q=%00",
        "/api/v1/customers/?tag=a%00",
        "/api/v1/dnc/?phone=%00",
        "/api/v1/campaigns/?status=%00",
        "/api/v1/scripts/?q=%00",
    ],
)
def test_a_nul_character_in_the_query_string_is_a_400(api_as, supervisor, url):
    response = api_as(supervisor).get(url)
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_a_nul_character_in_a_page_query_is_a_400_too(login, supervisor):
    assert login(supervisor).get("/contacts/customers/?q=%00").status_code == 400


def test_errors_of_nested_fields_are_flat_lists_of_messages(api_as, supervisor):
    """docs/api.md#conventions: {"errors": {field: [messages]}}; nested serializers and list items gave objects."""
    from campaigns.tests.factories import CallListFactory
    from contacts.models import Customer

    client = api_as(supervisor)
    for phones, prefix in (
        ([{"number": "090-1111-2222"}, {"number": "", "kind": "fax"}], "1."),
        ("090-1111-2222", ""),
        ([1], "0"),
    ):
        response = client.post(
            "/api/v1/customers/", {"external_id": "N1", "name": "x", "phones": phones}, format="json"
        )
        assert response.status_code == 400
        messages = response.json()["errors"]["phones"]
        assert messages and all(isinstance(message, str) and message.startswith(prefix) for message in messages), (
            messages
        )
    assert not Customer.objects.exists()
    with_two_problems = client.post(
        "/api/v1/customers/",
        {"external_id": "N1", "name": "x", "phones": [{"number": "", "kind": "fax"}]},
        format="json",
    )
    assert sorted(m.split(":")[0] for m in with_two_problems.json()["errors"]["phones"]) == ["0.kind", "0.number"]
    call_list = CallListFactory()
    response = client.post(f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["no_answer", ""]}, format="json")
    assert response.status_code == 400
    assert all(message.startswith("1: ") for message in response.json()["errors"]["dispositions"])


@pytest.mark.parametrize(
    "refusal, body",
    [
        ({"name": ["Taken."], "__all__": ["Not both."]}, {"name": ["Taken."], "non_field_errors": ["Not both."]}),
        (["One.", "Two."], {"non_field_errors": ["One.", "Two."]}),
        ("One.", {"non_field_errors": ["One."]}),
    ],
)
def test_a_services_refusal_is_answered_by_the_exception_handler_in_the_serializers_shape(refusal, body):
    """Views let a service's Django ValidationError through: the handler is the one place that
    turns it into the 400 a serializer's own errors get (Django's "__all__" is "non_field_errors")."""
    from django.core.exceptions import ValidationError

    from callcenter.api import exception_handler

    response = exception_handler(ValidationError(refusal), {})
    assert response.status_code == 400 and response.data == {"errors": body}


def test_a_body_past_the_upload_limit_is_a_413_in_the_error_shape(api_as, supervisor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(supervisor).post(
        "/api/v1/segments/", {"name": "x", "criteria": {}, "description": "x" * 2000}, format="json"
    )
    assert response.status_code == 413
    assert set(response.json()) == {"detail"}


def test_an_unknown_api_path_is_a_json_404(api_as, supervisor, api_client):
    for client in (api_as(supervisor), api_client):
        for method in ("get", "post", "delete"):
            response = getattr(client, method)("/api/v1/no-such-thing/42/")
            assert response.status_code == 404 and set(response.json()) == {"detail"}
    # A known route without its trailing slash is still redirected to it.
    response = api_as(supervisor).get("/api/v1/customers", {"page": 1})
    assert response.status_code == 301 and response["Location"] == "/api/v1/customers/?page=1"


@pytest.mark.parametrize("debug", [False, True])
def test_a_write_without_the_trailing_slash_is_redirected_with_its_method(api_as, supervisor, settings, debug):
    """APPEND_SLASH answered it with a 301 (followed as a GET: nothing written), or a 500 with DEBUG."""
    settings.DEBUG = debug
    client = api_as(supervisor)
    response = client.post("/api/v1/segments", {"name": "x", "criteria": {}}, format="json")
    assert response.status_code == 308 and response["Location"] == "/api/v1/segments/"
    response = client.post("/api/v1/segments", {"name": "x", "criteria": {}}, format="json", follow=True)
    assert response.status_code == 201 and response.json()["name"] == "x"


def test_a_locked_out_username_is_told_so_not_that_the_password_is_wrong(api_client, operator, settings):
    url = "/api/v1/auth/token/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            api_client.post(url, {"username": operator.username, "password": "nope"}, format="json").status_code == 400
        )
    # The failure that reaches the limit locks the username: the right password is refused too.
    for password in ("nope", PASSWORD):
        response = api_client.post(url, {"username": operator.username, "password": password}, format="json")
        assert response.status_code == 429 and set(response.json()) == {"detail"}
        assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME * 3600


def test_values_the_database_refuses_are_a_400_whatever_the_encoding(api_as, supervisor):
    """A JSON field sent form-encoded escapes the JSON parser's NUL check: the database refused
    the value (a 500). Any such refusal is a 400 {"detail"}."""
    client = api_as(supervisor)
    criteria = '{"rules": [{"field": "prefecture", "op": "eq", "value": "\\u0000"}]}'
    response = client.post("/api/v1/segments/preview/", {"criteria": criteria})  # multipart form
    assert response.status_code == 400 and set(response.json()) == {"detail"}
    response = client.post("/api/v1/customers/", {"external_id": "F1", "name": "x", "attributes": '{"k": "\\u0000"}'})
    assert response.status_code == 400 and set(response.json()) == {"detail"}
    from contacts.models import Customer

    assert not Customer.objects.exists()


def test_api_errors_are_in_the_callers_language(api_as, supervisor):
    """Every user-facing string in both languages: these API messages were English only."""
    from campaigns.tests.factories import CallListFactory

    client = api_as(supervisor)
    call_list = CallListFactory()
    requests = [
        ("get", "/api/v1/customers/", {"segment": "abc"}, "segment"),
        ("get", "/api/v1/dnc/check/", {}, "phone"),
        ("get", "/api/v1/campaigns/", {"status": "running"}, "status"),
        ("post", f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["nope"]}, "dispositions"),
        ("post", "/api/v1/customers/", {"external_id": "L1", "name": "x", "attributes": [1]}, "attributes"),
        ("post", "/api/v1/scripts/import/?into=x", {}, "into"),
    ]
    for method, url, params, field in requests:
        kwargs = {"format": "json"} if method == "post" else {}
        japanese = getattr(client, method)(url, params, HTTP_ACCEPT_LANGUAGE="ja", **kwargs)
        english = getattr(client, method)(url, params, HTTP_ACCEPT_LANGUAGE="en", **kwargs)
        assert japanese.status_code == english.status_code == 400, (url, japanese.content)
        assert japanese.json()["errors"][field] != english.json()["errors"][field], url
