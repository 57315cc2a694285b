"""Claim and lock paths under real concurrency: threads, each with its own PostgreSQL connection,
racing on the same rows (docs/rules.md#no-double-dial, the limits, idempotent outcomes, hold release)."""

import datetime as dt
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from campaigns.models import CallAttempt, CallListEntry, Disposition
from campaigns.services import outcomes
from campaigns.services.dispatch import (
    DispatchError,
    HoldLost,
    dispatch_next,
    release_expired_holds,
    release_hold,
    renew_hold,
)
from campaigns.services.outcomes import EntryNotHeld, record_outcome
from campaigns.tests.factories import CallingPolicyFactory
from campaigns.tests.factories_console import WEDNESDAY_2PM, entry, ready_list, working_campaign
from conftest import another_transaction, race
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("database_path")]
NOW = WEDNESDAY_2PM
Status = CallListEntry.Status


def make_operators(n, prefix="race_op"):
    group = Group.objects.get(name="Operator")
    users = []
    for i in range(n):
        user = get_user_model().objects.create_user(username=f"{prefix}{i:02d}", password="x")
        user.groups.add(group)
        users.append(user)
    return users


def test_32_operators_racing_never_get_the_same_entry(reference_data):
    operators = make_operators(32)
    call_list = ready_list(working_campaign(operators=operators))
    entries = [entry(call_list, rank=i) for i in range(12)]

    results = race([lambda op=op: dispatch_next(operator=op, now=NOW) for op in operators])

    assert not [r for r in results if isinstance(r, Exception)], results
    claimed = [r.pk for r in results if r is not None]
    assert len(claimed) == len(set(claimed)) == len(entries)
    held = CallListEntry.objects.filter(status=Status.HELD)
    assert held.count() == 12
    assert len(set(held.values_list("held_by", flat=True))) == 12


def test_one_operator_pressing_next_eight_times_at_once_holds_one_entry(reference_data):
    """A double click or a retried API call: every press returns the same entry."""
    (operator,) = make_operators(1, prefix="double_click")
    call_list = ready_list(working_campaign(operators=[operator]))
    for i in range(10):
        entry(call_list, rank=i)

    results = race([lambda: dispatch_next(operator=operator, now=NOW) for _ in range(8)])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.pk for r in results}) == 1
    assert CallListEntry.objects.filter(status=Status.HELD, held_by=operator).count() == 1


def test_two_campaigns_racing_never_exceed_the_cross_campaign_cap(reference_data, monkeypatch):
    """Five customers in two campaigns; cap 2 calls in 7 days; no retry delay, so every entry is
    due again at once. 16 operators dial until nothing is dialable. Only the dispatch rule stands
    between them and the cap (the retry scheduler is switched off here to prove exactly that)."""
    monkeypatch.setattr(outcomes, "_enqueue_retry", lambda entry_id: None)
    policy = CallingPolicyFactory(
        cap_attempts=2,
        cap_days=7,
        max_attempts=6,
        max_attempts_per_day=6,
        min_gap_minutes=0,
        retry_delays={"no_answer": 0},
    )
    operators = make_operators(16)
    campaign_a = working_campaign(operators=operators[:8], policy=policy)
    campaign_b = working_campaign(operators=operators[8:], policy=policy)
    list_a, list_b = ready_list(campaign_a), ready_list(campaign_b)
    customers = [CustomerFactory() for _ in range(5)]
    for customer in customers:
        entry(list_a, customer=customer)
        entry(list_b, customer=customer)
    no_answer = Disposition.objects.get(code="no_answer")

    def work(operator):
        dialed = 0
        for _ in range(400):
            got = dispatch_next(operator=operator, now=NOW)
            if got is None:
                # A customer whose other entry is on a call now is skipped, and dialable again
                # once that call ends: stop only when nobody is on a call any more.
                if CallListEntry.objects.filter(status=Status.HELD).exists():
                    time.sleep(0.005)
                    continue
                break
            record_outcome(entry=got, operator=operator, disposition=no_answer, started_at=NOW, ended_at=NOW, now=NOW)
            dialed += 1
        return dialed

    results = race([lambda op=op: work(op) for op in operators])
    assert not [r for r in results if isinstance(r, Exception)], results
    # A worker may give up while another one's hold is not committed yet (it saw nothing held):
    # one operator of each campaign then dials what is left, alone. Whatever the race left
    # dialable is dialed; an entry it wrongly pushed back or closed stays short of the cap.
    results += [work(operators[0]), work(operators[8])]

    per_customer = Counter(CallAttempt.objects.values_list("customer_id", flat=True))
    assert sum(results) == sum(per_customer.values()) == 10, (results, per_customer)
    assert all(per_customer[c.pk] == 2 for c in customers), per_customer


def test_double_submit_with_one_client_token_records_one_attempt(reference_data):
    operator = make_operators(1)[0]
    call_list = ready_list(working_campaign(operators=[operator]))
    held = entry(call_list)
    dispatch_next(operator=operator, now=NOW)
    busy = Disposition.objects.get(code="busy")

    def submit():
        return record_outcome(
            entry=held.pk,
            operator=operator,
            disposition=busy,
            notes="話し中",
            client_token="tok-123",
            started_at=NOW,
            ended_at=NOW + dt.timedelta(seconds=30),
            now=NOW,
        )

    results = race([submit for _ in range(8)])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert CallAttempt.objects.filter(client_token="tok-123").count() == 1
    assert len({r.attempt.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    held.refresh_from_db()
    assert held.attempts == 1


def test_release_and_outcome_racing_never_both_win(reference_data):
    operators = make_operators(2)
    operator, supervisor = operators
    call_list = ready_list(working_campaign(operators=[operator]))
    no_answer = Disposition.objects.get(code="no_answer")
    for round_number in range(6):
        one = entry(call_list, rank=round_number)
        assert dispatch_next(operator=operator, now=NOW).pk == one.pk
        results = race(
            [
                lambda one=one: record_outcome(
                    entry=one.pk, operator=operator, disposition=no_answer, started_at=NOW, ended_at=NOW, now=NOW
                ),
                lambda one=one: release_hold(entry_id=one.pk, by=supervisor, now=NOW),
            ]
        )
        outcome, release = results
        won = [not isinstance(outcome, Exception), not isinstance(release, Exception)]
        assert won.count(True) == 1, results
        assert isinstance(outcome, (outcomes.OutcomeResult, EntryNotHeld))
        assert isinstance(release, (CallListEntry, DispatchError))
        assert CallAttempt.objects.filter(entry=one).count() == (1 if won[0] else 0)
        CallListEntry.objects.filter(pk=one.pk).update(status=Status.DONE)


def test_a_customer_another_dispatch_is_deciding_about_is_skipped(reference_data):
    """Deterministic check of the customer dispatch lock: while another transaction holds it (it
    is about to claim this customer's entry in another campaign), the customer is skipped."""
    from campaigns.locks import try_lock_customer_for_dispatch

    operator = make_operators(1)[0]
    call_list = ready_list(working_campaign(operators=[operator]))
    one = entry(call_list)

    with another_transaction(lambda: try_lock_customer_for_dispatch(one.customer_id)) as locked:
        assert locked
        assert dispatch_next(operator=operator, now=NOW) is None
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk


def test_an_entry_row_locked_elsewhere_is_stepped_over_without_waiting(reference_data):
    """SKIP LOCKED (rule 2): an entry whose row another transaction has locked (an outcome, a
    retry being scheduled, a claim in progress) is stepped over at once; dispatch never queues
    behind it. With a plain SELECT the hold UPDATE would wait for that lock (here: hit the lock
    timeout) instead of handing out the next entry."""
    operator = make_operators(1)[0]
    call_list = ready_list(working_campaign(operators=[operator]))
    first, second = entry(call_list, rank=0), entry(call_list, rank=1)

    with another_transaction(lambda: list(CallListEntry.objects.select_for_update().filter(pk=first.pk))):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            got = dispatch_next(operator=operator, now=NOW)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert got is not None and got.pk == second.pk
    first.refresh_from_db()
    assert first.status == Status.PENDING


def test_an_outcome_waits_for_the_expiry_beat_and_then_finds_the_hold_gone(reference_data):
    """The expiry beat puts a hold back (not committed yet) while the operator logs the call: the
    outcome must wait for it on the entry's row lock and then refuse (EntryNotHeld), never
    overwrite an entry that is back in the queue (and may be another operator's by then). The
    beat commits once the outcome waits for it."""
    operator = make_operators(1)[0]
    call_list = ready_list(working_campaign(operators=[operator]))
    one = entry(call_list)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    expired = NOW + dt.timedelta(minutes=16)

    with another_transaction(lambda: release_expired_holds(now=expired), commit_once_waited_on=True) as released:
        assert released == 1
        with pytest.raises(EntryNotHeld):
            record_outcome(
                entry=one.pk,
                operator=operator,
                disposition=Disposition.objects.get(code="no_answer"),
                started_at=NOW,
                ended_at=NOW,
                now=expired,
            )
    assert not CallAttempt.objects.filter(entry=one).exists()
    one.refresh_from_db()
    assert (one.status, one.attempts, one.held_by_id) == (Status.PENDING, 0, None)


def test_renewals_racing_the_expiry_beat_leave_no_half_released_hold(reference_data):
    """Sixteen operators renew holds that just expired while the beat releases expired holds:
    each hold is either renewed and still theirs, or released with HoldLost, never a mix (a
    renewed expiry on an entry back in the queue, or a released entry its operator still logs)."""
    operators = make_operators(16, prefix="renew_op")
    call_list = ready_list(working_campaign(operators=operators))
    for i in range(16):
        entry(call_list, rank=i)
    held = {op.pk: dispatch_next(operator=op, now=NOW).pk for op in operators}
    expired = NOW + dt.timedelta(minutes=16)

    def renew(op):
        try:
            return renew_hold(entry_id=held[op.pk], operator=op, now=expired).held_until
        except HoldLost:
            return "lost"

    workers = [lambda op=op: renew(op) for op in operators] + [lambda: release_expired_holds(now=expired)] * 2
    results = race(workers)

    assert not [r for r in results if isinstance(r, Exception)], results
    released = results[-2] + results[-1]
    outcomes_by_operator = dict(zip((op.pk for op in operators), results[:16]))
    assert released == sum(1 for r in outcomes_by_operator.values() if r == "lost")
    for operator_id, entry_id in held.items():
        row = CallListEntry.objects.get(pk=entry_id)
        if outcomes_by_operator[operator_id] == "lost":
            assert (row.status, row.held_by_id, row.held_until, row.held_at) == (Status.PENDING, None, None, None)
        else:
            assert row.status == Status.HELD and row.held_by_id == operator_id
            assert row.held_until == expired + dt.timedelta(minutes=15) == outcomes_by_operator[operator_id]


def test_state_changes_racing_dispatch_and_outcome_keep_one_open_interval(reference_data):
    """The operator presses state buttons while the same operator's dispatches and outcomes move
    them to "on call" and back to "ready" (other transactions). Every path takes the operator's
    work lock, so however they interleave no press fails (no deadlock, no second open interval
    refused by the database) and exactly one interval stays open."""
    from campaigns.models import AgentStateLog
    from campaigns.services.agent_state import change_agent_state

    (operator,) = make_operators(1, prefix="state_race")
    call_list = ready_list(working_campaign(operators=[operator]))
    for i in range(50):
        entry(call_list, rank=i)
    # A final outcome queues no retry task: a worker left running by an earlier test would
    # otherwise still be writing when this test's tables are flushed.
    success = Disposition.objects.get(code="success")
    change_agent_state(operator=operator, state="ready")
    rounds = 40

    def press_buttons():
        for i in range(rounds):
            # After-call work and "on call" are allowed while a call is held.
            change_agent_state(operator=operator, state="acw" if i % 2 else "on_call")
        return "ok"

    def work_calls():
        for i in range(rounds):
            now = NOW + dt.timedelta(seconds=i)
            held = dispatch_next(operator=operator, now=now)
            record_outcome(entry=held, operator=operator, disposition=success, client_token=f"state-race-{i}", now=now)
        return "ok"

    results = race([press_buttons, work_calls])
    assert results == ["ok", "ok"]
    assert CallAttempt.objects.filter(operator=operator).count() == rounds
    assert AgentStateLog.objects.filter(operator=operator, ended_at__isnull=True).count() == 1
