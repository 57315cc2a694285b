"""Operator states as AgentStateLog intervals, for utilization (稼働率) and the live board.

While an operator works there is exactly one open interval (ready, on call, after-call work or
break); "offline" closes it and opens nothing, so logged-in time is the sum of the intervals.
Dispatch moves a working operator to "on call" and a logged outcome back to "ready", in their
own transactions, so the log follows the work even when it comes through the API."""
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import AgentStateLog, CallListEntry
from .locks import lock_operator

State = AgentStateLog.State

BREAK_REASONS = [
    ("rest", _("Short break")),
    ("lunch", _("Lunch")),
    ("meeting", _("Meeting")),
    ("training", _("Training")),
    ("other", _("Other")),
]


class AgentStateError(Exception):
    """A state change that is not allowed now; the message says why."""


def current_state(operator) -> AgentStateLog | None:
    """The open interval, or None when the operator is offline."""
    return AgentStateLog.objects.filter(operator=operator, ended_at__isnull=True).first()


def change_agent_state(*, operator, state: str, reason: str = "", at=None) -> AgentStateLog | None:
    """Close the open interval and open one in `state` (none for offline). Returns the open one."""
    at = at or timezone.now()
    if state not in State.values:
        raise AgentStateError(_("Unknown state."))
    reason = (reason or "").strip()[:100] if state == State.BREAK else ""
    with transaction.atomic():
        # One change of what this operator does at a time: a dispatch or an outcome moving the
        # operator to "on call"/"ready" waits, and the hold check below sees what they committed.
        lock_operator(operator.pk)
        holding = CallListEntry.objects.filter(status=CallListEntry.Status.HELD, held_by=operator).exists()
        if holding and state in (State.BREAK, State.OFFLINE, State.READY):
            raise AgentStateError(
                _("Log the outcome of the current call first (or ask a supervisor to release it).")
            )
        current = AgentStateLog.objects.select_for_update().filter(operator=operator, ended_at__isnull=True).first()
        if current and current.state == state and current.reason == reason:
            return current
        if current:
            current.ended_at = max(at, current.started_at)
            current.save(update_fields=["ended_at"])
        if state == State.OFFLINE:
            return None
        return AgentStateLog.objects.create(operator=operator, state=state, reason=reason, started_at=at)


def move_working_operator_ctes(*, operator: str, state: str, at: str, only_if: str = "true") -> str:
    """The two CTEs (closed_state, opened_state) that switch a *working* operator (one with an
    open interval) to `state` when `only_if` holds; arguments are SQL expressions. An offline
    operator (e.g. a dialer using the API) stays offline. Lets dispatch do it in its claim. The
    caller holds the operator's work lock (locks.lock_operator), taken in an earlier statement."""
    return f"""
        closed_state AS (
            UPDATE campaigns_agentstatelog SET ended_at = GREATEST({at}, started_at)
            WHERE operator_id = {operator} AND ended_at IS NULL AND state <> {state} AND {only_if}
            RETURNING id
        ),
        opened_state AS (
            INSERT INTO campaigns_agentstatelog (operator_id, state, reason, started_at)
            SELECT {operator}, {state}, '', {at} WHERE EXISTS (SELECT 1 FROM closed_state)
            RETURNING id
        )"""


def move_working_operator(*, operator_id: int, state: str, at) -> None:
    """Switch a working operator to `state`, in the caller's transaction (which holds the
    operator's work lock). One statement."""
    ctes = move_working_operator_ctes(operator="%(operator)s", state="%(state)s", at="%(at)s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {ctes} SELECT count(*) FROM opened_state",
            {"operator": operator_id, "state": state, "at": at},
        )
