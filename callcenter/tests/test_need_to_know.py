"""Each role sees what its work needs: operators no campaign costs (nor the cost figures made of
them), client viewers no table their page leaves out, not even as a CSV download."""

import pytest
from django.urls import reverse

from campaigns.services.campaigns import COST_FIELDS
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.factories_kpis import DAY, at, hand_dataset
from campaigns.views.kpis import EXPORTABLE

pytestmark = pytest.mark.django_db
DAY_QUERY = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


def test_operators_get_campaigns_without_their_costs(api_as, operator, supervisor, manager):
    campaign = CampaignFactory(cost_per_hour=1800, cost_per_minute=3, fixed_cost=50000)
    campaign.operators.add(operator)
    as_operator = api_as(operator)
    listed = as_operator.get("/api/v1/campaigns/").json()["results"]
    detail = as_operator.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    for body in (listed[0], detail):
        assert body["name"] == campaign.name
        assert not set(COST_FIELDS) & set(body), body
        assert "1800" not in str(body) and "50000" not in str(body)
    for user in (supervisor, manager):
        body = api_as(user).get(f"/api/v1/campaigns/{campaign.pk}/").json()
        assert float(body["cost_per_hour"]) == 1800 and float(body["fixed_cost"]) == 50000


def test_the_api_schema_still_describes_the_cost_fields(client):
    schema = client.get(reverse("api_schema"), {"format": "json"}).json()
    assert set(COST_FIELDS) <= set(schema["components"]["schemas"]["Campaign"]["properties"])


@pytest.fixture
def kpi_data(reference_data):
    data = hand_dataset()
    refresh_kpi_rollups(now=at(DAY, 23))
    return data


def test_operators_read_their_own_figures_without_costs(kpi_data, api_as, manager):
    query = {"from": DAY.isoformat(), "to": DAY.isoformat(), "compare": "true"}
    own = api_as(kpi_data.a).get("/api/v1/kpis/", query).json()
    for row in own["rows"] + own["previous"]["rows"]:
        assert row["cost"] is None and row["cpc"] is None
    assert own["rows"][0]["dials"] == 5  # the figures themselves are there
    managed = api_as(manager).get("/api/v1/kpis/", query).json()
    assert managed["rows"][0]["cost"] > 0 and managed["rows"][0]["cpc"] > 0


def test_client_viewers_download_only_the_tables_their_page_shows(kpi_data, client_viewer, manager, login):
    kpi_data.y.client_viewers.add(client_viewer)
    client = login(client_viewer)
    page = client.get(reverse("campaigns:client_kpis"), DAY_QUERY)
    on_page = {table["name"] for table in page.context["tables"] if table["export"]}
    on_page |= {"weekday_hour"} if page.context["heat_maps"] else set()
    assert on_page and not {"segment", "segment_weekday_hour", "operator"} & on_page
    for table in sorted(EXPORTABLE):
        response = client.get(reverse("campaigns:kpi_export", args=[table]), DAY_QUERY)
        assert response.status_code == (200 if table in on_page else 404), table
        if response.status_code == 404:
            assert "KPI segment S" not in response.content.decode()
    # The dashboard's people still download every table.
    as_manager = login(manager)
    for table in sorted(EXPORTABLE):
        assert as_manager.get(reverse("campaigns:kpi_export", args=[table]), DAY_QUERY).status_code == 200, table
