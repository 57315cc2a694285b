"""docs/api.md#policies-dispositions-campaigns-lists: shapes, errors and role checks."""

import pytest

from callcenter.models import AuditEvent
from campaigns.models import CallingPolicy, CallList, CallListEntry, Campaign, Disposition
from campaigns.tests.factories import (
    CallingPolicyFactory,
    CallListEntryFactory,
    CallListFactory,
    CampaignFactory,
    make_ready_to_go,
)
from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory

pytestmark = pytest.mark.django_db

POLICY = {
    "name": "夜間なし標準",
    "call_window_start": "09:30",
    "call_window_end": "19:00",
    "weekdays": [0, 1, 2, 3, 4],
    "skip_holidays": True,
    "holiday_country": "JP",
    "max_attempts": 5,
    "max_attempts_per_day": 2,
    "min_gap_minutes": 90,
    "retry_delays": {"no_answer": 180},
    "cap_attempts": 3,
    "cap_days": 7,
    "cooloff_days_after_contact": 7,
    "no_resolicit_after_refusal": True,
}


@pytest.fixture(autouse=True)
def presets(db):
    """Seeded by a data migration; transactional tests elsewhere flush them."""
    from campaigns.services.policies import ensure_preset_policies

    ensure_preset_policies()


def test_presets_are_shipped(api_as, supervisor):
    names = {p["name"] for p in api_as(supervisor).get("/api/v1/policies/").json()["results"]}
    assert {"Japan standard", "US collections (Reg F 7-in-7)"} <= names
    japan = CallingPolicy.objects.get(name="Japan standard")
    assert (japan.call_window_start.hour, japan.call_window_end.hour, japan.weekdays) == (9, 20, [0, 1, 2, 3, 4, 5])
    assert (japan.max_attempts, japan.max_attempts_per_day, japan.min_gap_minutes) == (6, 2, 120)
    assert (japan.cap_attempts, japan.cap_days, japan.cooloff_days_after_contact) == (3, 7, 7)
    assert japan.skip_holidays and japan.no_resolicit_after_refusal
    us = CallingPolicy.objects.get(name="US collections (Reg F 7-in-7)")
    assert (us.call_window_start.hour, us.call_window_end.hour, us.weekdays) == (8, 21, [0, 1, 2, 3, 4, 5, 6])
    assert (us.max_attempts, us.max_attempts_per_day, us.min_gap_minutes) == (7, 2, 60)
    assert (us.cap_attempts, us.cap_days, us.cooloff_days_after_contact) == (7, 7, 7)


def test_create_read_and_patch_a_policy(api_as, supervisor):
    api = api_as(supervisor)
    response = api.post("/api/v1/policies/", POLICY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in POLICY} == POLICY
    response = api.patch(f"/api/v1/policies/{body['id']}/", {"max_attempts": 4}, format="json")
    assert response.status_code == 200 and response.json()["max_attempts"] == 4
    assert AuditEvent.objects.filter(action="policy.updated", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"call_window_end": "08:00"}, "call_window_end"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"cap_days": None}, "cap_days"),
        ({"retry_delays": {"nope": 5}}, "retry_delays"),
        ({"max_attempts_per_day": 9}, "max_attempts_per_day"),
        ({"call_window_start": "9 o'clock"}, "call_window_start"),
        # Waits that overflowed the date arithmetic later (a 500 on the next outcome logged).
        ({"retry_delays": {"no_answer": 10**12}}, "retry_delays"),
        ({"min_gap_minutes": 2**31 - 1}, "min_gap_minutes"),
        ({"cap_days": 10**6}, "cap_days"),
        ({"cooloff_days_after_contact": 10**6}, "cooloff_days_after_contact"),
    ],
)
def test_bad_policies_get_field_errors(api_as, supervisor, change, field):
    response = api_as(supervisor).post("/api/v1/policies/", {**POLICY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CallingPolicy.objects.filter(name=POLICY["name"]).exists()


def test_dispositions_default_set_and_supervisor_additions(api_as, supervisor, operator):
    rows = api_as(operator).get("/api/v1/dispositions/").json()
    codes = {row["code"] for row in rows}
    assert {
        "no_answer",
        "busy",
        "voicemail",
        "invalid_number",
        "wrong_person",
        "callback",
        "refused",
        "success",
        "dnc_request",
        "hung_up",
    } <= codes
    assert set(rows[0]) >= {"code", "label", "is_contact", "is_success", "is_final", "adds_dnc"}
    new = {
        "code": "appointment_set",
        "label": "Meeting booked",
        "label_ja": "面談予約",
        "is_contact": True,
        "is_success": True,
        "is_final": True,
    }
    assert api_as(operator).post("/api/v1/dispositions/", new, format="json").status_code == 403
    response = api_as(supervisor).post("/api/v1/dispositions/", new, format="json")
    assert response.status_code == 201
    assert Disposition.objects.get(code="appointment_set").is_success
    assert api_as(supervisor).post("/api/v1/dispositions/", new, format="json").status_code == 400
    response = api_as(supervisor).post(
        "/api/v1/dispositions/", {**new, "code": "later", "retry_delay_minutes": 10**9}, format="json"
    )
    assert response.status_code == 400 and "retry_delay_minutes" in response.json()["errors"]


def test_campaign_create_patch_and_transitions(api_as, supervisor, operator):
    api = api_as(supervisor)
    policy = CallingPolicy.objects.get(name="Japan standard")
    response = api.post(
        "/api/v1/campaigns/",
        {
            "name": "春の休眠掘り起こし",
            "purpose": "reactivation",
            "policy": policy.pk,
            "operators": [operator.pk],
            "starts_on": "2030-04-01",
            "ends_on": "2030-04-30",
            "cost_per_hour": "1800.00",
            "cost_per_minute": "3.50",
            "fixed_cost": "50000.00",
            "prenotice_days": 3,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    campaign = response.json()
    assert campaign["status"] == "draft" and campaign["operators"] == [operator.pk]
    assert set(campaign) >= {
        "name",
        "purpose",
        "status",
        "policy",
        "script",
        "operators",
        "starts_on",
        "ends_on",
        "cost_per_hour",
        "cost_per_minute",
        "fixed_cost",
        "prenotice_days",
    }
    # The status changes only through the transitions.
    response = api.patch(f"/api/v1/campaigns/{campaign['id']}/", {"status": "active", "fixed_cost": "0"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    # No list yet: activating is a conflict with the reason.
    response = api.post(f"/api/v1/campaigns/{campaign['id']}/activate/")
    assert response.status_code == 409
    assert response.json()["problems"]
    make_ready_to_go(Campaign.objects.get(pk=campaign["id"]))
    assert api.post(f"/api/v1/campaigns/{campaign['id']}/activate/").json()["status"] == "active"
    assert api.post(f"/api/v1/campaigns/{campaign['id']}/pause/").json()["status"] == "paused"
    assert api.post(f"/api/v1/campaigns/{campaign['id']}/finish/").json()["status"] == "finished"
    assert api.post(f"/api/v1/campaigns/{campaign['id']}/activate/").status_code == 409


def test_campaign_validation(api_as, supervisor, manager):
    api = api_as(supervisor)
    response = api.post("/api/v1/campaigns/", {"name": "x", "purpose": "nonsense"}, format="json")
    assert response.status_code == 400 and "purpose" in response.json()["errors"]
    response = api.post(
        "/api/v1/campaigns/",
        {"name": "x", "purpose": "sales", "starts_on": "2030-05-01", "ends_on": "2030-04-01"},
        format="json",
    )
    assert response.status_code == 400 and "ends_on" in response.json()["errors"]
    response = api.post(
        "/api/v1/campaigns/", {"name": "x", "purpose": "sales", "operators": [manager.pk]}, format="json"
    )
    assert response.status_code == 400 and "operators" in response.json()["errors"]
    # A pre-notice rule of a million days overflowed the build's date arithmetic (a failed build,
    # a 500 on preview); ten years is the most any rule of a policy may span.
    response = api.post(
        "/api/v1/campaigns/", {"name": "x", "purpose": "sales", "prenotice_days": 1_000_000}, format="json"
    )
    assert response.status_code == 400 and "prenotice_days" in response.json()["errors"]
    assert not Campaign.objects.filter(name="x").exists()


@pytest.mark.parametrize("status", [Campaign.Status.ACTIVE, Campaign.Status.PAUSED])
def test_an_active_or_paused_campaign_keeps_its_policy(api_as, supervisor, operator, status):
    """Without a policy dispatch passed the campaign over and told its operators there was no list."""
    policy = CallingPolicyFactory()
    campaign = CampaignFactory(status=status, policy=policy, operators=[operator])
    api = api_as(supervisor)
    response = api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"policy": None}, format="json")
    assert response.status_code == 400 and "policy" in response.json()["errors"]
    campaign.refresh_from_db()
    assert campaign.policy == policy
    other = CallingPolicyFactory()
    assert (
        api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"policy": other.pk}, format="json").json()["policy"] == other.pk
    )
    draft = CampaignFactory(policy=policy)
    assert api.patch(f"/api/v1/campaigns/{draft.pk}/", {"policy": None}, format="json").status_code == 200


def test_roles(api_as, supervisor, operator, operator2, manager, client_viewer, client):
    mine = CampaignFactory(operators=[operator])
    not_mine = CampaignFactory(operators=[operator2])
    assert client.get("/api/v1/campaigns/").status_code == 401
    assert api_as(client_viewer).get("/api/v1/campaigns/").status_code == 403
    assert api_as(client_viewer).get("/api/v1/policies/").status_code == 403
    assert [c["id"] for c in api_as(operator).get("/api/v1/campaigns/").json()["results"]] == [mine.pk]
    # docs/api.md#conventions: 404 for what the user may not see (another operator's campaign), 403 for what
    # the role may not.
    assert api_as(operator).get(f"/api/v1/campaigns/{mine.pk}/").status_code == 200
    assert api_as(operator).get(f"/api/v1/campaigns/{not_mine.pk}/").status_code == 404
    assert (
        api_as(operator).post("/api/v1/campaigns/", {"name": "x", "purpose": "sales"}, format="json").status_code == 403
    )
    assert api_as(manager).get("/api/v1/campaigns/").json()["count"] == 2
    assert api_as(manager).get("/api/v1/campaigns/", {"status": "draft"}).json()["count"] == 2
    # An unknown status is a 400, as on list entries (it was an empty page, read as "none").
    response = api_as(manager).get("/api/v1/campaigns/", {"status": "running"})
    assert response.status_code == 400 and "status" in response.json()["errors"]
    assert api_as(manager).post(f"/api/v1/campaigns/{mine.pk}/finish/").status_code == 403
    assert api_as(manager).post("/api/v1/policies/", POLICY, format="json").status_code == 403
    call_list = CallListFactory(campaign=mine)
    assert api_as(operator).get(f"/api/v1/lists/{call_list.pk}/").status_code == 403
    assert api_as(operator).get(f"/api/v1/lists/{call_list.pk}/entries/").status_code == 403
    assert (
        api_as(manager)
        .post(f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["busy"]}, format="json")
        .status_code
        == 403
    )
    assert api_as(supervisor).get("/api/v1/lists/999999/").status_code == 404


def test_build_a_list_and_read_it(api_as, supervisor):
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    kept = CustomerFactory(tags=["vip"])
    blocked = CustomerFactory(tags=["vip"])
    CustomerFactory(tags=["vip"], phone=False)
    DoNotCallFactory(customer=blocked, phone_number="")
    segment = SegmentFactory(criteria={"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]})
    api = api_as(supervisor)
    response = api.post(
        f"/api/v1/campaigns/{campaign.pk}/lists/",
        {"name": "VIP", "segment": segment.pk, "priority": "highest_spend"},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"id", "status"}
    list_id = response.json()["id"]
    body = api.get(f"/api/v1/lists/{list_id}/").json()
    assert body["campaign"] == campaign.pk and body["status"] == "ready" and body["order_by"] == "highest_spend"
    assert body["counts"]["included"] == 1
    assert body["counts"]["excluded"] == {
        "dnc": 1,
        "no_phone": 1,
        "cap": 0,
        "cooloff": 0,
        "refused_before": 0,
        "duplicate": 0,
        "in_other_list": 0,
        "prenotice": 0,
    }
    assert body["entries_by_status"]["pending"] == 1 and body["entries_by_status"]["done"] == 0
    entries = api.get(f"/api/v1/lists/{list_id}/entries/?status=pending").json()
    assert [e["customer"] for e in entries["results"]] == [kept.pk]
    assert entries["results"][0]["phone"].startswith("+81")
    assert api.get(f"/api/v1/lists/{list_id}/entries/?status=done").json()["count"] == 0
    assert api.get(f"/api/v1/lists/{list_id}/entries/?status=bogus").status_code == 400
    # Each page read is audited, with its filter and row count (a bulk read of customers).
    reads = AuditEvent.objects.filter(action="list.entries_page_read").order_by("id")
    assert [(e.data["filters"], e.data["rows"]) for e in reads] == [({"status": "pending"}, 1), ({"status": "done"}, 0)]


def test_list_requests_with_bad_input(api_as, supervisor):
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    api = api_as(supervisor)
    url = f"/api/v1/campaigns/{campaign.pk}/lists/"
    assert "segment" in api.post(url, {"name": "x"}, format="json").json()["errors"]
    response = api.post(
        url,
        {"name": "x", "criteria": {"match": "all", "rules": [{"field": "zzz", "op": "eq", "value": 1}]}},
        format="json",
    )
    assert response.status_code == 400 and "criteria" in response.json()["errors"]
    assert (
        "priority"
        in api.post(
            url, {"name": "x", "criteria": {"match": "all", "rules": []}, "priority": "loudest"}, format="json"
        ).json()["errors"]
    )
    # CallList.priority is a PostgreSQL integer: a bigger number was a failed INSERT (a 500).
    criteria = {"match": "all", "rules": []}
    for body in ({"priority": 10**12}, {"list_priority": 10**12}, {"list_priority": -(10**12)}):
        response = api.post(url, {"name": "x", "criteria": criteria, **body}, format="json")
        assert response.status_code == 400 and set(response.json()["errors"]) == set(body)
    finished = CampaignFactory(status=Campaign.Status.FINISHED)
    assert (
        api.post(
            f"/api/v1/campaigns/{finished.pk}/lists/",
            {"name": "x", "criteria": {"match": "all", "rules": []}},
            format="json",
        ).status_code
        == 409
    )
    assert not CallList.objects.exists()


def test_list_operators_are_operators_of_the_campaign(api_as, supervisor, operator, operator2):
    """Dispatch gives a list only to operators of its campaign, so a list restricted to someone
    outside it was never dialed, with no word why. The list page offers only the campaign's
    operators; the API accepted any operator."""
    campaign = CampaignFactory(policy=CallingPolicyFactory(), operators=[operator])
    api = api_as(supervisor)
    url = f"/api/v1/campaigns/{campaign.pk}/lists/"
    criteria = {"match": "all", "rules": []}
    response = api.post(url, {"name": "x", "criteria": criteria, "operators": [operator2.pk]}, format="json")
    assert response.status_code == 400 and "operators" in response.json()["errors"]
    assert not CallList.objects.exists()
    response = api.post(url, {"name": "x", "criteria": criteria, "operators": [operator.pk]}, format="json")
    assert response.status_code == 202
    assert list(CallList.objects.get(pk=response.json()["id"]).operators.all()) == [operator]


def test_recycle_endpoint(api_as, supervisor):
    call_list = CallListFactory()
    entry = CallListEntryFactory(
        call_list=call_list,
        status=CallListEntry.Status.EXHAUSTED,
        last_disposition=Disposition.objects.get(code="no_answer"),
        attempts=6,
    )
    api = api_as(supervisor)
    response = api.post(f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["no_answer"]}, format="json")
    assert response.status_code == 200 and response.json() == {"reset": 1, "skipped": {}}
    entry.refresh_from_db()
    assert entry.status == "pending"
    response = api.post(f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["refused"]}, format="json")
    assert response.status_code == 400 and "dispositions" in response.json()["errors"]
    assert (
        api.post(f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["nope"]}, format="json").status_code == 400
    )
    assert api.post(f"/api/v1/lists/{call_list.pk}/pause/").json()["status"] == "paused"
    assert api.post(f"/api/v1/lists/{call_list.pk}/resume/").json()["status"] == "ready"
    assert api.post(f"/api/v1/lists/{call_list.pk}/close/").json()["status"] == "closed"
    assert (
        api.post(f"/api/v1/lists/{call_list.pk}/recycle/", {"dispositions": ["no_answer"]}, format="json").status_code
        == 409
    )
