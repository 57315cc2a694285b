"""GET /api/v1/kpis/: the docs/api.md#kpis shape, validation and who may read what."""

import datetime

import pytest
from django.urls import reverse

from campaigns.selectors.kpis.labels import person_name
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories_kpis import DAY, at, hand_dataset

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpis/"
API_ROW = {
    "key",
    "dials",
    "contacts",
    "successes",
    "contact_rate",
    "success_rate",
    "talk_seconds",
    "att",
    "acw",
    "aht",
    "utilization",
    "cost",
    "cpc",
    "cph",
}


@pytest.fixture
def data(reference_data):
    data = hand_dataset()
    refresh_kpi_rollups(now=at(DAY, 23))
    return data


def get(client, **params):
    return client.get(URL, {"from": DAY.isoformat(), "to": DAY.isoformat(), **params})


def test_route_name_and_totals(data, manager, api_as):
    assert reverse("api_kpis") == URL
    response = get(api_as(manager))
    assert response.status_code == 200
    body = response.json()
    assert body["from"] == body["to"] == DAY.isoformat() and body["group_by"] == "none"
    [row] = body["rows"]
    assert set(row) >= API_ROW
    assert row["key"] is None
    assert (row["dials"], row["contacts"], row["successes"], row["talk_seconds"]) == (7, 3, 1, 270)
    assert row["contact_rate"] == pytest.approx(3 / 7) and 0 <= row["success_rate"] <= 1
    assert row["att"] == 90 and row["utilization"] == pytest.approx(0.6)
    assert row["cost"] == 4678.0 and row["cpc"] == round(4678 / 7, 2)
    assert "previous" not in body


@pytest.mark.parametrize(
    "group_by, keys",
    [
        ("day", [DAY.isoformat()]),
        ("hour", [10, 11]),
        ("weekday", [0]),
    ],
)
def test_group_by_time(data, manager, api_as, group_by, keys):
    body = get(api_as(manager), group_by=group_by).json()
    assert [row["key"] for row in body["rows"]] == keys
    assert sum(row["dials"] for row in body["rows"]) == 7


def test_group_by_operator_and_campaign(data, manager, api_as):
    rows = get(api_as(manager), group_by="operator").json()["rows"]
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == {data.a.id, data.b.id, data.c.id}
    assert by_key[data.c.id]["dials"] == 0 and by_key[data.c.id]["contact_rate"] is None
    assert by_key[data.c.id]["utilization"] == 0.0
    assert by_key[data.a.id]["label"] == person_name(data.a)
    rows = get(api_as(manager), group_by="campaign").json()["rows"]
    assert {row["key"]: row["dials"] for row in rows} == {data.x.id: 4, data.y.id: 3}
    assert {row["label"] for row in rows} == {"KPI X", "KPI Y"}


def test_filters_and_previous_period(data, manager, api_as):
    client = api_as(manager)
    [row] = get(client, campaign=data.x.id).json()["rows"]
    assert row["dials"] == 4
    [row] = get(client, operator=data.b.id).json()["rows"]
    assert (row["dials"], row["att"]) == (2, None)
    body = get(client, compare="true").json()
    assert body["previous"]["from"] == body["previous"]["to"] == (DAY - datetime.timedelta(days=1)).isoformat()
    assert body["previous"]["rows"][0]["dials"] == 1


def test_defaults_to_the_last_30_days(data, manager, api_as):
    body = api_as(manager).get(URL).json()
    assert (datetime.date.fromisoformat(body["to"]) - datetime.date.fromisoformat(body["from"])).days == 29


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2025-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2025-06-10", "to": "2025-06-01"}, "to"),
        ({"from": "2020-01-01", "to": "2025-06-01"}, "from"),
        ({"group_by": "customer"}, "group_by"),
        ({"campaign": "x"}, "campaign"),
        # Dates whose period (or the period before it, or its last hour) overflows a date: were a 500.
        ({"to": "0001-01-01"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-05", "compare": "true"}, "from"),
        ({"from": "9999-12-30", "to": "9999-12-31", "group_by": "day"}, "from"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(data, manager, api_as, params, field):
    response = api_as(manager).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_campaign_or_operator_is_404(data, manager, api_as):
    assert get(api_as(manager), campaign=999999).status_code == 404
    assert get(api_as(manager), operator=999999).status_code == 404


def test_anonymous_and_roleless_users(data, api_client, django_user_model, api_as):
    assert api_client.get(URL).status_code == 401
    nobody = django_user_model.objects.create_user("kpi_nobody", password="x")
    assert get(api_as(nobody)).status_code == 403


def test_operator_sees_only_their_own_figures(data, api_as):
    client = api_as(data.b)
    [row] = get(client).json()["rows"]
    assert row["dials"] == 2
    rows = get(client, group_by="operator").json()["rows"]
    assert [row["key"] for row in rows] == [data.b.id]
    rows = get(client, group_by="campaign").json()["rows"]
    assert {row["key"]: row["dials"] for row in rows} == {data.y.id: 2}
    assert get(client, operator=data.a.id).status_code == 403
    assert get(client, operator=data.b.id).status_code == 200


def test_client_viewer_sees_only_its_campaigns(data, client_viewer, api_as):
    data.y.client_viewers.add(client_viewer)
    client = api_as(client_viewer)
    [row] = get(client).json()["rows"]
    assert row["dials"] == 3
    rows = get(client, group_by="campaign").json()["rows"]
    assert [row["key"] for row in rows] == [data.y.id]
    assert get(client, campaign=data.x.id).status_code == 404
    assert get(client, campaign=data.y.id).status_code == 200
    assert get(client, group_by="operator").status_code == 403
    assert get(client, operator=data.a.id).status_code == 403


def test_client_viewer_without_campaigns_sees_nothing(data, client_viewer, api_as):
    [row] = get(api_as(client_viewer)).json()["rows"]
    assert row["dials"] == 0 and row["contact_rate"] is None


def test_schema_documents_the_endpoint(admin_user, api_as):
    schema = api_as(admin_user).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "campaign", "operator", "group_by"}


def test_the_previous_period_keeps_the_callers_scope(data, client_viewer, api_as):
    """?compare=true: the previous period (the Sunday before: A's one call in campaign X) is read
    with the same restrictions as the period itself."""

    def previous_dials(client, **params):
        return {row["key"]: row["dials"] for row in get(client, compare="true", **params).json()["previous"]["rows"]}

    data.y.client_viewers.add(client_viewer)
    assert previous_dials(api_as(client_viewer)) == {None: 0}  # X's call is not theirs
    assert previous_dials(api_as(client_viewer), group_by="campaign") == {}
    assert previous_dials(api_as(data.b), group_by="operator") == {}  # not B's call
    assert previous_dials(api_as(data.a), group_by="operator") == {data.a.id: 1}
