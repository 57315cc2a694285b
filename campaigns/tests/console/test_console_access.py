"""Object-level access of operator work: a console page, panel or API call that takes an entry,
attempt or customer id answers only for the call the operator holds. Tried as an attacker would,
with another operator's held entry and with an entry nobody holds: the refusal is 404/409 and its
body carries none of that customer's data."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CallAttempt, CallListEntry
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.models import DoNotCall
from contacts.tests.factories import CustomerFactory
from scripts.tests.factories import branching_script

pytestmark = pytest.mark.django_db
Status = CallListEntry.Status

PLANTED_NAME = "秘密 花子"
PLANTED_KANA = "ヒミツ ハナコ"
PLANTED_NUMBER = "+819087654321"
PLANTED_NOTES = "自宅の鍵は植木鉢の下"
PLANTED = [PLANTED_NAME, PLANTED_KANA, PLANTED_NUMBER, "090-8765-4321", "09087654321", PLANTED_NOTES]


def assert_no_customer_data(response):
    body = response.content.decode()
    for secret in PLANTED:
        assert secret not in body, f"{secret!r} leaked in a {response.status_code} answer"


def list_for(campaign, operator, *, priority):
    call_list = ready_list(campaign, priority=priority)
    call_list.operators.set([operator])
    return call_list


@pytest.fixture
def scene(operator, operator2):
    """operator2 holds the planted customer's entry; another planted entry is pending; operator
    holds an ordinary customer's entry."""
    policy = open_around_the_clock()
    campaign = working_campaign(operators=[operator, operator2], policy=policy)
    planted = CustomerFactory(name=PLANTED_NAME, name_kana=PLANTED_KANA, phone=PLANTED_NUMBER, notes=PLANTED_NOTES)
    own_customer = CustomerFactory(name="普通 太郎", phone="+819011112222")
    # Distinct lists so each operator is dispatched the entry meant for them.
    theirs = entry(list_for(campaign, operator2, priority=9), customer=planted, phone=PLANTED_NUMBER)
    waiting = entry(list_for(campaign, operator2, priority=1), customer=planted, phone=PLANTED_NUMBER)
    mine = entry(list_for(campaign, operator, priority=5), customer=own_customer, phone="+819011112222")
    assert dispatch_next(operator=operator2).pk == theirs.pk
    assert dispatch_next(operator=operator).pk == mine.pk
    return {"theirs": theirs, "waiting": waiting, "mine": mine, "planted": planted}


@pytest.mark.parametrize("target", ["theirs", "waiting"])
@pytest.mark.parametrize("body", [{}, {"disposition": "no_answer"}, {"disposition": "no_answer", "notes": "x"}])
def test_outcome_post_for_an_entry_not_held_shows_no_customer(login, operator, scene, target, body):
    response = login(operator).post(reverse("campaigns:console_outcome", args=[scene[target].pk]), body)
    assert response.status_code == 409
    assert_no_customer_data(response)
    # The operator's own call is still on the page, with what they typed.
    assert "普通 太郎" in response.content.decode()
    assert not CallAttempt.objects.filter(entry=scene[target]).exists()


def test_outcome_post_for_an_unknown_entry(login, operator, scene):
    response = login(operator).post(reverse("campaigns:console_outcome", args=[10**9]), {})
    assert response.status_code in (404, 409)
    assert_no_customer_data(response)


def test_invalid_outcome_for_the_held_entry_still_shows_its_card(login, operator, scene):
    """The 400 page (where another customer's card leaked) is kept for the operator's own call."""
    response = login(operator).post(reverse("campaigns:console_outcome", args=[scene["mine"].pk]), {})
    assert response.status_code == 400
    assert "普通 太郎" in response.content.decode()


def test_saved_outcome_repeated_after_the_hold_ended_is_still_saved_once(login, operator, scene):
    """A double submit: the second post, for an entry no longer held, replays the first."""
    client = login(operator)
    url = reverse("campaigns:console_outcome", args=[scene["mine"].pk])
    body = {"disposition": "no_answer", "client_token": "f" * 32}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    assert CallAttempt.objects.filter(entry=scene["mine"]).count() == 1


@pytest.mark.parametrize("target", ["theirs", "waiting"])
def test_walk_panel_and_renew_refuse_another_entry(login, operator, scene, target):
    client = login(operator)
    for response in (
        client.get(reverse("campaigns:console_walk", args=[scene[target].pk]), HTTP_HX_REQUEST="true"),
        client.post(reverse("campaigns:console_renew", args=[scene[target].pk])),
    ):
        assert response.status_code == 409
        assert_no_customer_data(response)


def test_walk_panel_of_a_hold_past_its_time_is_still_the_operators(login, operator, scene):
    """One definition of "holds" (the console and the panel disagreed while the expiry beat had
    not run yet): a hold past its time is still the operator's until it is put back."""
    CallListEntry.objects.filter(pk=scene["mine"].pk).update(held_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    response = login(operator).get(reverse("campaigns:console_walk", args=[scene["mine"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200


def test_api_attempt_for_an_entry_not_held(api_as, operator, scene):
    now = timezone.now()
    response = api_as(operator).post(
        "/api/v1/attempts/",
        {
            "entry": scene["theirs"].pk,
            "disposition": "no_answer",
            "started_at": (now - dt.timedelta(minutes=1)).isoformat(),
            "ended_at": now.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409
    assert_no_customer_data(response)


def test_dnc_check_for_an_operator_answers_only_blocked_for_the_held_call(api_as, operator, scene):
    DoNotCall.objects.create(phone_number=PLANTED_NUMBER, reason="customer_request", source="inbound")
    DoNotCall.objects.create(phone_number="+819011112222", reason="customer_request", source="inbound")
    api = api_as(operator)
    own = api.get("/api/v1/dnc/check/", {"phone": "090-1111-2222"})
    assert own.status_code == 200 and own.json() == {"blocked": True}
    own_customer = api.get("/api/v1/dnc/check/", {"customer": scene["mine"].customer_id})
    assert own_customer.json() == {"blocked": True}
    for query in (
        {"phone": PLANTED_NUMBER},
        {"customer": scene["planted"].pk},
        {"customer": scene["mine"].customer_id, "phone": PLANTED_NUMBER},
    ):
        refused = api.get("/api/v1/dnc/check/", query)
        assert refused.status_code == 404, query
        assert_no_customer_data(refused)


def test_dnc_check_for_an_operator_without_a_call_is_refused(api_as, operator2, scene):
    CallListEntry.objects.filter(pk=scene["theirs"].pk).update(status=Status.PENDING, held_by=None)
    response = api_as(operator2).get("/api/v1/dnc/check/", {"phone": PLANTED_NUMBER})
    assert response.status_code == 404


def test_dnc_check_for_a_supervisor_keeps_the_registry(api_as, supervisor, scene):
    DoNotCall.objects.create(phone_number=PLANTED_NUMBER, reason="customer_request", source="inbound")
    body = api_as(supervisor).get("/api/v1/dnc/check/", {"phone": PLANTED_NUMBER}).json()
    assert body["blocked"] is True and body["entries"][0]["phone"] == PLANTED_NUMBER


def test_dnc_request_from_an_operator_is_limited_to_the_held_customer(api_as, operator, scene):
    api = api_as(operator)
    refused = [
        api.post(
            "/api/v1/dnc/",
            {"customer": scene["planted"].pk, "reason": "customer_request", "source": "operator"},
            format="json",
        ),
        api.post(
            "/api/v1/dnc/", {"phone": PLANTED_NUMBER, "reason": "customer_request", "source": "operator"}, format="json"
        ),
    ]
    for response in refused:
        assert response.status_code == 404
        assert_no_customer_data(response)
    assert not DoNotCall.objects.filter(phone_number=PLANTED_NUMBER).exists()
    assert not DoNotCall.objects.filter(customer=scene["planted"]).exists()
    allowed = api.post(
        "/api/v1/dnc/",
        {"customer": scene["mine"].customer_id, "reason": "customer_request", "source": "operator"},
        format="json",
    )
    assert allowed.status_code == 201
    assert allowed.json()["source"] == DoNotCall.Source.OPERATOR


def test_check_answers_names_only_the_held_customer(api_as, operator, supervisor, scene):
    version = branching_script()
    url = f"/api/v1/script-versions/{version.pk}/check-answers/"
    api = api_as(operator)
    body = {"answers": {}, "disposition": "no_answer"}
    refused = api.post(url, {**body, "customer": scene["planted"].pk}, format="json")
    assert refused.status_code == 404
    assert_no_customer_data(refused)
    assert api.post(url, {**body, "customer": scene["mine"].customer_id}, format="json").status_code == 200
    assert api_as(supervisor).post(url, {**body, "customer": scene["planted"].pk}, format="json").status_code == 200
