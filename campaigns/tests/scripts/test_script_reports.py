"""Survey results (table, CSV with BOM, API) and results per script version."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CallAttempt, Disposition
from campaigns.selectors.script_reports import version_kpis
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import CustomerFactory
from scripts import services
from scripts.tests.factories import branching_script


def _attempt(campaign, version, code, answers, *, operator=None, minutes_ago=60, customer=None):
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return CallAttempt.objects.create(
        campaign=campaign,
        customer=customer or CustomerFactory(),
        operator=operator,
        phone="+819012345678",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=3),
        disposition=Disposition.objects.get(code=code),
        script_version=version,
        answers=answers,
    )


@pytest.fixture
def survey(reference_data, operator):
    v1 = branching_script(name="調査")
    campaign = CampaignFactory(name="満足度調査 2025", script=v1.script)
    _attempt(
        campaign,
        v1,
        "success",
        {"opening": True, "interest": "yes", "budget": 15000},
        operator=operator,
        customer=CustomerFactory(external_id="C-1", name='山田, "太郎"'),
        minutes_ago=300,
    )
    _attempt(campaign, v1, "refused", {"opening": True, "interest": "no"}, operator=operator, minutes_ago=200)
    _attempt(campaign, v1, "no_answer", {}, operator=operator, minutes_ago=150)
    v2, _ = services.start_draft(script=v1.script, by=None)
    services.update_step(
        step=v2.steps.get(key="interest"),
        values={"title": "ご関心"},
        choices=[
            {"value": "yes", "label": "ある", "next_step": v2.steps.get(key="budget")},
            {"value": "no", "label": "ない", "next_step": v2.steps.get(key="end_refused")},
        ],
        by=None,
    )
    v2 = services.publish_version(version=v2, by=None)
    _attempt(
        campaign,
        v2,
        "success",
        {"opening": True, "interest": "yes", "budget": 5000, "visit": "2025-04-01"},
        operator=operator,
        minutes_ago=100,
    )
    _attempt(
        campaign,
        v2,
        "success",
        {"opening": True, "interest": "yes", "budget": 30000},
        operator=operator,
        minutes_ago=50,
    )
    _attempt(CampaignFactory(), v2, "success", {"opening": True}, minutes_ago=10)  # another campaign
    return campaign, v1, v2


def _csv(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_one_row_per_attempt_one_column_per_question(login, supervisor, survey):
    campaign, v1, v2 = survey
    response = login(supervisor).get(reverse("campaigns:script_survey_csv", args=[campaign.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    header, data = rows[0], rows[1:]
    fixed = 10
    assert header[fixed:] == ["開示", "ご関心", "ご予算", "訪問希望日"]  # newest labels, flow order
    assert len(data) == 4  # answered attempts of this campaign only (no-answer has no answers)
    assert all(len(row) == len(header) for row in data)
    first = dict(zip(header, data[0]))
    assert first[header[3]] == "C-1" and first[header[4]] == '山田, "太郎"'
    assert data[0][fixed:] == ["✓", "はい", "15000", ""]  # v1 labels for a v1 answer
    assert data[1][fixed:] == ["✓", "いいえ", "", ""]
    assert data[2][fixed:] == ["✓", "ある", "5000", "2025-04-01"]  # v2 labels for a v2 answer
    assert [row[9] for row in data] == ["1", "1", "2", "2"]


def test_csv_filters_and_all_attempts(login, supervisor, survey):
    campaign, *_ = survey
    client = login(supervisor)
    everything = _csv(client.get(reverse("campaigns:script_survey_csv", args=[campaign.pk]), {"include": "all"}))
    assert len(everything) == 1 + 5
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    none = _csv(client.get(reverse("campaigns:script_survey_csv", args=[campaign.pk]), {"date_from": tomorrow}))
    assert len(none) == 1  # header only


def test_survey_table_page(login, supervisor, manager, operator, survey):
    campaign, *_ = survey
    url = reverse("campaigns:script_survey_results", args=[campaign.pk])
    page = login(supervisor).get(url).content.decode()
    assert "ご関心" in page and "ある" in page and 'data-testid="survey-csv"' in page
    assert login(manager).get(url).status_code == 200
    assert login(operator).get(url).status_code == 403
    assert login(operator).get(reverse("campaigns:script_survey_csv", args=[campaign.pk])).status_code == 403
    bad = login(supervisor).get(url, {"date_from": "2025-05-02", "date_to": "2025-05-01"})
    assert bad.status_code == 200


def test_version_kpis_side_by_side(survey):
    campaign, v1, v2 = survey
    rows = {row["script_version__number"]: row for row in version_kpis(campaign=campaign)}
    assert (rows[1]["dials"], rows[1]["contacts"], rows[1]["successes"]) == (3, 2, 1)
    assert (rows[2]["dials"], rows[2]["contacts"], rows[2]["successes"]) == (2, 2, 2)
    assert rows[1]["contact_rate"] == pytest.approx(2 / 3) and rows[1]["success_rate"] == pytest.approx(1 / 3)
    assert rows[2]["success_rate"] == 1.0 and rows[2]["is_best"] and not rows[1]["is_best"]
    everywhere = {row["script_version__number"]: row for row in version_kpis(script=v1.script)}
    assert everywhere[2]["dials"] == 3


def test_version_report_page(login, manager, survey):
    campaign, *_ = survey
    page = login(manager).get(reverse("campaigns:script_version_report"), {"campaign": campaign.pk}).content.decode()
    assert "66.7%" in page and "100.0%" in page and "version-chart" in page


def test_api_survey_results_and_kpis(api_as, supervisor, operator, survey):
    campaign, v1, v2 = survey
    api = api_as(supervisor)
    response = api.get(f"/api/v1/campaigns/{campaign.pk}/survey-results/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4 and [c["key"] for c in body["columns"]] == ["opening", "interest", "budget", "visit"]
    assert (
        body["results"][2]["answers"]["interest"] == "ある" and body["results"][2]["raw_answers"]["interest"] == "yes"
    )
    kpis = api.get("/api/v1/script-kpis/", {"campaign": campaign.pk}).json()["rows"]
    assert [(r["version_number"], r["dials"], r["successes"]) for r in kpis] == [(1, 3, 1), (2, 2, 2)]
    assert api.get("/api/v1/script-kpis/", {"from": "2025-13-01"}).status_code == 400
    for far_off in ({"to": "9999-12-31"}, {"from": "9999-12-31", "to": "9999-12-31"}):  # overflowed: a 500
        response = api.get("/api/v1/script-kpis/", far_off)
        assert response.status_code == 400 and set(response.json()["errors"]) <= {"from", "to"}
    assert api.get("/api/v1/script-kpis/", {"campaign": "999999"}).status_code == 400
    assert api_as(operator).get(f"/api/v1/campaigns/{campaign.pk}/survey-results/").status_code == 403


def test_csv_cells_a_spreadsheet_would_run_are_plain_text(login, supervisor, survey):
    campaign, v1, _v2 = survey
    _attempt(
        campaign,
        v1,
        "success",
        {"opening": True, "interest": "yes", "budget": 1},
        operator=supervisor,
        customer=CustomerFactory(external_id="=1+1", name='=HYPERLINK("http://x","y")'),
    )
    rows = _csv(login(supervisor).get(reverse("campaigns:script_survey_csv", args=[campaign.pk])))
    row = next(r for r in rows if "'=1+1" in r)
    assert '\'=HYPERLINK("http://x","y")' in row
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_reports_without_calls_show_their_empty_states(login, supervisor, api_as, reference_data):
    """A campaign whose script has not been used yet: both reports say so instead of an empty grid."""
    campaign = CampaignFactory(script=branching_script(name="未使用").script)
    client = login(supervisor)
    survey_page = client.get(reverse("campaigns:script_survey_results", args=[campaign.pk]))
    assert "この条件に一致するスクリプト回答付きの架電はまだありません。" in survey_page.content.decode()
    version_page = client.get(reverse("campaigns:script_version_report"), {"campaign": campaign.pk})
    assert "この条件でトークスクリプトを使った架電はまだありません。" in version_page.content.decode()
    assert len(_csv(client.get(reverse("campaigns:script_survey_csv", args=[campaign.pk])))) == 1  # header only
    api = api_as(supervisor)
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/survey-results/").json()["count"] == 0
    assert api.get("/api/v1/script-kpis/", {"campaign": campaign.pk}).json()["rows"] == []


def test_client_viewers_see_no_script_pages_reports_or_answers(login, api_as, client_viewer, survey):
    """Survey answers carry customer names and free text: a client viewer gets only KPIs."""
    campaign, v1, _v2 = survey
    client = login(client_viewer)
    for url in (
        reverse("campaigns:script_survey_results", args=[campaign.pk]),
        reverse("campaigns:script_survey_csv", args=[campaign.pk]),
        reverse("campaigns:script_version_report"),
        reverse("scripts:script_list"),
        reverse("scripts:script_detail", args=[v1.script_id]),
        reverse("scripts:version_export", args=[v1.pk]),
    ):
        assert client.get(url).status_code == 403, url
    api = api_as(client_viewer)
    for url in (
        f"/api/v1/campaigns/{campaign.pk}/survey-results/",
        "/api/v1/script-kpis/",
        "/api/v1/scripts/",
        f"/api/v1/scripts/{v1.script_id}/",
        f"/api/v1/scripts/{v1.script_id}/export/",
        f"/api/v1/scripts/{v1.script_id}/rebuttals/",
        f"/api/v1/script-versions/{v1.pk}/",
    ):
        assert api.get(url).status_code == 403, url
