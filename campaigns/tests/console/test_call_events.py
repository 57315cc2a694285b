"""A call's events on the server: the state machine, the dial re-check against the do-not-call
registry and the calling rules, the attempt's timings taken from the events, the console's
endpoint (a reload shows the truth) and the API for external dialers."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import CallAttempt, CallEvent, Disposition
from campaigns.services import call_events, outcomes
from campaigns.services.call_events import CallEventRefused, DialRefused
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.tests.factories import DoNotCallFactory

pytestmark = pytest.mark.django_db
Kind = CallEvent.Kind


@pytest.fixture(autouse=True)
def english():
    """The refusals are matched in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def held(operator):
    call_list = ready_list(working_campaign(operators=[operator], policy=open_around_the_clock()))
    entry(call_list)
    held = dispatch_next(operator=operator)
    assert held is not None
    return held


def no_customer_data(response, held):
    body = response.content.decode()
    assert held.customer.name not in body and held.phone not in body


def play(held, operator, script, start=None):
    """Record (kind, seconds after the dispatch[, sip status]) events; the final state."""
    start = start or held.held_at
    state = None
    for kind, seconds, *status in script:
        state = call_events.record_call_event(
            entry_id=held.pk,
            operator=operator,
            kind=kind,
            sip_status=status[0] if status else None,
            source=CallEvent.Source.CONSOLE,
            now=start + dt.timedelta(seconds=seconds),
        )
    return state


def test_timings_come_from_the_events(held, operator):
    state = play(
        held,
        operator,
        [
            (Kind.DIALING, 2),
            (Kind.RINGING, 3),
            (Kind.ANSWERED, 10),
            (Kind.HELD, 40),
            (Kind.RESUMED, 55),
            (Kind.HUNG_UP, 100),
        ],
    )
    assert state.phase == "ended"
    assert (state.ring().seconds, state.talk().seconds, state.hold().seconds) == (8, 75, 15)


def test_the_attempt_stores_the_server_timings_not_the_clients(held, operator):
    play(held, operator, [(Kind.DIALING, 1), (Kind.ANSWERED, 6), (Kind.HUNG_UP, 66)])
    logged_at = held.held_at + dt.timedelta(seconds=80)
    result = outcomes.record_outcome(
        entry=held,
        operator=operator,
        disposition=Disposition.objects.get(code="callback"),
        talk_seconds=5000,  # what a wrong tab would say
        hold_seconds=300,
        acw_seconds=0,
        callback_at=logged_at + dt.timedelta(days=2),
        now=logged_at,
    )
    attempt = result.attempt
    assert (attempt.ring_seconds, attempt.talk_seconds, attempt.hold_seconds, attempt.acw_seconds) == (5, 60, 0, 14)
    assert attempt.started_at == held.held_at + dt.timedelta(seconds=1)
    assert attempt.answered_at == held.held_at + dt.timedelta(seconds=6)
    assert attempt.ended_at == held.held_at + dt.timedelta(seconds=66)
    assert set(CallEvent.objects.values_list("attempt_id", flat=True)) == {attempt.pk}


def test_without_events_the_clients_timings_are_kept(held, operator):
    result = outcomes.record_outcome(
        entry=held,
        operator=operator,
        disposition=Disposition.objects.get(code="no_answer"),
        talk_seconds=0,
        acw_seconds=7,
    )
    assert (result.attempt.acw_seconds, result.attempt.ring_seconds, result.attempt.sip_status) == (7, 0, None)


@pytest.mark.parametrize(
    ("status", "code"),
    [(486, "busy"), (480, "no_answer"), (408, "no_answer"), (404, "invalid_number"), (484, "invalid_number")],
)
def test_a_sip_failure_suggests_its_outcome(held, operator, status, code):
    state = play(held, operator, [(Kind.DIALING, 1), (Kind.RINGING, 2), (Kind.FAILED, 9, status)])
    assert (state.phase, state.sip_status, state.suggested_outcome) == ("failed", status, code)
    result = outcomes.record_outcome(
        entry=held, operator=operator, disposition=Disposition.objects.get(code=code), now=timezone.now()
    )
    assert (result.attempt.sip_status, result.attempt.ring_seconds, result.attempt.talk_seconds) == (status, 8, 0)
    assert result.attempt.answered_at is None


def test_an_outcome_not_in_use_is_not_suggested(held, operator):
    Disposition.objects.filter(code="busy").update(active=False)
    assert play(held, operator, [(Kind.FAILED, 3, 486)]).suggested_outcome is None


def test_impossible_events_are_refused_and_repeats_change_nothing(held, operator):
    with pytest.raises(CallEventRefused):
        play(held, operator, [(Kind.HELD, 1)])
    play(held, operator, [(Kind.DIALING, 1), (Kind.ANSWERED, 2), (Kind.ANSWERED, 3)])
    assert CallEvent.objects.filter(kind=Kind.ANSWERED).count() == 1
    with pytest.raises(CallEventRefused, match="not possible"):
        play(held, operator, [(Kind.FAILED, 4, 486)])
    play(held, operator, [(Kind.HUNG_UP, 5)])
    with pytest.raises(CallEventRefused, match="log its outcome"):
        play(held, operator, [(Kind.DIALING, 6)])  # one dial per hold


def test_events_on_an_entry_the_operator_does_not_hold_are_refused(held, operator2):
    with pytest.raises(CallEventRefused):
        play(held, operator2, [(Kind.DIALING, 1)])
    assert not CallEvent.objects.exists()


def test_a_dnc_entry_added_after_the_dispatch_stops_the_dial(held, operator):
    DoNotCallFactory(phone_number=held.phone)
    with pytest.raises(DialRefused, match="do-not-call"):
        play(held, operator, [(Kind.DIALING, 1)])
    assert not CallEvent.objects.exists()


def test_calling_rules_changed_after_the_dispatch_stop_the_dial(held, operator):
    policy = held.campaign.policy
    policy.weekdays = []  # no day allowed any more
    policy.save()
    with pytest.raises(DialRefused, match="calling rules"):
        play(held, operator, [(Kind.DIALING, 1)])


def test_a_paused_campaign_stops_the_dial(held, operator):
    held.campaign.status = "paused"
    held.campaign.save()
    with pytest.raises(DialRefused):
        play(held, operator, [(Kind.DIALING, 1)])


@pytest.mark.django_db(transaction=True)
def test_two_windows_dialing_at_once_make_one_dial(operator, reference_data):
    from conftest import race

    call_list = ready_list(working_campaign(operators=[operator], policy=open_around_the_clock()))
    entry(call_list)
    held = dispatch_next(operator=operator)

    def dial():
        return call_events.record_call_event(
            entry_id=held.pk, operator=operator, kind=Kind.DIALING, source=CallEvent.Source.SOFTPHONE
        )

    results = race([dial] * 4)
    assert all(not isinstance(result, Exception) for result in results), results
    assert CallEvent.objects.filter(entry=held, kind=Kind.DIALING).count() == 1


# ---------------------------------------------------------------- the console


def call_state_of(response) -> dict:
    match = re.search(r'data-call-state="([^"]*)"', response.content.decode())
    return json.loads(match.group(1).replace("&quot;", '"'))


def test_a_reload_during_after_call_work_shows_the_servers_state(login, operator, held):
    client = login(operator)
    url = reverse("campaigns:console_call_events", args=[held.pk])
    for kind in ("dialing", "answered", "hung_up"):
        assert client.post(url, {"kind": kind}).status_code == 200
    state = call_state_of(client.get(reverse("campaigns:console")))
    assert state["phase"] == "ended"
    assert state["answered_ms_ago"] >= state["ended_ms_ago"] >= 0
    assert CallEvent.objects.filter(source="console").count() == 3


def test_the_console_preselects_the_suggested_outcome(login, operator, held):
    client = login(operator)
    url = reverse("campaigns:console_call_events", args=[held.pk])
    client.post(url, {"kind": "dialing"})
    answer = client.post(url, {"kind": "failed", "sip_status": "486", "source": "softphone"}).json()
    assert (answer["phase"], answer["suggested_outcome"]) == ("failed", "busy")
    page = client.get(reverse("campaigns:console")).content.decode()
    assert re.search(r'value="busy"[^>]*checked', page)


def test_the_console_endpoint_refuses_without_customer_data(login, operator, operator2, held):
    response = login(operator2).post(reverse("campaigns:console_call_events", args=[held.pk]), {"kind": "dialing"})
    assert response.status_code == 409
    no_customer_data(response, held)
    DoNotCallFactory(phone_number=held.phone)
    refused = login(operator).post(reverse("campaigns:console_call_events", args=[held.pk]), {"kind": "dialing"})
    assert refused.status_code == 409 and refused.json()["dial_refused"] is True


def test_unknown_events_are_refused(login, operator, held):
    response = login(operator).post(reverse("campaigns:console_call_events", args=[held.pk]), {"kind": "teleport"})
    assert response.status_code == 409
    assert not CallEvent.objects.exists()


# ---------------------------------------------------------------- the API


def test_an_external_dialer_posts_the_events(api_as, operator, held):
    api = api_as(operator)
    url = f"/api/v1/calls/{held.pk}/events/"
    for kind in ("dialing", "ringing", "answered"):
        assert api.post(url, {"kind": kind}, format="json").status_code == 200
    answer = api.post(url, {"kind": "hung_up"}, format="json").json()
    assert answer["phase"] == "ended"
    assert set(CallEvent.objects.values_list("source", flat=True)) == {"api"}
    assert api.post(url, {"kind": "failed", "sip_status": 99}, format="json").status_code == 400


def test_the_api_refuses_another_operators_entry(api_as, operator2, held):
    response = api_as(operator2).post(f"/api/v1/calls/{held.pk}/events/", {"kind": "dialing"}, format="json")
    assert response.status_code == 409
    no_customer_data(response, held)
    assert not CallAttempt.objects.exists()


def test_the_live_board_shows_who_is_on_a_call_and_for_how_long(login, supervisor, operator, held):
    ninety_seconds_ago = timezone.now() - dt.timedelta(seconds=90)
    call_events.record_call_event(
        entry_id=held.pk, operator=operator, kind=Kind.ANSWERED, source=CallEvent.Source.API, now=ninety_seconds_ago
    )
    page = login(supervisor).get(reverse("campaigns:console_board"), HTTP_HX_REQUEST="true").content.decode()
    row = page[page.index(f'data-operator="{operator.username}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-phase="talking"' in row
    assert re.search(r'data-testid="board-talk">01:3[0-2]<', row)


# ---------------------------------------------------------------- KPIs


def test_kpis_gain_ring_time_and_the_answer_seizure_ratio(operator):
    from campaigns.selectors.kpis.figures import KpiFilter
    from campaigns.selectors.kpis.tables import kpi_tables
    from campaigns.tests.factories_console import past_attempt

    campaign = working_campaign(operators=[operator], policy=open_around_the_clock())
    call_list = ready_list(campaign)
    at = timezone.now().replace(minute=10, second=0, microsecond=0) - dt.timedelta(hours=1)
    dials = [(6, True), (20, False), (0, True), (10, False)]  # (ring seconds, answered)
    for ring, answered in dials:
        past_attempt(
            entry=entry(call_list), at=at, operator=operator, ring_seconds=ring, answered_at=at if answered else None
        )
    day = timezone.localdate(at)
    tables = kpi_tables(
        KpiFilter(date_from=day, date_to=day, campaign_ids=(campaign.pk,)), ["campaign", "list", "hour"], source="raw"
    )
    for grouping in ("campaign", "list", "hour"):
        (row,) = tables[grouping]
        assert (row.figures.dials, row.figures.answered, row.figures.asr) == (4, 2, 0.5)
        assert row.figures.avg_ring == 12  # (6 + 20 + 10) / 3 timed dials
    assert tables["hour"][0].key == timezone.localtime(at).hour
