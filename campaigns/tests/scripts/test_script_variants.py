"""Talk script variants: the service rules, the campaign page, the API, the roles, that the
console follows what supervisors set, and the demo data that uses the scripts."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from callcenter.models import AuditEvent
from campaigns.models import CallAttempt, Campaign, CampaignScriptVariant
from campaigns.services import script_variants as services
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory
from campaigns.tests.factories_console import entry, ready_list, working_campaign
from conftest import race
from contacts.tests.factories import CustomerFactory, SegmentFactory
from scripts import services as script_services
from scripts.tests.factories import branching_script

pytestmark = pytest.mark.django_db

HEAVY = {"match": "all", "rules": [{"field": "purchase_count", "op": "gte", "value": 10}]}
NEW = {"match": "all", "rules": [{"field": "purchase_count", "op": "lte", "value": 1}]}


@pytest.fixture
def scripts(reference_data):
    return {
        "default": branching_script(name="標準"),
        "heavy": branching_script(name="ヘビーユーザー向け"),
        "newcomer": branching_script(name="新規購入者向け"),
    }


@pytest.fixture
def campaign(scripts):
    return CampaignFactory(script=scripts["default"].script)


@pytest.fixture
def heavy_segment():
    return SegmentFactory(name="ヘビー", criteria=HEAVY)


@pytest.fixture
def new_segment():
    return SegmentFactory(name="新規", criteria=NEW)


def order_of(campaign):
    return list(campaign.script_variants.order_by("position").values_list("segment__name", "position"))


# ------------------------------------------------------------------ service rules


def test_add_appends_in_order_and_is_audited(campaign, scripts, heavy_segment, new_segment, supervisor):
    first = services.add_variant(
        campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor
    )
    second = services.add_variant(
        campaign=campaign, segment=new_segment, script=scripts["newcomer"].script, by=supervisor
    )
    assert (first.position, second.position) == (1, 2)
    event = AuditEvent.objects.filter(action="campaign.script_variant_added").order_by("id").first()
    assert event.actor == supervisor and event.object_id == str(campaign.pk)
    assert "ヘビー → ヘビーユーザー向け" in event.summary


def test_the_same_segment_twice_is_refused(campaign, scripts, heavy_segment, supervisor):
    services.add_variant(campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor)
    with pytest.raises(ValidationError) as refused:
        services.add_variant(campaign=campaign, segment=heavy_segment, script=scripts["newcomer"].script, by=supervisor)
    assert "ヘビー" in refused.value.message_dict["segment"][0]
    assert campaign.script_variants.count() == 1


def test_the_same_segment_may_serve_two_campaigns(campaign, scripts, heavy_segment, supervisor):
    other = CampaignFactory(script=scripts["default"].script)
    services.add_variant(campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor)
    services.add_variant(campaign=other, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor)
    assert CampaignScriptVariant.objects.filter(segment=heavy_segment).count() == 2


def test_a_finished_campaign_cannot_be_changed(scripts, heavy_segment, supervisor):
    finished = CampaignFactory(script=scripts["default"].script, status=Campaign.Status.FINISHED)
    with translation.override("en"), pytest.raises(ValidationError, match="finished campaign cannot be changed"):
        services.add_variant(campaign=finished, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor)
    assert not finished.script_variants.exists()


def test_move_swaps_neighbours_and_stops_at_the_edges(campaign, scripts, heavy_segment, new_segment, supervisor):
    third_segment = SegmentFactory(name="三番目")
    heavy = services.add_variant(
        campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor
    )
    services.add_variant(campaign=campaign, segment=new_segment, script=scripts["newcomer"].script, by=supervisor)
    services.add_variant(campaign=campaign, segment=third_segment, script=scripts["heavy"].script, by=supervisor)
    services.move_variant(variant=heavy, direction="down", by=supervisor)
    assert order_of(campaign) == [("新規", 1), ("ヘビー", 2), ("三番目", 3)]
    services.move_variant(variant=heavy, direction="up", by=supervisor)
    services.move_variant(variant=heavy, direction="up", by=supervisor)  # already first: stays
    assert order_of(campaign) == [("ヘビー", 1), ("新規", 2), ("三番目", 3)]
    with pytest.raises(ValidationError):
        services.move_variant(variant=heavy, direction="sideways", by=supervisor)
    assert AuditEvent.objects.filter(action="campaign.script_variant_moved").count() == 2


def test_remove_renumbers_and_a_second_remove_is_reported(campaign, scripts, heavy_segment, new_segment, supervisor):
    heavy = services.add_variant(
        campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor
    )
    services.add_variant(campaign=campaign, segment=new_segment, script=scripts["newcomer"].script, by=supervisor)
    services.remove_variant(variant=heavy, by=supervisor)
    assert order_of(campaign) == [("新規", 1)]
    with pytest.raises(services.VariantGone):
        services.remove_variant(variant=heavy, by=supervisor)
    event = AuditEvent.objects.get(action="campaign.script_variant_removed")
    assert event.data["segment"] == heavy_segment.pk and event.actor == supervisor


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_adding_the_same_segment_at_once_map_it_once(reference_data, supervisor):
    """The campaign row lock serializes them: one wins, the other gets the clear refusal."""
    script = branching_script(name="並行テスト")
    campaign = CampaignFactory(script=script.script)
    segment = SegmentFactory(name="並行", criteria=HEAVY)

    def add():
        try:
            services.add_variant(campaign=campaign, segment=segment, script=script.script, by=supervisor)
            return "added"
        except ValidationError:
            return "refused"

    outcomes = race([add] * 4)
    assert sorted(outcomes) == ["added", "refused", "refused", "refused"]
    assert list(campaign.script_variants.values_list("position", flat=True)) == [1]


# ------------------------------------------------------------------ the console follows them


@pytest.fixture
def dialable(operator, scripts):
    policy = CallingPolicyFactory(call_window_start=dt.time(0), call_window_end=dt.time(0))
    campaign = working_campaign(operators=[operator], policy=policy, script=scripts["default"].script)
    return campaign, ready_list(campaign)


def next_call_version(api_as, operator):
    response = api_as(operator).post("/api/v1/dispatch/next/")
    assert response.status_code == 200, response.content
    return response.json()["script_version"]


def test_dispatch_follows_a_variant_added_through_the_api(
    api_as, supervisor, operator, dialable, scripts, heavy_segment
):
    campaign, call_list = dialable
    heavy_customer = entry(call_list, customer=CustomerFactory(purchase_count=25))
    response = api_as(supervisor).post(
        f"/api/v1/campaigns/{campaign.pk}/script-variants/",
        {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert next_call_version(api_as, operator) == scripts["heavy"].pk
    heavy_customer.refresh_from_db()
    assert heavy_customer.held_by == operator


def test_dispatch_falls_back_to_the_default_after_the_variant_is_deleted_in_the_ui(
    login, api_as, supervisor, operator, dialable, scripts, heavy_segment
):
    campaign, call_list = dialable
    entry(call_list, customer=CustomerFactory(purchase_count=25))
    client = login(supervisor)
    client.post(
        reverse("campaigns:script_variant_add", args=[campaign.pk]),
        {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk},
    )
    variant = campaign.script_variants.get()
    client.post(reverse("campaigns:script_variant_delete", args=[campaign.pk, variant.pk]))
    assert not campaign.script_variants.exists()
    assert next_call_version(api_as, operator) == scripts["default"].pk


def test_dispatch_follows_the_order_set_in_the_ui(
    login, api_as, supervisor, operator, dialable, scripts, heavy_segment
):
    campaign, call_list = dialable
    everyone = SegmentFactory(
        name="全員", criteria={"match": "all", "rules": [{"field": "purchase_count", "op": "gte", "value": 0}]}
    )
    entry(call_list, customer=CustomerFactory(purchase_count=25))
    client = login(supervisor)
    add_url = reverse("campaigns:script_variant_add", args=[campaign.pk])
    client.post(add_url, {"segment": everyone.pk, "script": scripts["newcomer"].script.pk})
    client.post(add_url, {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk})
    heavy = campaign.script_variants.get(segment=heavy_segment)
    client.post(reverse("campaigns:script_variant_move", args=[campaign.pk, heavy.pk, "up"]))
    assert next_call_version(api_as, operator) == scripts["heavy"].pk


# ------------------------------------------------------------------ campaign page


def test_page_lists_variants_with_the_default_and_warns_about_unpublished_scripts(
    login, campaign, scripts, heavy_segment, new_segment, supervisor
):
    draft_only = script_services.create_script(name="下書きのみ", by=supervisor)
    services.add_variant(campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor)
    services.add_variant(campaign=campaign, segment=new_segment, script=draft_only, by=supervisor)
    html = login(supervisor).get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content.decode()
    card = html[html.index('id="script-variants"') :]
    assert card.index("ヘビー") < card.index("新規") < card.index('data-testid="variant-default"')
    assert card.count('data-testid="variant-unpublished"') == 1
    assert "下書きのみ (no published version)" in card or "下書きのみ（公開版なし）" in card
    assert 'data-confirm="' in card


def test_page_add_with_an_already_mapped_segment_shows_the_error_and_keeps_the_choice(
    login, campaign, scripts, heavy_segment, supervisor
):
    services.add_variant(campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor)
    response = login(supervisor).post(
        reverse("campaigns:script_variant_add", args=[campaign.pk]),
        {"segment": heavy_segment.pk, "script": scripts["newcomer"].script.pk},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is-invalid" in html and "ヘビー" in html
    assert f'value="{scripts["newcomer"].script.pk}" selected' in html
    assert campaign.script_variants.count() == 1


def test_page_add_without_choices_is_a_form_error(login, campaign, supervisor):
    response = login(supervisor).post(reverse("campaigns:script_variant_add", args=[campaign.pk]), {})
    assert response.status_code == 400
    assert response.content.decode().count("invalid-feedback") == 2


def test_stale_move_or_delete_gets_a_message_not_an_error(login, campaign, scripts, heavy_segment, supervisor):
    variant = services.add_variant(
        campaign=campaign, segment=heavy_segment, script=scripts["heavy"].script, by=supervisor
    )
    client = login(supervisor)
    services.remove_variant(variant=variant, by=supervisor)
    for url in (
        reverse("campaigns:script_variant_delete", args=[campaign.pk, variant.pk]),
        reverse("campaigns:script_variant_move", args=[campaign.pk, variant.pk, "up"]),
    ):
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert any("no longer exists" in str(m) or "既に" in str(m) for m in response.context["messages"])


def test_page_actions_are_for_supervisors_only(
    login, client, campaign, scripts, heavy_segment, operator, manager, supervisor
):
    add_url = reverse("campaigns:script_variant_add", args=[campaign.pk])
    body = {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk}
    for user in (operator, manager):
        assert login(user).post(add_url, body).status_code == 403
    assert not campaign.script_variants.exists()
    assert login(supervisor).get(add_url).status_code == 405


# ------------------------------------------------------------------ API


def test_api_list_add_and_delete(api_as, campaign, scripts, heavy_segment, new_segment, supervisor):
    client = api_as(supervisor)
    url = f"/api/v1/campaigns/{campaign.pk}/script-variants/"
    assert client.get(url).json() == []
    first = client.post(url, {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk}, format="json").json()
    assert first | {"id": 0} == {
        "id": 0,
        "position": 1,
        "segment": heavy_segment.pk,
        "segment_name": "ヘビー",
        "script": scripts["heavy"].script.pk,
        "script_name": "ヘビーユーザー向け",
        "published_version": scripts["heavy"].pk,
        "published_version_number": 1,
    }
    draft_only = script_services.create_script(name="下書きのみ", by=supervisor)
    second = client.post(url, {"segment": new_segment.pk, "script": draft_only.pk}, format="json").json()
    assert (second["position"], second["published_version"]) == (2, None)
    assert [v["segment_name"] for v in client.get(url).json()] == ["ヘビー", "新規"]
    assert client.delete(f"{url}{first['id']}/").status_code == 204
    assert client.delete(f"{url}{first['id']}/").status_code == 404
    assert [(v["segment_name"], v["position"]) for v in client.get(url).json()] == [("新規", 1)]


def test_api_errors(api_as, campaign, scripts, heavy_segment, supervisor):
    client = api_as(supervisor)
    url = f"/api/v1/campaigns/{campaign.pk}/script-variants/"
    assert (
        client.post(url, {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk}, format="json").status_code
        == 201
    )
    duplicate = client.post(url, {"segment": heavy_segment.pk, "script": scripts["newcomer"].script.pk}, format="json")
    assert duplicate.status_code == 400 and "segment" in duplicate.json()["errors"]
    missing = client.post(url, {"segment": 999999}, format="json")
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"segment", "script"}
    assert client.get("/api/v1/campaigns/999999/script-variants/").status_code == 404
    other = CampaignFactory()
    variant = campaign.script_variants.get()
    assert client.delete(f"/api/v1/campaigns/{other.pk}/script-variants/{variant.pk}/").status_code == 404
    finished = CampaignFactory(status=Campaign.Status.FINISHED)
    refused = client.post(
        f"/api/v1/campaigns/{finished.pk}/script-variants/",
        {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["errors"]["non_field_errors"]


def test_api_roles(api_client, api_as, campaign, scripts, heavy_segment, operator, manager, client_viewer):
    url = f"/api/v1/campaigns/{campaign.pk}/script-variants/"
    body = {"segment": heavy_segment.pk, "script": scripts["heavy"].script.pk}
    assert api_client.get(url).status_code == 401
    assert api_as(manager).get(url).status_code == 200
    assert api_as(manager).post(url, body, format="json").status_code == 403
    for user in (operator, client_viewer):
        assert api_as(user).get(url).status_code == 403
        assert api_as(user).post(url, body, format="json").status_code == 403
    assert not campaign.script_variants.exists()


def test_api_is_in_the_openapi_schema(api_as, supervisor):
    schema = api_as(supervisor).get("/api/schema/", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/campaigns/{id}/script-variants/"])
    assert "delete" in schema["paths"]["/api/v1/campaigns/{id}/script-variants/{variant_pk}/"]


# ------------------------------------------------------------------ demo


def test_demo_gives_attempts_the_chosen_script_with_valid_answers_once(reference_data, supervisor, operator, operator2):
    from campaigns.demo import history as demo_history
    from campaigns.demo import scripts as demo_scripts
    from campaigns.selectors import script_reports
    from scripts import demo as script_demo
    from scripts.models import Script
    from scripts.services.answers import validate_answers

    script_demo.seed(users={"supervisor": supervisor})
    users = {"supervisor": supervisor, "operator1": operator, "operator2": operator2}
    campaign_name, segment_name, heavy_name = demo_scripts.VARIANTS[0]
    policy = CallingPolicyFactory()
    dormant = working_campaign(
        operators=[operator, operator2],
        policy=policy,
        name=campaign_name,
        script=Script.objects.get(name=script_demo.DORMANT),
    )
    survey = working_campaign(
        operators=[operator, operator2],
        policy=policy,
        status=Campaign.Status.FINISHED,
        script=Script.objects.get(name=script_demo.SURVEY),
    )
    SegmentFactory(
        name=segment_name, criteria={"match": "all", "rules": [{"field": "total_spent", "op": "gte", "value": 100000}]}
    )
    customers = [CustomerFactory(total_spent=150000 if index % 3 == 0 else 20000) for index in range(150)]
    for campaign, people in ((dormant, customers[:120]), (survey, customers[60:])):
        call_list = ready_list(campaign)
        for rank, customer in enumerate(people, start=1):
            entry(call_list, customer=customer, rank=rank)
    demo_history.seed(users=users, stdout=io.StringIO())

    demo_scripts.seed(users=users, stdout=io.StringIO())
    snapshot = list(CallAttempt.objects.order_by("id").values_list("id", "script_version", "answers"))
    out = io.StringIO()
    demo_scripts.seed(users=users, stdout=out)
    assert "0 script variant(s) added, 0 demo attempts" in out.getvalue()
    assert list(CallAttempt.objects.order_by("id").values_list("id", "script_version", "answers")) == snapshot
    assert dormant.script_variants.get().script.name == heavy_name

    attempts = CallAttempt.objects.select_related("script_version__script", "customer", "disposition")
    assert attempts.exists() and not attempts.filter(script_version__isnull=True).exists()
    for attempt in attempts:
        expected = (
            heavy_name
            if attempt.campaign_id == dormant.pk and attempt.customer.total_spent >= 100000
            else script_demo.DORMANT
            if attempt.campaign_id == dormant.pk
            else script_demo.SURVEY
        )
        assert attempt.script_version.script.name == expected
        assert (
            validate_answers(
                version=attempt.script_version,
                answers=attempt.answers,
                disposition=attempt.disposition,
                customer=attempt.customer,
            )
            == []
        )
        if attempt.disposition.code == "success":
            assert attempt.answers, attempt.disposition.code
        if not attempt.disposition.is_contact:
            assert attempt.answers == {}
    survey_rows = script_reports.survey_attempts(campaign=survey)
    assert survey_rows.count() == survey.attempts.filter(disposition__code__in=["success", "callback"]).count() > 0
    versions = {row["script_version_id"] for row in script_reports.version_kpis(campaign=dormant)}
    assert len(versions) == 2
