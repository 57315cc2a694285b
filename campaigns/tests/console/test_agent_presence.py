"""Nobody stays "working" after leaving: logout signs the operator off, and the absence sweep signs
off operators the product has not heard from for AGENT_ABSENT_MINUTES, as of the last contact."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.models import AgentStateLog
from campaigns.services import agent_state
from campaigns.services.dispatch import dispatch_next
from campaigns.tasks.console import sign_off_absent_operators
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forget_presence(operator, operator2):
    for user in (operator, operator2):
        cache.delete_many([agent_state._presence_key(user.pk), agent_state._notice_key(user.pk)])
    yield
    for user in (operator, operator2):
        cache.delete_many([agent_state._presence_key(user.pk), agent_state._notice_key(user.pk)])


def open_interval(user):
    return AgentStateLog.objects.filter(operator=user, ended_at__isnull=True).first()


def start_work(user, *, at):
    return agent_state.change_agent_state(operator=user, state="ready", at=at)


def test_an_operator_not_heard_from_is_signed_off_as_of_the_last_contact(operator, operator2, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    now = timezone.now()
    start_work(operator, at=now - dt.timedelta(hours=2))
    start_work(operator2, at=now - dt.timedelta(hours=2))
    agent_state.note_presence(operator.pk, at=now - dt.timedelta(minutes=20))  # tab closed 20 minutes ago
    agent_state.note_presence(operator2.pk, at=now - dt.timedelta(minutes=5))  # still here

    assert agent_state.sign_off_absent(now=now) == 1

    closed = AgentStateLog.objects.get(operator=operator)
    assert closed.ended_at == now - dt.timedelta(minutes=20)  # not the hours the tab stood closed
    assert open_interval(operator) is None
    assert open_interval(operator2) is not None
    event = AuditEvent.objects.get(action="agent.signed_off_absent")
    assert event.data["operator"] == operator.pk and event.actor is None


def test_an_operator_without_a_recorded_contact_gets_a_full_period_first(operator, settings):
    """Redis emptied, or working since before the sweep existed: never signed off at once."""
    settings.AGENT_ABSENT_MINUTES = 15
    now = timezone.now()
    start_work(operator, at=now - dt.timedelta(hours=1))

    assert agent_state.sign_off_absent(now=now) == 0
    assert open_interval(operator) is not None
    assert agent_state.sign_off_absent(now=now + dt.timedelta(minutes=14)) == 0
    assert agent_state.sign_off_absent(now=now + dt.timedelta(minutes=16)) == 1
    assert AgentStateLog.objects.get(operator=operator).ended_at == now


def test_the_interval_never_ends_before_it_began(operator, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    now = timezone.now()
    agent_state.note_presence(operator.pk, at=now - dt.timedelta(minutes=30))
    started = now - dt.timedelta(minutes=20)  # opened by an API client after the last page contact
    start_work(operator, at=started)
    cache.set(agent_state._presence_key(operator.pk), now - dt.timedelta(minutes=30))

    assert agent_state.sign_off_absent(now=now) == 1
    assert AgentStateLog.objects.get(operator=operator).ended_at == started


def test_the_beat_task_runs_the_sweep(operator, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    start_work(operator, at=timezone.now() - dt.timedelta(hours=1))
    agent_state.note_presence(operator.pk, at=timezone.now() - dt.timedelta(minutes=16))
    assert sign_off_absent_operators.apply().get() == 1
    assert open_interval(operator) is None


def test_console_requests_and_the_operator_api_count_as_contact(login, api_as, operator, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    key = agent_state._presence_key(operator.pk)
    client = login(operator)

    client.get(reverse("home"))
    assert cache.get(key) is None  # other pages are not the console

    client.get(reverse("campaigns:console"))
    assert cache.get(key) is not None

    cache.delete(key)
    client.post(reverse("campaigns:console_presence"))
    assert cache.get(key) is not None

    cache.delete(key)
    assert api_as(operator).post("/api/v1/dispatch/next/").status_code == 204
    assert cache.get(key) is not None  # a dialer authenticated by token


def test_the_ping_says_whether_the_operator_is_still_working(login, operator, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    client = login(operator)
    start_work(operator, at=timezone.now())
    assert client.post(reverse("campaigns:console_presence")).json() == {"working": True}

    agent_state.note_presence(operator.pk, at=timezone.now() - dt.timedelta(minutes=16))
    agent_state.sign_off_absent()
    assert client.post(reverse("campaigns:console_presence")).json() == {"working": False}


def test_the_console_tells_a_signed_off_operator_once(login, operator, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    start_work(operator, at=timezone.now() - dt.timedelta(hours=1))
    agent_state.note_presence(operator.pk, at=timezone.now() - dt.timedelta(minutes=16))
    agent_state.sign_off_absent()
    client = login(operator)

    message = "分間応答がありませんでした"  # the page's hidden banner words it differently
    first = client.get(reverse("campaigns:console")).content.decode()
    assert message in first and 'data-state="offline"' in first
    again = client.get(reverse("campaigns:console")).content.decode()
    assert message not in again


def test_logout_signs_the_operator_off(login, operator):
    client = login(operator)
    start_work(operator, at=timezone.now() - dt.timedelta(hours=1))

    client.post(reverse("logout"))

    assert open_interval(operator) is None
    event = AuditEvent.objects.get(action="agent.signed_off_logout")
    assert event.actor == operator


def test_logout_while_offline_records_nothing(login, operator):
    login(operator).post(reverse("logout"))
    assert not AuditEvent.objects.filter(action__startswith="agent.signed_off").exists()


def test_a_held_call_keeps_its_hold_when_its_operator_is_signed_off(operator, settings):
    settings.AGENT_ABSENT_MINUTES = 15
    policy = open_around_the_clock()
    call_list = ready_list(working_campaign(operators=[operator], policy=policy))
    entry(call_list)
    start_work(operator, at=timezone.now() - dt.timedelta(minutes=30))
    held = dispatch_next(operator=operator)
    assert open_interval(operator).state == "on_call"
    agent_state.note_presence(operator.pk, at=timezone.now() - dt.timedelta(minutes=16))

    assert agent_state.sign_off_absent() == 1
    held.refresh_from_db()
    assert held.status == "held" and held.held_by == operator  # it expires or is released as usual


def test_the_kpis_give_back_the_time_after_the_last_contact(operator, settings):
    """The live rollups had counted the interval as open up to their last refresh; the sign-off
    ends it twenty minutes earlier. The next refresh recounts those hours, as the nightly
    reconciliation would."""
    from campaigns.models import KpiOperatorHour
    from campaigns.services.kpis import reconcile_kpi_rollups, refresh_kpi_rollups

    settings.AGENT_ABSENT_MINUTES = 15
    start_work(operator, at=timezone.now() - dt.timedelta(hours=2))
    agent_state.note_presence(operator.pk, at=timezone.now() - dt.timedelta(minutes=20))
    refresh_kpi_rollups()
    counted_open = sum(
        KpiOperatorHour.objects.filter(operator_id=operator.pk).values_list("logged_in_seconds", flat=True)
    )
    assert counted_open >= 2 * 3600 - 5

    assert agent_state.sign_off_absent() == 1
    refresh_kpi_rollups()

    logged_in = sum(KpiOperatorHour.objects.filter(operator_id=operator.pk).values_list("logged_in_seconds", flat=True))
    assert abs(logged_in - 100 * 60) <= 5  # two hours less the twenty minutes after the last contact
    assert reconcile_kpi_rollups().corrected == 0


def test_a_supervisor_signs_off_an_operator_who_left_the_console_open(login, client, operator, supervisor):
    start_work(operator, at=timezone.now() - dt.timedelta(hours=1))
    sv = login(supervisor)

    response = sv.post(reverse("campaigns:console_sign_off", args=[operator.pk]), follow=True)

    assert "鈴木 一郎 をサインオフしました" in response.content.decode()
    assert open_interval(operator) is None
    event = AuditEvent.objects.get(action="agent.signed_off_by_supervisor")
    assert event.actor == supervisor and event.data["operator"] == operator.pk
    again = sv.post(reverse("campaigns:console_sign_off", args=[operator.pk]), follow=True)
    assert "業務中ではない" in again.content.decode()

    client.logout()
    page = login(operator).get(reverse("campaigns:console")).content.decode()
    assert "佐藤 花子 さんが" in page  # told who


def test_only_supervisors_sign_operators_off(login, operator, operator2):
    start_work(operator2, at=timezone.now())
    response = login(operator).post(reverse("campaigns:console_sign_off", args=[operator2.pk]))
    assert response.status_code == 403
    assert open_interval(operator2) is not None
