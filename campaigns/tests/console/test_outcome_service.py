"""record_outcome: the append-only attempt, the entry's next state, DNC in the same transaction,
callbacks validated against the policy, idempotency, the 409 case and the customer summary."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from callcenter.models import AuditEvent
from campaigns.models import AgentStateLog, CallAttempt, CallListEntry, CampaignOutcome, Disposition
from campaigns.services.agent_state import change_agent_state
from campaigns.services.dispatch import dispatch_next, release_expired_holds, release_hold
from campaigns.services.outcomes import EntryNotHeld, record_outcome
from campaigns.tests.factories_console import (
    TOKYO,
    WEDNESDAY_2PM,
    entry,
    japan_standard,
    past_attempt,
    ready_list,
    working_campaign,
)
from contacts.models import DoNotCall
from contacts.services import dnc
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_path")]
NOW = WEDNESDAY_2PM
Status = CallListEntry.Status


def code(value):
    return Disposition.objects.get(code=value)


@pytest.fixture
def call_list(operator):
    return ready_list(working_campaign(operators=[operator], policy=japan_standard()))


@pytest.fixture
def held(operator, call_list):
    one = entry(call_list)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    return one


def log(held, operator, disposition="no_answer", **fields):
    fields.setdefault("started_at", NOW)
    fields.setdefault("ended_at", NOW + dt.timedelta(seconds=40))
    fields.setdefault("now", NOW + dt.timedelta(minutes=1))
    return record_outcome(entry=held, operator=operator, disposition=code(disposition), **fields)


def test_stores_the_attempt_and_moves_the_entry_on(held, operator):
    result = log(
        held,
        operator,
        "no_answer",
        answered_at=None,
        talk_seconds=0,
        hold_seconds=0,
        acw_seconds=25,
        reaction="",
        notes="留守電なし",
    )
    attempt = result.attempt
    assert result.created
    assert (attempt.entry, attempt.customer, attempt.campaign, attempt.operator) == (
        held,
        held.customer,
        held.campaign,
        operator,
    )
    assert (attempt.phone, attempt.attempt_number, attempt.acw_seconds, attempt.notes) == (
        held.phone,
        1,
        25,
        "留守電なし",
    )
    held.refresh_from_db()
    assert held.status == Status.PENDING and held.attempts == 1 and held.held_by is None
    assert held.last_attempt_at == NOW and held.last_disposition.code == "no_answer"
    # Provisional next attempt: the no-answer delay (240 min) beats the 120 min gap.
    assert held.next_attempt_at == NOW + dt.timedelta(minutes=240)


def test_policy_retry_delay_overrides_the_disposition_default(held, operator, call_list):
    call_list.campaign.policy.retry_delays = {"no_answer": 600}
    call_list.campaign.policy.save()
    log(held, operator, "no_answer")
    held.refresh_from_db()
    assert held.next_attempt_at == NOW + dt.timedelta(minutes=600)


def test_start_defaults_to_the_dispatch_moment(held, operator):
    result = record_outcome(entry=held, operator=operator, disposition=code("busy"), now=NOW + dt.timedelta(minutes=3))
    assert result.attempt.started_at == NOW
    assert result.attempt.ended_at == NOW + dt.timedelta(minutes=3)


@pytest.mark.parametrize(
    "disposition, status",
    [
        ("success", Status.DONE),
        ("refused", Status.DONE),
        ("invalid_number", Status.DONE),
        ("wrong_person", Status.DONE),
    ],
)
def test_final_outcomes_close_the_entry(held, operator, disposition, status):
    log(held, operator, disposition)
    held.refresh_from_db()
    assert held.status == status and held.next_attempt_at is None


def test_a_refusal_outcome_closes_the_entry_even_when_not_marked_final(held, operator):
    """A supervisor's own refusal outcome with "closes the entry" unticked: the customer who
    refused is still never called again from this list, and no callback can be set with it."""
    soft = Disposition.objects.create(
        code="refused_soft",
        label="Refused (soft)",
        label_ja="断り（弱）",
        is_contact=True,
        is_refusal=True,
        is_final=False,
    )
    CampaignOutcome.objects.create(campaign=held.campaign, disposition=soft, key="F")
    with pytest.raises(ValidationError) as refused:
        log(held, operator, "refused_soft", callback_at=NOW + dt.timedelta(days=1))
    assert "callback_at" in refused.value.message_dict
    log(held, operator, "refused_soft")
    held.refresh_from_db()
    assert held.status == Status.DONE and held.next_attempt_at is None and held.callback_at is None


def test_refusal_keeps_the_customer_out_of_the_campaigns_other_lists(held, operator, call_list):
    second_list = ready_list(call_list.campaign)
    entry(second_list, customer=held.customer)
    log(held, operator, "refused")
    assert dispatch_next(operator=operator, now=NOW + dt.timedelta(days=30)) is None


def test_reaching_max_attempts_exhausts_the_entry(held, operator):
    CallListEntry.objects.filter(pk=held.pk).update(attempts=5)
    log(held, operator, "no_answer")
    held.refresh_from_db()
    assert held.status == Status.EXHAUSTED and held.attempts == 6


def test_dnc_request_registers_and_blocks_in_the_same_transaction(held, operator, call_list):
    other_campaign_entry = entry(ready_list(working_campaign(operators=[operator])), customer=held.customer)
    log(held, operator, "hung_up", dnc_request=True, notes="二度と電話しないで")
    held.refresh_from_db()
    assert held.status == Status.BLOCKED
    registered = DoNotCall.objects.get()
    assert (registered.customer_id, registered.phone_number, registered.campaign_id) == (
        held.customer_id,
        held.phone,
        None,
    )
    assert (registered.source, registered.reason, registered.created_by) == ("operator", "customer_request", operator)
    assert dnc.is_blocked(customer=held.customer, phone=held.phone)
    other_campaign_entry.refresh_from_db()
    assert other_campaign_entry.status == Status.BLOCKED
    assert AuditEvent.objects.filter(action="dnc.create").exists()


def test_dnc_disposition_registers_without_the_checkbox(held, operator):
    log(held, operator, "dnc_request")
    held.refresh_from_db()
    assert held.status == Status.BLOCKED
    assert DoNotCall.objects.filter(customer=held.customer).exists()


def test_a_failed_outcome_registers_no_dnc(held, operator):
    """Same transaction: a refused callback time rolls the DNC back too (nothing half-saved)."""
    with pytest.raises(ValidationError):
        log(held, operator, "callback", dnc_request=False, callback_at=NOW - dt.timedelta(hours=1))
    assert not CallAttempt.objects.exists() and not DoNotCall.objects.exists()
    held.refresh_from_db()
    assert held.status == Status.HELD


# ------------------------------------------------------------------ the hold


def test_refused_when_the_operator_does_not_hold_the_entry(held, operator, operator2):
    with pytest.raises(EntryNotHeld):
        log(held, operator2, "no_answer")
    release_hold(entry_id=held.pk, by=operator, now=NOW)
    with pytest.raises(EntryNotHeld):
        log(held, operator, "no_answer")
    assert not CallAttempt.objects.exists()


def test_refused_after_the_expired_hold_was_released(held, operator):
    release_expired_holds(now=NOW + dt.timedelta(minutes=16))
    with pytest.raises(EntryNotHeld):
        log(held, operator, "no_answer", now=NOW + dt.timedelta(minutes=17))


def test_a_dnc_request_after_the_hold_expired_is_still_registered(held, operator, call_list):
    """The call outlived its hold: the attempt is refused (the entry may be with someone else),
    but the customer's request not to be called is never lost."""
    other = entry(ready_list(call_list.campaign), customer=held.customer)
    release_expired_holds(now=NOW + dt.timedelta(minutes=16))
    with pytest.raises(EntryNotHeld, match="架電禁止のご希望は登録しました"):
        log(held, operator, "hung_up", dnc_request=True, now=NOW + dt.timedelta(minutes=17))
    assert dnc.is_blocked(customer=held.customer)
    assert DoNotCall.objects.get(customer=held.customer).created_by == operator
    assert AuditEvent.objects.filter(action="dnc.create", actor=operator).exists()
    held.refresh_from_db()
    other.refresh_from_db()
    assert held.status == other.status == Status.BLOCKED
    assert CallAttempt.objects.count() == 0


def test_a_call_starting_in_the_future_is_refused(held, operator):
    """A start after "now" would hide the call from the gap and cap checks of other entries."""
    with pytest.raises(ValidationError) as refused:
        log(
            held,
            operator,
            "no_answer",
            started_at=NOW + dt.timedelta(days=1),
            ended_at=NOW + dt.timedelta(days=1, minutes=1),
            now=NOW + dt.timedelta(minutes=1),
        )
    assert "started_at" in refused.value.message_dict
    log(
        held,
        operator,
        "no_answer",
        started_at=NOW + dt.timedelta(minutes=2),
        ended_at=NOW + dt.timedelta(minutes=3),
        now=NOW + dt.timedelta(minutes=1),
    )  # a client clock a little ahead is fine


def test_a_call_starting_before_its_dispatch_is_refused(held, operator):
    """A console on a PC whose clock is a day behind: the call would land before the gap and
    per-day checks that allowed it. Refused, nothing stored; a little skew is fine."""
    with pytest.raises(ValidationError) as refused:
        log(
            held,
            operator,
            "no_answer",
            started_at=NOW - dt.timedelta(days=1),
            ended_at=NOW - dt.timedelta(days=1) + dt.timedelta(minutes=1),
            now=NOW + dt.timedelta(minutes=1),
        )
    assert "割り当てられる前" in refused.value.message_dict["started_at"][0]
    assert CallAttempt.objects.count() == 0
    log(
        held,
        operator,
        "no_answer",
        started_at=NOW - dt.timedelta(minutes=1),
        ended_at=NOW + dt.timedelta(minutes=1),
        now=NOW + dt.timedelta(minutes=1),
    )


def test_same_client_token_twice_records_once(held, operator):
    first = log(held, operator, "busy", client_token="abc")
    second = log(held, operator, "busy", client_token="abc")
    assert first.attempt.pk == second.attempt.pk and not second.created
    assert CallAttempt.objects.count() == 1


def test_a_token_of_another_operator_is_refused(held, operator, operator2):
    log(held, operator, "busy", client_token="abc")
    with pytest.raises(EntryNotHeld):
        record_outcome(entry=held, operator=operator2, disposition=code("busy"), client_token="abc", now=NOW)


def test_a_token_reused_for_another_call_is_refused_not_reported_as_saved(held, operator, call_list):
    log(held, operator, "busy", client_token="abc")
    other = entry(call_list, rank=5)
    assert dispatch_next(operator=operator, now=NOW + dt.timedelta(minutes=2)).pk == other.pk
    with pytest.raises(ValidationError) as refused:
        log(other, operator, "no_answer", client_token="abc", now=NOW + dt.timedelta(minutes=3))
    assert "client_token" in refused.value.message_dict
    other.refresh_from_db()
    assert other.status == Status.HELD and CallAttempt.objects.filter(entry=other).count() == 0


# ------------------------------------------------------------------ callbacks (rules 1, 3, 4)


def tomorrow_at(hour, minute=0):
    return dt.datetime(2026, 11, 26, hour, minute, tzinfo=TOKYO)


def test_personal_callback(held, operator):
    log(held, operator, "callback", callback_at=tomorrow_at(10), callback_personal=True)
    held.refresh_from_db()
    assert held.status == Status.CALLBACK and held.callback_at == tomorrow_at(10)
    assert held.assigned_operator == operator and held.next_attempt_at == tomorrow_at(10)


def test_shared_callback_with_a_non_final_outcome(held, operator):
    log(held, operator, "busy", callback_at=tomorrow_at(15))
    held.refresh_from_db()
    assert held.status == Status.CALLBACK and held.assigned_operator is None


def messages_for(held, operator, disposition="callback", **fields):
    with pytest.raises(ValidationError) as caught:
        log(held, operator, disposition, **fields)
    return " ".join(caught.value.message_dict.get("callback_at", []))


def test_callback_needs_a_time(held, operator):
    assert "Pick a date" in messages_for(held, operator) or "日時" in messages_for(held, operator)


def test_callback_outside_the_window_says_so_and_suggests_the_next_opening(held, operator):
    message = messages_for(held, operator, callback_at=tomorrow_at(20, 30))
    assert "09:00" in message and "20:00" in message
    # The suggestion keeps the 2-hour gap after this call (started 14:00): today 16:00.
    assert "2026/11/25 16:00" in message


def test_callback_at_the_closing_time_is_refused(held, operator):
    """The window is [09:00, 20:00): 20:00 itself is already outside calling hours."""
    message = messages_for(held, operator, callback_at=tomorrow_at(20, 0))
    assert "09:00" in message and "20:00" in message
    log(held, operator, "callback", callback_at=tomorrow_at(19, 59))


def test_callback_hours_are_the_customers_local_time(operator, call_list):
    """A New York customer: 22:00 in New York (noon in Tokyo) is refused as outside hours in
    the customer's zone; 10:00 in New York (midnight in Tokyo) is accepted."""
    from campaigns.tests.factories_console import NEW_YORK

    one = entry(call_list, customer=CustomerFactory(time_zone="America/New_York"))
    morning = dt.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)
    assert dispatch_next(operator=operator, now=morning).pk == one.pk
    fields = dict(
        started_at=morning, ended_at=morning + dt.timedelta(seconds=40), now=morning + dt.timedelta(minutes=1)
    )
    message = messages_for(one, operator, callback_at=dt.datetime(2026, 11, 25, 22, 0, tzinfo=NEW_YORK), **fields)
    assert "America/New_York" in message
    next_morning = dt.datetime(2026, 11, 26, 10, 0, tzinfo=NEW_YORK)
    log(one, operator, "callback", callback_at=next_morning, **fields)
    one.refresh_from_db()
    assert one.status == Status.CALLBACK and one.callback_at == next_morning


def test_callback_on_a_holiday_is_refused(held, operator, call_list):
    policy = call_list.campaign.policy
    policy.weekdays = [0, 1, 2, 3, 4, 5, 6]
    policy.save()
    message = messages_for(held, operator, callback_at=dt.datetime(2027, 1, 1, 11, 0, tzinfo=TOKYO))
    assert "元日" in message or "New Year" in message


def test_callback_on_a_disallowed_weekday_is_refused(held, operator):
    assert messages_for(held, operator, callback_at=dt.datetime(2026, 11, 29, 11, 0, tzinfo=TOKYO))


def test_callback_sooner_than_the_minimum_gap_is_refused(held, operator):
    message = messages_for(held, operator, callback_at=NOW + dt.timedelta(minutes=90))
    assert "120" in message


def test_callback_in_the_past_is_refused(held, operator):
    assert messages_for(held, operator, callback_at=NOW - dt.timedelta(minutes=5))


def test_callback_beyond_max_attempts_is_refused(held, operator):
    CallListEntry.objects.filter(pk=held.pk).update(attempts=5)
    assert "6" in messages_for(held, operator, callback_at=tomorrow_at(10))


def test_callback_over_the_cross_campaign_cap_is_refused(held, operator):
    other = working_campaign(operators=[])
    past_attempt(customer=held.customer, campaign=other, at=NOW - dt.timedelta(days=2))
    past_attempt(customer=held.customer, campaign=other, at=NOW - dt.timedelta(days=1))
    # With this call the customer has 3 calls in 7 days: tomorrow is over the cap; a week later
    # (once the oldest left the window) is fine.
    assert messages_for(held, operator, callback_at=tomorrow_at(10))
    log(held, operator, "callback", callback_at=NOW + dt.timedelta(days=5, hours=1))


def test_callback_and_dnc_request_conflict(held, operator):
    assert messages_for(held, operator, "callback", callback_at=tomorrow_at(10), dnc_request=True)


def test_callback_with_a_final_outcome_is_refused(held, operator):
    assert messages_for(held, operator, "success", callback_at=tomorrow_at(10))


# ------------------------------------------------------------------ side effects


def test_customer_history_summary(held, operator):
    log(held, operator, "no_answer")
    customer = held.customer
    customer.refresh_from_db()
    assert (customer.attempt_count, customer.consecutive_no_contact, customer.last_disposition) == (1, 1, "no_answer")
    assert customer.last_attempt_at == NOW and customer.last_contact_at is None
    CallListEntry.objects.filter(pk=held.pk).update(status=Status.DONE)
    second_list = ready_list(held.campaign)
    again = entry(second_list, customer=customer)
    later = NOW + dt.timedelta(days=1)
    assert dispatch_next(operator=operator, now=later).pk == again.pk
    record_outcome(
        entry=again,
        operator=operator,
        disposition=code("callback"),
        reaction="interested",
        started_at=later,
        ended_at=later,
        callback_at=later + dt.timedelta(hours=3),
        now=later,
    )
    customer.refresh_from_db()
    assert (
        customer.attempt_count,
        customer.consecutive_no_contact,
        customer.last_disposition,
        customer.last_reaction,
    ) == (2, 0, "callback", "interested")
    assert customer.last_contact_at == later


def test_operator_goes_back_to_ready(held, operator):
    AgentStateLog.objects.filter(operator=operator).delete()
    change_agent_state(operator=operator, state="on_call", at=NOW)
    log(held, operator, "busy")
    assert AgentStateLog.objects.get(operator=operator, ended_at__isnull=True).state == "ready"


def test_script_answers_are_stored_and_validated(held, operator, call_list):
    from scripts.models import Script, ScriptVersion, Step

    script = Script.objects.create(name="初回購入者向け")
    version = ScriptVersion.objects.create(script=script, number=1)
    Step.objects.create(version=version, key="intro", kind=Step.Kind.SAY, is_disclosure=True, title="名乗り")
    Step.objects.create(
        version=version, key="age", kind=Step.Kind.QUESTION, answer_type=Step.AnswerType.NUMBER, title="年齢"
    )
    ScriptVersion.objects.filter(pk=version.pk).update(status=ScriptVersion.Status.PUBLISHED)
    with pytest.raises(ValidationError) as caught:
        log(held, operator, "no_answer", script_version=version.pk, answers={"age": "forty"})
    assert caught.value.message_dict["answers"]
    result = log(held, operator, "no_answer", script_version=version.pk, answers={"age": 42, "intro": True})
    assert result.attempt.script_version == version and result.attempt.answers == {"age": 42, "intro": True}


@pytest.mark.parametrize("prepared", [True, False])
def test_dispatch_and_outcome_with_and_without_prepared_statements(request, settings, operator, call_list, prepared):
    """DB_PREPARED_STATEMENTS=0 (a transaction-mode pooler) runs the same statements unprepared;
    with them on, the second cycle executes what the first one prepared (same results)."""
    from django.db import connection

    if prepared and request.getfixturevalue("database_path") == "pgbouncer":
        # Prepared statements through a transaction-mode pooler are the setup the setting exists
        # to rule out: they would stay on PgBouncer's shared server connection for later clients.
        pytest.skip("prepared statements are switched off behind a transaction-mode pooler")

    def statements():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'cc\\_%%'")
            return cursor.fetchone()[0]

    settings.CALLCENTER_PREPARED_STATEMENTS = prepared
    before = statements()
    first, second = entry(call_list, rank=1), entry(call_list, rank=2)
    for expected in (first, second):
        got = dispatch_next(operator=operator, now=NOW)
        assert got.pk == expected.pk
        log(got, operator, "no_answer")
        got.refresh_from_db()
        assert got.status == Status.PENDING and got.attempts == 1
    if prepared:
        assert statements() > 0
    else:
        assert statements() == before, "nothing is prepared when switched off"


def test_a_call_longer_than_the_first_hold_is_saved_when_renewed(held, operator):
    """A 40-minute conversation: the console renewed the hold, so the outcome is saved and, with
    no start given, the attempt starts at the dispatch (not at the last renewal)."""
    from campaigns.services.dispatch import renew_hold

    for minute in (10, 20, 30):
        renew_hold(entry_id=held.pk, operator=operator, now=NOW + dt.timedelta(minutes=minute))
    release_expired_holds(now=NOW + dt.timedelta(minutes=40))
    result = record_outcome(
        entry=held,
        operator=operator,
        disposition=code("no_answer"),
        ended_at=NOW + dt.timedelta(minutes=40),
        now=NOW + dt.timedelta(minutes=40),
    )
    assert result.attempt.started_at == NOW
    held.refresh_from_db()
    assert held.held_at is None and held.held_until is None


def test_the_admin_can_neither_edit_entries_nor_add_attempts(login, admin_user, held):
    """Setting an entry's attempts back to 0 in the admin would get round the maximum per entry
    without a trace, and a typed-in attempt would count towards the rules as a real call."""
    from django.urls import reverse

    client = login(admin_user)
    change_url = reverse("admin:campaigns_calllistentry_change", args=[held.pk])
    assert client.get(change_url).status_code == 200  # still readable
    assert client.post(change_url, {"attempts": "0", "status": "pending"}).status_code == 403
    assert client.get(reverse("admin:campaigns_calllistentry_add")).status_code == 403
    assert client.get(reverse("admin:campaigns_callattempt_add")).status_code == 403
    held.refresh_from_db()
    assert held.status == Status.HELD
