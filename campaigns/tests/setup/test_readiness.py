"""The readiness checklist: what blocks a campaign from going live and what only warns, one
check per function; the campaign page shows it, and who paused or finished the campaign."""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns.models import CallList, OperatorProfile
from campaigns.services import readiness
from campaigns.services.campaigns import CampaignStateError, activate_campaign, pause_campaign
from campaigns.tests.factories import (
    CallListEntryFactory,
    CallListFactory,
    CampaignFactory,
    make_ready_to_go,
    published_script,
)
from scripts.tests.factories import ScriptFactory

pytestmark = pytest.mark.django_db
WEDNESDAY = dt.date(2026, 11, 25)


def items(campaign, today=WEDNESDAY):
    return {item.code: item for item in readiness.checklist(campaign, today=today)}


@pytest.fixture
def ready(operator, reference_data):
    campaign = CampaignFactory(operators=[operator])
    make_ready_to_go(campaign)
    return campaign


def test_a_ready_campaign_passes_every_check(ready):
    found = items(ready)
    assert set(found) == {"policy", "call_list", "operators", "script", "costs", "calling_hours"}
    assert all(item.ok for item in found.values()), found
    assert readiness.blocking_problems(ready, today=WEDNESDAY) == []


def test_a_built_list_with_nobody_to_call_blocks(operator, reference_data):
    campaign = CampaignFactory(operators=[operator], script=published_script())
    CallListFactory(campaign=campaign)
    item = items(campaign)["call_list"]
    assert not item.ok and item.blocking
    assert "誰もいません" in item.detail
    CallListEntryFactory(call_list=CallListFactory(campaign=campaign, status=CallList.Status.BUILDING))
    assert not items(campaign)["call_list"].ok  # a list still building does not count


def test_operators_without_the_skill_a_list_needs_block(ready, operator):
    CallList.objects.filter(campaign=ready).update(required_skill="英語")
    item = items(ready)["operators"]
    assert not item.ok and item.blocking and "リスト" in item.detail
    OperatorProfile.objects.update_or_create(user=operator, defaults={"skills": ["英語"]})
    assert items(ready)["operators"].ok


def test_no_script_or_an_unpublished_one_blocks(ready):
    ready.script = None
    assert not items(ready)["script"].ok
    ready.script = ScriptFactory(name="下書きだけ")
    item = items(ready)["script"]
    assert not item.ok and item.blocking and "下書きだけ" in item.detail
    with pytest.raises(CampaignStateError) as refused:
        ready.save()
        activate_campaign(campaign=ready, by=None)
    assert any("公開" in problem for problem in refused.value.problems)


def test_zero_costs_only_warn_and_a_missing_disclosure_step_blocks(ready, supervisor):
    ready.cost_per_hour = ready.cost_per_minute = ready.fixed_cost = 0
    ready.policy.disclosure_required = True
    ready.policy.save()
    ready.script = ScriptFactory(name="開示なし")
    ready.save()
    from scripts.models import ScriptVersion
    from scripts.tests.factories import ScriptVersionFactory

    ScriptVersionFactory(script=ready.script, status=ScriptVersion.Status.PUBLISHED)
    found = items(ready)
    assert not found["costs"].ok and not found["costs"].blocking
    assert not found["disclosure"].ok and found["disclosure"].blocking
    with pytest.raises(CampaignStateError):
        activate_campaign(campaign=ready, by=supervisor)
    ready.policy.disclosure_required = False
    ready.policy.save()
    assert activate_campaign(campaign=ready, by=supervisor).status == "active"


def test_a_day_without_calls_today_warns_with_its_reason(ready):
    policy = ready.policy
    policy.skip_holidays, policy.holiday_country = True, "JP"
    policy.save()
    new_year = items(ready, today=dt.date(2027, 1, 1))["calling_hours"]
    assert not new_year.ok and not new_year.blocking and "元日" in new_year.detail
    assert items(ready)["calling_hours"].ok


def test_a_passed_end_date_blocks(ready):
    ready.ends_on = WEDNESDAY - dt.timedelta(days=1)
    item = items(ready)["end_date"]
    assert not item.ok and item.blocking


def test_the_campaign_page_shows_the_checklist_and_who_paused_it(login, supervisor, ready):
    client = login(supervisor)
    page = client.get(reverse("campaigns:campaign_detail", args=[ready.pk])).content.decode()
    assert 'data-testid="readiness"' in page and 'data-testid="readiness-script"' in page
    activate_campaign(campaign=ready, by=supervisor)
    pause_campaign(campaign=ready, by=supervisor, reason="DM到着待ち")
    page = client.get(reverse("campaigns:campaign_detail", args=[ready.pk])).content.decode()
    shown = page[page.index('data-testid="last-status-change"') :][:400]
    assert "キャンペーン一時停止" in shown and supervisor.get_full_name() in shown and "DM到着待ち" in shown


def test_the_api_answers_the_checklist_activation_reads(api_as, supervisor, ready):
    ready.script = None
    ready.save()
    response = api_as(supervisor).get(f"/api/v1/campaigns/{ready.pk}/readiness/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    by_code = {item["code"]: item for item in response.json()}
    assert set(by_code) == set(items(ready))
    assert by_code["script"]["ok"] is False and by_code["script"]["blocking"] is True
    assert by_code["policy"] == {**by_code["policy"], "ok": True, "blocking": True}
    # What the API reports blocking is exactly what activation refuses with.
    refused = api_as(supervisor).post(f"/api/v1/campaigns/{ready.pk}/activate/")
    assert refused.status_code == 409
    blocking = [item["detail"] for item in response.json() if item["blocking"] and not item["ok"]]
    assert len(refused.json()["problems"]) == len(blocking)
