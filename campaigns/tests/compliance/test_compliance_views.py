"""The compliance report's page, CSV and API: who reads which campaign, the exact JSON shape, no
customer data, bad dates refused clearly, and the plan shape of the statement."""

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.selectors.compliance import RULES, _parameters, report_sql
from campaigns.tests.compliance.test_compliance_report import MONDAY, at, noticed, strict_policy
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.factories_console import past_attempt, ready_list
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SECRET_NAME = "秘密 花子"


@pytest.fixture
def planted(reference_data, client_viewer):
    campaign = CampaignFactory(
        name="外注キャンペーン", policy=strict_policy(), prenotice_days=3, status=Campaign.Status.ACTIVE
    )
    campaign.client_viewers.add(client_viewer)
    call_list = ready_list(campaign)
    one = noticed(call_list, customer=CustomerFactory(name=SECRET_NAME, phone="+819012345678"))
    night = past_attempt(entry=one, at=at(0, 21), attempt_number=1)
    past_attempt(entry=one, at=at(1, 10), attempt_number=2)
    return campaign, night


def query(first=MONDAY, last=MONDAY + dt.timedelta(days=6)):
    return {"from": first.isoformat(), "to": last.isoformat()}


def test_the_api_answers_exactly_the_documented_shape(planted, api_as, supervisor):
    campaign, night = planted
    response = api_as(supervisor).get(f"/api/v1/campaigns/{campaign.pk}/compliance/", query())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"campaign", "from", "to", "attempts_checked", "rules"}
    assert (body["campaign"], body["from"], body["to"], body["attempts_checked"]) == (
        campaign.pk,
        MONDAY.isoformat(),
        (MONDAY + dt.timedelta(days=6)).isoformat(),
        2,
    )
    assert [row["rule"] for row in body["rules"]] == list(RULES)
    assert all(set(row) == {"rule", "violations", "examples"} for row in body["rules"])
    window = next(row for row in body["rules"] if row["rule"] == "window")
    assert window == {"rule": "window", "violations": 1, "examples": [night.pk]}


def test_a_client_viewer_reads_their_campaigns_report_without_customer_data(planted, api_as, login, client_viewer):
    campaign, night = planted
    elsewhere = CampaignFactory(name="他社キャンペーン")
    api = api_as(client_viewer)
    response = api.get(f"/api/v1/campaigns/{campaign.pk}/compliance/", query())
    assert response.status_code == 200
    assert SECRET_NAME not in response.content.decode() and "12345678" not in response.content.decode()
    assert api.get(f"/api/v1/campaigns/{elsewhere.pk}/compliance/", query()).status_code == 404
    browser = login(client_viewer)
    page = browser.get(reverse("campaigns:compliance_report", args=[campaign.pk]), {"date_from": MONDAY})
    text = page.content.decode()
    assert page.status_code == 200 and f"#{night.pk}" in text
    assert SECRET_NAME not in text and "12345678" not in text
    assert browser.get(reverse("campaigns:compliance_report", args=[elsewhere.pk])).status_code == 404
    index = browser.get(reverse("campaigns:compliance_index")).content.decode()
    assert campaign.name in index and elsewhere.name not in index


def test_an_operator_reads_no_report(planted, api_as, login, operator):
    campaign, _night = planted
    assert api_as(operator).get(f"/api/v1/campaigns/{campaign.pk}/compliance/").status_code == 403
    assert login(operator).get(reverse("campaigns:compliance_index")).status_code == 403


def test_bad_dates_are_refused_clearly(planted, api_as, login, supervisor):
    campaign, _night = planted
    api = api_as(supervisor)
    wrong = api.get(f"/api/v1/campaigns/{campaign.pk}/compliance/", {"from": "2026-13-01"})
    assert wrong.status_code == 400 and "from" in wrong.content.decode()
    backwards = api.get(f"/api/v1/campaigns/{campaign.pk}/compliance/", {"from": "2026-11-20", "to": "2026-11-10"})
    assert backwards.status_code == 400
    page = login(supervisor).get(
        reverse("campaigns:compliance_report", args=[campaign.pk]), {"date_from": "2026-11-20", "date_to": "2026-11-10"}
    )
    assert page.status_code == 200 and 'data-testid="compliance-errors"' in page.content.decode()


def test_the_csv_has_one_row_per_rule_and_is_audited(planted, login, supervisor):
    from callcenter.models import AuditEvent

    campaign, night = planted
    response = login(supervisor).get(
        reverse("campaigns:compliance_csv", args=[campaign.pk]),
        {"date_from": MONDAY.isoformat(), "date_to": (MONDAY + dt.timedelta(days=6)).isoformat()},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == list(RULES)
    window = next(row for row in rows[1:] if row[3] == "window")
    assert window[4:] == ["2", "1", str(night.pk)]
    assert AuditEvent.objects.filter(action="export.compliance", object_id=str(campaign.pk)).exists()


def test_the_statement_has_no_window_over_the_attempts_nor_probes_per_attempt(planted):
    """The plan shape that keeps the report linear at millions of attempts: each attempt is judged
    on its own stored facts (no window over the attempts), aggregated into the groups
    of (version, local date); the registry, refusals and notices are joined as sets, never probed
    once per attempt (no correlated SubPlan)."""
    campaign, _night = planted
    params = _parameters(campaign, at(0, 0), at(7, 0))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + report_sql(params["terms"]), params)
        plan = [row[0] for row in cursor.fetchall()]
    text = "\n".join(plan)
    assert "WindowAgg" not in text, text
    subplans = set(re.findall(r"^\s*SubPlan (\d+)$", text, re.M))
    hashed = set(re.findall(r"hashed SubPlan (\d+)", text))
    assert subplans <= hashed, text
