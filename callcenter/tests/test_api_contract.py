"""The OpenAPI schema states what the server does, and the server does what the schema states:
nullable fields, status codes, error bodies, content types, constraints (test_schema_fuzz.py
checks the same against generated requests; these name the cases one by one)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

ERROR = {"$ref": "#/components/schemas/Error"}
VALIDATION_ERROR = {"$ref": "#/components/schemas/ValidationError"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema, name):
    return schema["components"]["schemas"][name]


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


# ---------------------------------------------------------------- the schema


@pytest.mark.parametrize(
    "component, field",
    [
        ("DoNotCall", "revoked_by"),
        ("DoNotCall", "created_by"),
        ("CallListEntry", "last_disposition"),
        ("VersionSummary", "published_by"),
        ("VersionDetail", "published_by"),
        ("VersionDetail", "start"),
        ("Step", "next"),
        ("Choice", "next"),
    ],
)
def test_fields_that_are_null_in_responses_are_declared_nullable(schema, component, field):
    assert _component(schema, component)["properties"][field]["nullable"] is True


def test_calling_hours_are_hh_mm_in_and_out(schema):
    for component in ("Policy", "PolicyRequest", "PatchedPolicyRequest"):
        for field in ("call_window_start", "call_window_end"):
            declared = _component(schema, component)["properties"][field]
            assert declared["type"] == "string" and "format" not in declared
            assert declared["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"


def test_operations_that_create_declare_201(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/scripts/{id}/draft/"]["post"]["responses"]) >= {"200", "201"}
    imported = paths["/api/v1/scripts/import/"]["post"]["responses"]
    assert "201" in imported and "200" not in imported


def test_bodies_are_json_and_the_upload_is_a_binary_file(schema):
    upload = schema["paths"]["/api/v1/imports/"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    assert _component(schema, "ImportUploadRequest")["properties"]["file"] == {"type": "string", "format": "binary"}
    assert upload["multipart/form-data"]["encoding"] == {"mapping": {"contentType": "application/json"}}
    for name, operation in _operations(schema):
        if "requestBody" in operation and name != "POST /api/v1/imports/":
            assert list(operation["requestBody"]["content"]) == ["application/json"], name


def test_every_operation_documents_its_errors_with_the_error_bodies(schema):
    for name, operation in _operations(schema):
        responses = operation["responses"]
        assert "401" in responses or name == "POST /api/v1/auth/token/", name
        if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in responses, name
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, name
        for code, response in responses.items():
            if code >= "400":
                body = response["content"]["application/json"]["schema"]
                if name.endswith(("/activate/", "/pause/", "/finish/")) and "campaigns" in name and code == "409":
                    body = schema["components"]["schemas"][body["$ref"].split("/")[-1]]
                    assert {"detail", "problems"} <= set(body["properties"]), name  # with the reasons
                elif "/entries/" in name and name.startswith("POST /api/v1/lists/") and code == "409":
                    body = schema["components"]["schemas"][body["$ref"].split("/")[-1]]
                    assert {"detail", "reason"} <= set(body["properties"]), name  # the exclusion rule that refused
                else:
                    assert body == ({"oneOf": [VALIDATION_ERROR, ERROR]} if code == "400" else ERROR), (name, code)


def test_conflicts_are_documented_where_they_happen(schema):
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/dnc/{id}/revoke/", "post"),
        ("/api/v1/scripts/{id}/publish/", "post"),
        ("/api/v1/scripts/{id}/export/", "get"),
        ("/api/v1/campaigns/{id}/lists/", "post"),
        ("/api/v1/lists/{id}/recycle/", "post"),
        ("/api/v1/lists/{id}/close/", "post"),
        ("/api/v1/attempts/", "post"),
    ]:
        assert "409" in paths[path][method]["responses"], path


def test_throttled_operations_document_their_429(schema):
    paths = schema["paths"]
    for path, method in [("/api/v1/customers/", "get"), ("/api/v1/auth/token/", "post")]:
        assert "Retry-After" in paths[path][method]["responses"]["429"]["headers"], path
    assert "429" not in paths["/api/v1/customers/{id}/"]["get"]["responses"]  # not a list: not counted


def test_query_filters_are_declared_with_their_values(schema):
    def parameters(path):
        return {p["name"]: p for p in schema["paths"][path]["get"].get("parameters", [])}

    assert parameters("/api/v1/lists/{id}/entries/")["status"]["schema"]["enum"]
    assert parameters("/api/v1/campaigns/")["status"]["schema"]["enum"]
    assert parameters("/api/v1/dispositions/")["active"]["schema"]["type"] == "boolean"
    survey = parameters("/api/v1/campaigns/{id}/survey-results/")
    assert sorted(survey["include"]["schema"]["enum"]) == ["all", "answered"]
    assert survey["from"]["schema"] == {"type": "string", "format": "date"}
    assert parameters("/api/v1/dnc/")["customer"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters("/api/v1/customers/{id}/")["id"]["schema"]["minimum"] == 1


def test_constraints_the_serializers_enforce_are_stated(schema):
    policy = _component(schema, "PolicyRequest")["properties"]
    assert policy["weekdays"]["minItems"] == 1
    for component, field in [("PolicyRequest", "name"), ("SegmentRequest", "name"), ("RevokeRequest", "reason")]:
        declared = _component(schema, component)["properties"][field]
        assert declared["minLength"] == 1 and declared["pattern"] == r"\S", (component, field)
    assert _component(schema, "DoNotCallRequest")["properties"]["customer"]["minimum"] == 1
    assert _component(schema, "RenewRequest")["properties"]["entry"]["minimum"] == 1
    assert _component(schema, "CampaignRequest")["properties"]["starts_on"]["format"] == "date"
    assert _component(schema, "CustomerRequest")["properties"]["attributes"]["type"] == "object"


# ---------------------------------------------------------------- the server keeps to it


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["09:00:00", "9:00", "24:00", "0900"])
def test_calling_hours_other_than_hh_mm_are_refused(api_as, supervisor, value):
    body = {"name": "p", "call_window_start": value, "call_window_end": "18:00", "weekdays": [0]}
    response = api_as(supervisor).post("/api/v1/policies/", body, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["call_window_start"]


@pytest.mark.django_db
def test_calling_hours_come_back_as_they_went_in(api_as, supervisor):
    body = {"name": "p", "call_window_start": "09:30", "call_window_end": "18:00", "weekdays": [0]}
    response = api_as(supervisor).post("/api/v1/policies/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["call_window_start"], response.json()["call_window_end"]) == ("09:30", "18:00")


@pytest.mark.django_db
def test_survey_results_refuse_an_unknown_include(api_as, supervisor):
    from campaigns.tests.factories import CampaignFactory

    url = f"/api/v1/campaigns/{CampaignFactory().pk}/survey-results/"
    client = api_as(supervisor)
    assert client.get(url, {"include": "everything"}).json()["errors"].keys() == {"include"}
    for include in ("answered", "all", ""):
        assert client.get(url, {"include": include}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, url",
    [
        ("post", "/api/v1/dnc/abc/revoke/"),
        ("get", "/api/v1/customers/null,null/"),
        ("get", "/api/v1/imports/abc/errors.csv"),
        ("get", "/api/v1/policies/x%0A/"),
    ],
)
def test_a_path_whose_id_is_not_a_number_is_a_json_404(api_as, supervisor, method, url):
    response = getattr(api_as(supervisor), method)(url)
    assert response.status_code == 404 and set(response.json()) == {"detail"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/dnc/?customer=0", "customer"),
        ("/api/v1/dnc/?customer=%C2%B2", "customer"),  # "²" passes str.isdigit() and not int()
        ("/api/v1/dnc/?campaign=%C2%B2", "campaign"),
        ("/api/v1/customers/?segment=0", "segment"),
        ("/api/v1/script-kpis/?campaign=%C2%B2", "campaign"),
        ("/api/v1/dispositions/?active=maybe", "active"),
    ],
)
def test_ids_and_flags_in_the_query_are_checked(api_as, supervisor, url, field):
    response = api_as(supervisor).get(url)
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]


@pytest.mark.django_db
def test_a_version_or_script_id_that_is_not_ascii_digits_is_a_400(api_as, supervisor):
    from scripts.tests.factories import branching_script

    version = branching_script(by=supervisor)
    client = api_as(supervisor)
    assert client.get(f"/api/v1/scripts/{version.script_id}/export/?version=%C2%B2").status_code == 400
    assert client.post("/api/v1/scripts/import/?into=%C2%B2", {}, format="json").status_code == 400


@pytest.mark.django_db
def test_an_empty_optional_query_parameter_counts_as_not_given(api_as, supervisor):
    client = api_as(supervisor)
    for url in (
        "/api/v1/dnc/?customer=&campaign=&active=",
        "/api/v1/kpis/?from=&to=&campaign=",
        "/api/v1/customers/?page=",
    ):
        assert client.get(url).status_code == 200, url
