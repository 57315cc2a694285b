"""The console page, its actions and the supervisors' board, through the Django test client."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.models import AgentStateLog, CallAttempt, CallListEntry
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.models import DoNotCall
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = pytest.mark.django_db
Status = CallListEntry.Status


@pytest.fixture
def always_open():
    """A policy open around the clock, so these tests do not depend on the hour they run."""
    return open_around_the_clock()


@pytest.fixture
def call_list(operator, always_open):
    return ready_list(working_campaign(operators=[operator], policy=always_open))


def test_console_needs_the_operator_role(client, login, supervisor, operator):
    assert client.get(reverse("campaigns:console")).status_code == 302
    assert login(supervisor).get(reverse("campaigns:console")).status_code == 403
    assert login(operator).get(reverse("campaigns:console")).status_code == 200


def test_console_is_in_the_operators_navigation(login, operator):
    page = login(operator).get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("campaigns:console")
    assert reverse("campaigns:console") in page.content.decode()


def test_start_work_break_and_stop(login, operator):
    client = login(operator)
    client.post(reverse("campaigns:console_state"), {"state": "ready"})
    client.post(reverse("campaigns:console_state"), {"state": "break", "reason": "lunch"})
    response = client.get(reverse("campaigns:console"))
    assert 'data-state="break"' in response.content.decode()
    client.post(reverse("campaigns:console_state"), {"state": "offline"})
    states = list(AgentStateLog.objects.filter(operator=operator).order_by("started_at").values_list("state", "reason"))
    assert states == [("ready", ""), ("break", "lunch")]
    assert not AgentStateLog.objects.filter(operator=operator, ended_at__isnull=True).exists()


def test_break_needs_a_reason(login, operator):
    client = login(operator)
    client.post(reverse("campaigns:console_state"), {"state": "ready"})
    response = client.post(reverse("campaigns:console_state"), {"state": "break", "reason": ""}, follow=True)
    assert AgentStateLog.objects.get(operator=operator, ended_at__isnull=True).state == "ready"
    assert response.status_code == 200


def test_next_call_shows_the_customer_card(login, operator, call_list):
    customer = CustomerFactory(
        name="山田 太郎",
        name_kana="ヤマダ タロウ",
        phone="090-1234-5678",
        tags=["vip"],
        notes="夕方の方がつながりやすい",
        purchase_count=4,
    )
    one = entry(call_list, customer=customer, phone="+819012345678")
    client = login(operator)
    response = client.post(reverse("campaigns:console_next"), follow=True)
    html = response.content.decode()
    assert "山田 太郎" in html and "ヤマダ タロウ" in html and 'href="tel:+819012345678"' in html
    assert "090-1234-5678" in html and "vip" in html and "夕方の方がつながりやすい" in html
    assert 'id="outcome-form"' in html
    one.refresh_from_db()
    assert one.status == Status.HELD and one.held_by == operator
    # Pressing "next" starts work when the operator had not.
    assert AgentStateLog.objects.get(operator=operator, ended_at__isnull=True).state == "on_call"


def test_the_call_loads_the_script_panel(login, operator, call_list):
    entry(call_list)
    html = login(operator).post(reverse("campaigns:console_next"), follow=True).content.decode()
    panel_url = reverse("campaigns:console_walk", args=[CallListEntry.objects.get().pk])
    assert f'hx-get="{panel_url}"' in html and 'id="script-panel"' in html


def test_nothing_dialable_explains_why(login, operator, call_list):
    entry(call_list, next_attempt_at=timezone.now() + dt.timedelta(hours=2))
    response = login(operator).post(reverse("campaigns:console_next"), follow=True)
    html = response.content.decode()
    assert 'data-testid="no-call"' in html and 'data-reason="on_retry"' in html


def test_log_an_outcome_and_take_the_next_call(login, operator, call_list):
    first = entry(call_list, rank=1)
    second = entry(call_list, rank=2)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    response = client.post(
        reverse("campaigns:console_outcome", args=[first.pk]),
        {
            "disposition": "no_answer",
            "notes": "呼び出しのみ",
            "client_token": "t-1",
            "talk_seconds": "0",
            "save_next": "1",
        },
    )
    assert response.status_code == 302
    attempt = CallAttempt.objects.get()
    assert (attempt.entry, attempt.notes, attempt.operator) == (first, "呼び出しのみ", operator)
    second.refresh_from_db()
    assert second.status == Status.HELD and second.held_by == operator


def test_double_submit_records_once(login, operator, call_list):
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    data = {"disposition": "busy", "client_token": "same-token"}
    client.post(reverse("campaigns:console_outcome", args=[one.pk]), data)
    client.post(reverse("campaigns:console_outcome", args=[one.pk]), data)
    assert CallAttempt.objects.count() == 1


def test_missing_outcome_and_bad_callback_keep_the_notes(login, operator, call_list):
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    response = client.post(reverse("campaigns:console_outcome", args=[one.pk]), {"notes": "大事なメモ"})
    assert response.status_code == 400 and "大事なメモ" in response.content.decode()
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("campaigns:console_outcome", args=[one.pk]),
        {"disposition": "callback", "callback_at": past, "notes": "大事なメモ"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="callback-error"' in html and "大事なメモ" in html
    assert not CallAttempt.objects.exists()


def test_callback_is_read_in_the_customers_time_zone(login, operator, call_list):
    one = entry(call_list, customer=CustomerFactory(time_zone="America/New_York"))
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    tomorrow = (timezone.now() + dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    client.post(
        reverse("campaigns:console_outcome", args=[one.pk]),
        {
            "disposition": "callback",
            "callback_at": tomorrow.strftime("%Y-%m-%dT10:00"),
            "callback_personal": "on",
        },
    )
    one.refresh_from_db()
    local = one.callback_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (10, 0) and one.assigned_operator == operator


def test_dnc_request_from_the_console(login, operator, call_list):
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    client.post(reverse("campaigns:console_outcome", args=[one.pk]), {"disposition": "refused", "dnc_request": "on"})
    assert DoNotCall.objects.filter(customer=one.customer, source="operator").exists()


def test_stale_form_after_release_gets_a_message_not_a_500(login, operator, supervisor, call_list):
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    login(supervisor).post(reverse("campaigns:console_release", args=[one.pk]))
    client = login(operator)
    response = client.post(
        reverse("campaigns:console_outcome", args=[one.pk]), {"disposition": "busy", "notes": "メモ"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "メモ" in html and 'data-testid="lost-notes"' in html
    assert not CallAttempt.objects.exists()


def test_dnc_warning_on_a_held_entry(login, operator, call_list):
    one = entry(call_list)
    dispatch_next(operator=operator)
    DoNotCallFactory(phone_number=one.phone)
    html = login(operator).get(reverse("campaigns:console")).content.decode()
    assert 'data-testid="dnc-warning"' in html


def test_board_shows_states_and_holds_and_releases(login, operator, supervisor, call_list):
    one = entry(call_list)
    login(operator).post(reverse("campaigns:console_next"))
    client = login(supervisor)
    html = client.get(reverse("campaigns:console_board")).content.decode()
    assert 'data-operator="op_suzuki"' in html and f'data-entry="{one.pk}"' in html
    client.post(reverse("campaigns:console_release", args=[one.pk]))
    one.refresh_from_db()
    assert one.status == Status.PENDING and one.held_by is None
    assert AuditEvent.objects.filter(action="dispatch.release_hold", actor=supervisor).exists()
    response = client.post(reverse("campaigns:console_release", args=[one.pk]), follow=True)
    assert response.status_code == 200  # released twice: a message, no error


def test_board_permissions(login, operator, manager):
    assert login(operator).get(reverse("campaigns:console_board")).status_code == 403
    assert login(manager).get(reverse("campaigns:console_board")).status_code == 200
    assert login(manager).post(reverse("campaigns:console_release", args=[1])).status_code == 403


def test_script_answer_problems_are_shown_above_the_form(login, operator, call_list):
    from scripts.models import Script, ScriptVersion, Step

    script = Script.objects.create(name="解約防止トーク")
    version = ScriptVersion.objects.create(script=script, number=1)
    Step.objects.create(
        version=version, key="budget", kind=Step.Kind.QUESTION, answer_type=Step.AnswerType.NUMBER, title="予算"
    )
    ScriptVersion.objects.filter(pk=version.pk).update(status=ScriptVersion.Status.PUBLISHED)
    call_list.campaign.script = script  # attempts take versions of the campaign's own scripts only
    call_list.campaign.save(update_fields=["script"])
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    response = client.post(
        reverse("campaigns:console_outcome", args=[one.pk]),
        {
            "disposition": "no_answer",
            "script_version": version.pk,
            "answers": '{"budget": "たくさん"}',
            "notes": "メモ",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "予算" in html and "メモ" in html
    assert not CallAttempt.objects.exists()
    response = client.post(
        reverse("campaigns:console_outcome", args=[one.pk]),
        {
            "disposition": "no_answer",
            "script_version": version.pk,
            "answers": '{"budget": 3000}',
        },
    )
    assert response.status_code == 302
    assert CallAttempt.objects.get().answers == {"budget": 3000}


def test_answers_the_database_cannot_store_are_a_form_error(login, operator, call_list):
    """A NUL or 1e400 (read as infinity) in the answers: jsonb refuses both (a 500 before)."""
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    for answers in ('{"budget": "a\\u0000"}', '{"budget": 1e400}'):
        response = client.post(
            reverse("campaigns:console_outcome", args=[one.pk]), {"disposition": "no_answer", "answers": answers}
        )
        assert response.status_code == 400
    assert not CallAttempt.objects.exists()


def test_no_call_is_handed_out_during_a_break(login, operator, call_list):
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_state"), {"state": "ready"})
    client.post(reverse("campaigns:console_state"), {"state": "break", "reason": "rest"})
    client.post(reverse("campaigns:console_next"))
    one.refresh_from_db()
    assert one.status == Status.PENDING


def test_the_open_console_renews_its_hold(login, operator, operator2, call_list):
    one = entry(call_list)
    client = login(operator)
    client.post(reverse("campaigns:console_next"))
    page = client.get(reverse("campaigns:console"))
    renew_url = reverse("campaigns:console_renew", args=[one.pk])
    assert f'data-renew-url="{renew_url}"' in page.content.decode()
    CallListEntry.objects.filter(pk=one.pk).update(held_until=timezone.now() + dt.timedelta(seconds=5))
    response = client.post(renew_url)
    assert response.status_code == 200 and response.json()["at_ceiling"] is False
    one.refresh_from_db()
    assert one.held_until > timezone.now() + dt.timedelta(minutes=14)
    assert response.json()["held_until_display"] == timezone.localtime(one.held_until).strftime("%H:%M")
    assert client.get(renew_url).status_code == 405
    response = login(operator2).post(renew_url)
    assert response.status_code == 409 and response.json()["detail"]
