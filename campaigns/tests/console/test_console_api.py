"""docs/api.md#operator-work: agent state, next-call dispatch and attempts, with their error codes."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from callcenter.history import history_change
from campaigns.models import AgentStateLog, CallAttempt, CallListEntry
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.models import DoNotCall
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
Status = CallListEntry.Status


@pytest.fixture
def call_list(operator):
    policy = open_around_the_clock()
    return ready_list(working_campaign(operators=[operator], policy=policy))


def attempt_body(entry_id, **fields):
    now = timezone.now()
    body = {
        "entry": entry_id,
        "disposition": "no_answer",
        "started_at": (now - dt.timedelta(minutes=1)).isoformat(),
        "ended_at": now.isoformat(),
        "talk_seconds": 0,
        "hold_seconds": 0,
        "acw_seconds": 12,
    }
    body.update(fields)
    return body


def test_roles(api_client, api_as, supervisor, operator):
    assert api_client.post("/api/v1/dispatch/next/").status_code == 401
    client = api_as(supervisor)
    for url in ("/api/v1/dispatch/next/", "/api/v1/attempts/", "/api/v1/agent-state/"):
        assert client.post(url, {}, format="json").status_code == 403


def test_agent_state(api_as, operator):
    client = api_as(operator)
    response = client.post("/api/v1/agent-state/", {"state": "ready"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "ready"
    response = client.post("/api/v1/agent-state/", {"state": "break", "reason": "lunch"}, format="json")
    assert response.json()["reason"] == "lunch"
    response = client.post("/api/v1/agent-state/", {"state": "sleeping"}, format="json")
    assert response.status_code == 400 and "state" in response.json()["errors"]
    response = client.post("/api/v1/agent-state/", {"state": "offline"}, format="json")
    assert response.json() == {"state": "offline", "reason": "", "since": None}
    assert list(AgentStateLog.objects.order_by("started_at").values_list("state", flat=True)) == ["ready", "break"]


def test_break_while_holding_is_a_conflict(api_as, operator, call_list):
    entry(call_list)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    response = client.post("/api/v1/agent-state/", {"state": "break", "reason": "rest"}, format="json")
    assert response.status_code == 409 and response.json()["detail"]


def test_dispatch_returns_the_entry_and_holds_it(api_as, operator, call_list):
    customer = CustomerFactory(name="佐々木 恵", phone="080-2222-3333")
    one = entry(call_list, customer=customer, phone="+818022223333")
    response = api_as(operator).post("/api/v1/dispatch/next/")
    assert response.status_code == 200
    body = response.json()
    assert (body["entry"], body["campaign"], body["list"], body["phone"], body["attempt_number"]) == (
        one.pk,
        call_list.campaign_id,
        call_list.pk,
        "+818022223333",
        1,
    )
    assert body["customer"]["name"] == "佐々木 恵" and body["customer"]["phones"][0]["number"] == "+818022223333"
    assert "script" in body
    one.refresh_from_db()
    assert one.status == Status.HELD and one.held_by == operator


def test_dispatch_204_when_nothing_is_dialable(api_as, operator, call_list):
    response = api_as(operator).post("/api/v1/dispatch/next/")
    assert response.status_code == 204 and response["X-Dispatch-Reason"] == "all_done"


def test_an_empty_poll_explains_itself_once_per_few_seconds(api_as, operator, call_list, django_assert_max_num_queries):
    """A dialer polling an empty queue does not pay for the explanation on every poll."""
    from django.core.cache import cache

    client = api_as(operator)
    assert client.post("/api/v1/dispatch/next/")["X-Dispatch-Reason"] == "all_done"
    with django_assert_max_num_queries(50) as first:
        cache.delete(f"dispatch:no-call:{operator.pk}")
        client.post("/api/v1/dispatch/next/")
    with django_assert_max_num_queries(50) as cached:
        assert client.post("/api/v1/dispatch/next/")["X-Dispatch-Reason"] == "all_done"
    assert len(cached.captured_queries) <= len(first.captured_queries) - 5
    # A new call is found at once all the same: only the reason is remembered.
    one = entry(call_list)
    assert client.post("/api/v1/dispatch/next/").json()["entry"] == one.pk


def test_attempt_201_and_idempotent(api_as, operator, call_list):
    one = entry(call_list)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    body = attempt_body(one.pk, client_token="abc-1", notes="不在")
    first = client.post("/api/v1/attempts/", body, format="json")
    assert first.status_code == 201
    assert first.json()["entry_status"] == "pending" and first.json()["next_attempt_at"]
    second = client.post("/api/v1/attempts/", body, format="json")
    assert second.status_code == 201 and second.json()["id"] == first.json()["id"]
    assert CallAttempt.objects.count() == 1


def test_attempt_409_when_not_held(api_as, operator, operator2, call_list):
    one = entry(call_list)
    call_list.campaign.operators.add(operator2)
    api_as(operator2).post("/api/v1/dispatch/next/")
    response = api_as(operator).post("/api/v1/attempts/", attempt_body(one.pk), format="json")
    assert response.status_code == 409 and response.json()["detail"]
    assert not CallAttempt.objects.exists()


def test_attempt_400s(api_as, operator, call_list):
    one = entry(call_list)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    response = client.post("/api/v1/attempts/", attempt_body(one.pk, disposition="nonsense"), format="json")
    assert response.status_code == 400 and "disposition" in response.json()["errors"]
    response = client.post("/api/v1/attempts/", attempt_body(999999), format="json")
    assert response.status_code == 400 and "entry" in response.json()["errors"]
    for beyond_bigint in (10**20, -(10**20)):  # the outcome's locking read failed on it (a 500)
        response = client.post("/api/v1/attempts/", attempt_body(beyond_bigint), format="json")
        assert response.status_code == 400 and "entry" in response.json()["errors"]
    # Answers jsonb cannot store a NUL or an infinity (1e400 reads as one): the INSERT failed (a 500).
    for answer in ('"a\\u0000"', "1e400"):
        raw = json.dumps(attempt_body(one.pk, answers={"q": "ANSWER"})).replace('"ANSWER"', answer)
        response = client.post("/api/v1/attempts/", raw, content_type="application/json")
        assert response.status_code == 400 and "answers" in response.json()["errors"]
    response = client.post("/api/v1/attempts/", attempt_body(one.pk, talk_seconds=-5), format="json")
    assert "talk_seconds" in response.json()["errors"]
    response = client.post("/api/v1/attempts/", attempt_body(one.pk, disposition="callback"), format="json")
    assert response.status_code == 400 and "callback_at" in response.json()["errors"]
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = client.post(
        "/api/v1/attempts/", attempt_body(one.pk, disposition="callback", callback_at=past), format="json"
    )
    assert response.status_code == 400 and response.json()["errors"]["callback_at"]
    response = client.post("/api/v1/attempts/", {"entry": one.pk}, format="json")
    assert {"disposition", "started_at", "ended_at"} <= set(response.json()["errors"])
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize(
    "times, field",
    [
        ({"started_at": "0001-01-01T00:00:00Z"}, "started_at"),
        ({"started_at": "2026-11-24T10:00:00+09:00"}, "started_at"),
        ({"ended_at": "2999-01-01T00:00:00Z"}, "ended_at"),
        # docs/api.md#conventions: timestamps with their offset; without it the server's time zone was assumed, so a
        # dialer sending UTC had its calls moved by nine hours.
        (
            {"started_at": (timezone.localtime() - dt.timedelta(minutes=1)).replace(tzinfo=None).isoformat()},
            "started_at",
        ),
        ({"ended_at": timezone.localtime().replace(tzinfo=None).isoformat()}, "ended_at"),
    ],
)
def test_attempt_times_outside_the_hold_are_a_400(api_as, operator, call_list, times, field):
    """A call starts after its dispatch (at most DISPATCH_HOLD_MAX_MINUTES ago) and has ended by
    now. An attempt stored in year 1 left the entry dialable again at once (its retry time was
    started_at + delay) and outside the minimum gap and daily maximum."""
    one = entry(call_list)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    response = client.post("/api/v1/attempts/", attempt_body(one.pk, **times), format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not CallAttempt.objects.exists()
    one.refresh_from_db()
    assert one.status == Status.HELD and one.held_by == operator


def test_a_late_replay_of_a_recorded_attempt_is_still_the_same_attempt(api_as, operator, call_list):
    one = entry(call_list)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    body = attempt_body(one.pk, client_token="late-1")
    first = client.post("/api/v1/attempts/", body, format="json")
    assert first.status_code == 201
    # The dialer retries hours later, after the hold ceiling: still the one attempt, not a 400.
    three_hours_ago = timezone.now() - dt.timedelta(hours=3)
    with history_change("test: the first call was three hours ago"):
        CallAttempt.objects.filter(pk=first.json()["id"]).update(started_at=three_hours_ago)
    replay = client.post("/api/v1/attempts/", {**body, "started_at": three_hours_ago.isoformat()}, format="json")
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    assert CallAttempt.objects.count() == 1


def test_attempt_with_dnc_request_and_callback(api_as, operator, call_list):
    first, second = entry(call_list, rank=1), entry(call_list, rank=2)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    response = client.post(
        "/api/v1/attempts/", attempt_body(first.pk, disposition="hung_up", dnc_request=True), format="json"
    )
    assert response.status_code == 201 and response.json()["entry_status"] == "blocked"
    assert DoNotCall.objects.filter(customer=first.customer).exists()
    client.post("/api/v1/dispatch/next/")
    callback_at = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = client.post(
        "/api/v1/attempts/",
        attempt_body(second.pk, disposition="callback", callback_at=callback_at, callback_personal=True),
        format="json",
    )
    assert response.status_code == 201 and response.json()["entry_status"] == "callback"
    second.refresh_from_db()
    assert second.assigned_operator == operator


def test_openapi_schema_lists_operator_work(api_as, operator):
    schema = api_as(operator).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/dispatch/next/", "/api/v1/attempts/", "/api/v1/agent-state/"):
        assert path in schema


def test_renewing_the_hold(api_as, operator, operator2, call_list):
    call_list.campaign.operators.add(operator2)
    one = entry(call_list)
    client = api_as(operator)
    client.post("/api/v1/dispatch/next/")
    CallListEntry.objects.filter(pk=one.pk).update(held_until=timezone.now() + dt.timedelta(seconds=5))
    response = client.post("/api/v1/dispatch/renew/", {"entry": one.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["entry"] == one.pk and body["at_ceiling"] is False
    one.refresh_from_db()
    assert one.held_until > timezone.now() + dt.timedelta(minutes=14)
    assert dt.datetime.fromisoformat(body["held_until"].replace("Z", "+00:00")) == one.held_until
    # Somebody else's hold, or none at all: 409, nothing changes.
    assert api_as(operator2).post("/api/v1/dispatch/renew/", {"entry": one.pk}, format="json").status_code == 409
    response = client.post("/api/v1/dispatch/renew/", {"entry": "x"}, format="json")
    assert response.status_code == 400 and "entry" in response.json()["errors"]
    assert api_as(operator2).post("/api/v1/dispatch/renew/", {"entry": 999999}, format="json").status_code == 409
