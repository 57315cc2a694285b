"""Presets in one place (page, API, origin recorded), the mandatory disclosure check that guards
activation, and a collections campaign's debts (import, API, paid or broken)."""

import datetime as dt

import pytest
from django.urls import reverse

from callcenter.models import AuditEvent
from campaigns.models import CallingPolicy, CallListEntry, Campaign, Debt
from campaigns.presets import PRESETS
from campaigns.services import debts as debt_services
from campaigns.services.campaigns import activation_problems
from campaigns.services.disclosure import confirm_wording, disclosure_problems
from campaigns.tests.factories_console import entry, japan_standard, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory
from scripts import services as script_services
from scripts.tests.factories import branching_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def sv(supervisor, login):
    return login(supervisor)


# ------------------------------------------------------------------ presets


def test_the_policy_page_shows_the_presets_side_by_side_with_their_sources(sv):
    page = sv.get(reverse("campaigns:policy_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="preset-table"') == 1  # once, in the page (not also in its <title>)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and title.strip().endswith("| Callcenter")
    for key in PRESETS:
        assert f'data-testid="preset-column-{key}"' in page
    assert "貸金業法 Art. 21 (1)(iii)" in page and "特定商取引法 Art. 16" in page
    assert "Regulation F 1006.14(b)(2)(i)" in page


def test_a_policy_created_from_a_preset_records_the_preset_and_its_version(sv):
    form = sv.get(reverse("campaigns:policy_create") + "?preset=japan_collections").content.decode()
    assert 'name="preset_key"' in form and 'value="japan_collections"' in form
    values = PRESETS["japan_collections"]["values"]
    data = {
        "name": "督促（当社）",
        "preset_key": "japan_collections",
        "call_window_start": "08:00",
        "call_window_end": "21:00",
        "weekdays": [0, 1, 2, 3, 4, 5],
        "skip_holidays": "on",
        "holiday_country": "JP",
        "blackout_dates": "12-31 01-02 年末年始\n2026-08-14 お盆休み",
        "max_attempts": values["max_attempts"],
        "max_attempts_per_day": values["max_attempts_per_day"],
        "min_gap_minutes": values["min_gap_minutes"],
        "refusal_scope": "product",
        "no_workplace_calls_rule": "on",
    }
    response = sv.post(reverse("campaigns:policy_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = CallingPolicy.objects.get(name="督促（当社）")
    assert (policy.preset_key, policy.preset_version) == ("japan_collections", PRESETS["japan_collections"]["version"])
    assert policy.no_workplace_calls_rule and not policy.disclosure_required
    assert policy.blackout_dates == [
        {"from": "12-31", "to": "01-02", "label": "年末年始"},
        {"from": "2026-08-14", "to": "2026-08-14", "label": "お盆休み"},
    ]
    edit = sv.get(reverse("campaigns:policy_edit", args=[policy.pk])).content.decode()
    assert 'data-testid="policy-origin"' in edit and "12-31 01-02 年末年始" in edit


def test_a_bad_blackout_line_is_refused_and_the_input_kept(sv):
    response = sv.post(
        reverse("campaigns:policy_create"),
        {
            "name": "x",
            "call_window_start": "09:00",
            "call_window_end": "20:00",
            "weekdays": [0],
            "holiday_country": "JP",
            "blackout_dates": "13-45 月末",
            "max_attempts": 3,
            "max_attempts_per_day": 1,
            "min_gap_minutes": 60,
            "refusal_scope": "product",
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "MM-DD（毎年）" in page and "13-45 月末" in page
    assert not CallingPolicy.objects.filter(name="x").exists()


def test_the_api_lists_the_presets_and_records_a_new_policys_origin(supervisor, api_as):
    client = api_as(supervisor)
    presets = client.get("/api/v1/policies/presets/").json()
    collections = next(p for p in presets if p["key"] == "japan_collections")
    assert collections["values"]["max_attempts_per_day"] == 3 and collections["values"]["call_window_end"] == "21:00"
    assert "貸金業法" in collections["sources"]["no_workplace_calls_rule"]
    body = {**collections["values"], "name": "API 督促", "preset_key": "japan_collections"}
    created = client.post("/api/v1/policies/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["preset_version"] == 1 and created.json()["blackout_dates"] == []
    blackout = client.patch(
        f"/api/v1/policies/{created.json()['id']}/",
        {"blackout_dates": [{"from": "12-29", "to": "01-03", "label": "年末年始"}], "preset_key": "japan_standard"},
        format="json",
    )
    assert blackout.status_code == 200, blackout.json()
    assert blackout.json()["preset_key"] == "japan_collections"  # where a policy came from never changes
    bad = client.patch(
        f"/api/v1/policies/{created.json()['id']}/", {"blackout_dates": [{"from": "2026-13-01"}]}, format="json"
    )
    assert bad.status_code == 400


# ------------------------------------------------------------------ mandatory disclosure


def published(text, *, name="開示テスト", by=None):
    data = branching_export(name)
    data["steps"][0]["text"] = text
    version = script_services.import_script(data=data, by=by)
    return script_services.publish_version(version=version, by=by)


FULL_PLACEHOLDERS = "{{ company.name }}の{{ operator.name }}です。{{ campaign.product }}のご案内（勧誘）のお電話です。"


def disclosure_campaign(operator, version, **fields):
    campaign = working_campaign(
        operators=[operator], policy=japan_standard(disclosure_required=True), script=version.script, **fields
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    campaign.refresh_from_db()
    ready_list(campaign)
    return campaign


def test_activation_needs_every_item_by_placeholder_or_confirmation(operator, supervisor):
    version = published(FULL_PLACEHOLDERS)
    campaign = disclosure_campaign(operator, version, company="ひかり通販", product="健康食品")
    problems = disclosure_problems(campaign)
    assert len(problems) == 1 and "勧誘目的" in problems[0] or "sales call" in problems[0]
    assert problems[0] in activation_problems(campaign)
    confirm_wording(version=version, items=["sales_call"], by=supervisor)
    assert disclosure_problems(campaign) == []
    assert AuditEvent.objects.filter(action="disclosure.confirmed").exists()


def test_a_placeholder_needs_the_campaign_field_it_shows(operator, supervisor):
    version = published(FULL_PLACEHOLDERS)
    campaign = disclosure_campaign(operator, version, company="ひかり通販", product="")
    confirm_wording(version=version, items=["sales_call"], by=supervisor)
    problems = disclosure_problems(campaign)
    assert any("campaign.product" in problem for problem in problems)


def test_every_script_the_campaign_can_show_is_checked(operator, supervisor):
    from campaigns.models import CampaignScriptVariant
    from contacts.tests.factories import SegmentFactory

    good = published(FULL_PLACEHOLDERS)
    confirm_wording(version=good, items=["sales_call"], by=supervisor)
    campaign = disclosure_campaign(operator, good, company="ひかり通販", product="健康食品")
    assert disclosure_problems(campaign) == []
    plain = published("こんにちは、{{ customer.name }}様。", name="名乗りなし")
    CampaignScriptVariant.objects.create(campaign=campaign, segment=SegmentFactory(), script=plain.script)
    problems = disclosure_problems(campaign)
    assert problems and all("名乗りなし" in problem for problem in problems)
    confirm_wording(version=plain, items=["company", "caller", "product", "sales_call"], by=supervisor)
    assert disclosure_problems(campaign) == []


def test_no_script_at_all_cannot_be_activated_and_the_rule_off_asks_nothing(operator):
    campaign = working_campaign(operators=[operator], policy=japan_standard(disclosure_required=True))
    assert disclosure_problems(campaign)
    campaign.policy.disclosure_required = False
    campaign.policy.save()
    assert disclosure_problems(campaign) == []


def test_the_disclosure_page_confirms_wording_and_the_api_reports_it(operator, supervisor, sv, api_as):
    version = published(FULL_PLACEHOLDERS)
    campaign = disclosure_campaign(operator, version, company="ひかり通販", product="健康食品")
    page = sv.get(reverse("campaigns:disclosure_check", args=[campaign.pk])).content.decode()
    assert 'data-testid="disclosure-problems"' in page
    sv.post(reverse("campaigns:disclosure_check", args=[campaign.pk]), {"version": version.pk, "items": ["sales_call"]})
    page = sv.get(reverse("campaigns:disclosure_check", args=[campaign.pk])).content.decode()
    assert 'data-testid="disclosure-ok"' in page
    check = api_as(supervisor).get(f"/api/v1/campaigns/{campaign.pk}/disclosure/").json()
    assert check["required"] and check["problems"] == []
    assert check["scripts"][0]["by_placeholder"] == ["caller", "company", "product"]
    assert check["scripts"][0]["confirmed"] == ["sales_call"]


# ------------------------------------------------------------------ debts


def test_debts_import_updates_and_resolves_promises(operator, supervisor, sv):
    campaign = working_campaign(operators=[operator], policy=japan_standard(), purpose="collections")
    customer = CustomerFactory(external_id="K-1")
    CustomerFactory(external_id="K-2")
    one = entry(ready_list(campaign), customer=customer)
    Debt.objects.create(
        campaign=campaign,
        customer=customer,
        amount_due=1000,
        promise_status=Debt.Promise.OPEN,
        promised_on=dt.date(2026, 12, 20),
    )
    csv = (
        "external_id,amount_due,due_on,account_reference,promise\n"
        'K-1,52000,2026-11-30,ACC-1,paid\nK-2,"12,000",,ACC-2,\nK-9,100,,,\nK-2,abc,,,\n'
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = sv.post(
        reverse("campaigns:debt_list", args=[campaign.pk]),
        {"file": SimpleUploadedFile("debts.csv", csv.encode(), content_type="text/csv")},
    )
    assert response.status_code == 302
    first = Debt.objects.get(campaign=campaign, customer=customer)
    assert first.amount_due == 52000 and first.account_reference == "ACC-1" and first.promise_status == "paid"
    assert Debt.objects.get(campaign=campaign, customer__external_id="K-2").amount_due == 12000
    one.refresh_from_db()
    assert one.status == CallListEntry.Status.DONE
    page = sv.get(reverse("campaigns:debt_list", args=[campaign.pk])).content.decode()
    assert "ACC-2" in page and "K-9" in page  # the unknown customer is reported as a message
    assert "5 行目" in page  # and the unreadable line
    problems = debt_services.parse_debt_csv(csv.encode())[1]
    assert [problem["line"] for problem in problems] == [5]


def test_the_api_saves_debts_and_resolves_a_promise(operator, supervisor, api_as):
    campaign = working_campaign(operators=[operator], policy=japan_standard(), purpose="collections")
    customer = CustomerFactory(external_id="K-7")
    client = api_as(supervisor)
    created = client.post(
        f"/api/v1/campaigns/{campaign.pk}/debts/",
        {"customer": "K-7", "amount_due": "30000", "due_on": "2026-12-10", "account_reference": "ACC-7"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    debt_id = created.json()["id"]
    assert client.post(f"/api/v1/debts/{debt_id}/promise/", {"status": "broken"}).status_code == 409
    Debt.objects.filter(pk=debt_id).update(promise_status=Debt.Promise.OPEN, promised_on=dt.date(2026, 12, 12))
    resolved = client.post(f"/api/v1/debts/{debt_id}/promise/", {"status": "broken"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["promise_status"] == "broken"
    listed = client.get(f"/api/v1/campaigns/{campaign.pk}/debts/").json()
    assert listed["results"][0]["customer"] == "K-7"
    assert AuditEvent.objects.filter(action="debt.promise_resolved", object_id=str(debt_id)).exists()
    assert customer.debts.count() == 1


def test_the_list_preview_names_the_holidays_and_blackout_dates_of_the_next_two_weeks(sv):
    from django.utils import timezone

    from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory
    from contacts.tests.factories import SegmentFactory

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    policy = CallingPolicyFactory(
        weekdays=list(range(7)),
        blackout_dates=[{"from": tomorrow.isoformat(), "to": tomorrow.isoformat(), "label": "棚卸し休業"}],
    )
    campaign = CampaignFactory(policy=policy)
    segment = SegmentFactory(criteria={"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]})
    url = reverse("campaigns:list_create", args=[campaign.pk])
    form = {"name": "VIP", "segment": segment.pk, "order_by": "recent_purchase", "priority": "0", "preview": "1"}
    preview = sv.post(url, form, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="preview-days-off"' in preview and "棚卸し休業" in preview
    policy.blackout_dates = []
    policy.skip_holidays = False
    policy.save()
    assert 'data-testid="preview-days-off"' not in sv.post(url, form, HTTP_HX_REQUEST="true").content.decode()
