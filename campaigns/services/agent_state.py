"""Operator states as AgentStateLog intervals, for utilization (稼働率) and the live board.

While an operator works there is exactly one open interval (ready, on call, after-call work or
break); "offline" closes it and opens nothing, so logged-in time is the sum of the intervals.
Dispatch moves a working operator to "on call" and a logged outcome back to "ready", in their
own transactions, so the log follows the work even when it comes through the API.

Nobody stays "working" after leaving: logging out signs the operator off, and an operator the
product has not heard from for AGENT_ABSENT_MINUTES (the console page pings every
AGENT_PRESENCE_PING_SECONDS while it is open; console actions and the operator API count too) is
signed off as of the last contact by `sign_off_absent` (Celery beat). A closed tab, a crashed
browser or a forgotten "stop work" would otherwise count as logged-in time for hours and show a
ghost on the live board."""

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callcenter import cache_safely

from ..locks import lock_operator
from ..models import AgentStateLog, CallListEntry

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
            raise AgentStateError(_("Log the outcome of the current call first (or ask a supervisor to release it)."))
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


# ------------------------------------------------------------------ presence


def _presence_key(operator_id: int) -> str:
    return f"console:seen:{int(operator_id)}"


def _notice_key(operator_id: int) -> str:
    return f"console:signed-off:{int(operator_id)}"


def absent_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.AGENT_ABSENT_MINUTES)


def note_presence(operator_id: int, *, at=None) -> None:
    """The operator is here (a console ping or action, an operator API call). Best effort: the
    console must keep working while Redis is away (the sweep, a Celery task, is away with it)."""
    # Kept a day: long after the sweep would have signed an absent operator off.
    cache_safely.set(_presence_key(operator_id), at or timezone.now(), timeout=24 * 3600)


SIGNED_OFF_AT_LOGOUT = "agent.signed_off_logout"  # audit actions
SIGNED_OFF_ABSENT = "agent.signed_off_absent"  # audit action
SIGNED_OFF_BY_SUPERVISOR = "agent.signed_off_by_supervisor"  # audit action


def sign_off(*, operator_id: int, at, action: str, by=None) -> bool:
    """Close the operator's open interval at `at` (never before it began), in the operator's
    lock. True when there was one to close. A held entry stays held: its hold expires or is
    released as usual."""
    from callcenter.audit import record_event

    with transaction.atomic():
        lock_operator(operator_id)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE campaigns_agentstatelog SET ended_at = GREATEST(%(at)s, started_at)"
                " WHERE operator_id = %(operator)s AND ended_at IS NULL RETURNING id, state, ended_at",
                {"operator": operator_id, "at": at},
            )
            closed = cursor.fetchone()
        if closed is None:
            return False
        if closed[2] < timezone.now() - dt.timedelta(minutes=1):
            from .kpis import agent_time_rewritten_since

            agent_time_rewritten_since(closed[2])
        record_event(
            actor=by,
            action=action,
            summary=f"Operator {operator_id} signed off",
            operator=operator_id,
            state=closed[1],
            at=closed[2].isoformat(),
        )
    return True


def sign_off_absent(*, now=None) -> int:
    """Celery beat: sign off every working operator not heard from for AGENT_ABSENT_MINUTES, as
    of the last contact. An operator with no recorded contact (Redis emptied, or working since
    before an upgrade) gets a full period from now. Returns how many were signed off."""
    now = now or timezone.now()
    working = list(AgentStateLog.objects.filter(ended_at__isnull=True).values_list("operator_id", flat=True))
    seen = cache.get_many([_presence_key(operator_id) for operator_id in working])
    unknown = {}
    signed_off = 0
    for operator_id in working:
        last_seen = seen.get(_presence_key(operator_id))
        if last_seen is None:
            unknown[_presence_key(operator_id)] = now
        elif now - last_seen > absent_after() and _sign_off_if_still_absent(operator_id, now=now):
            signed_off += 1
    if unknown:
        cache.set_many(unknown, timeout=24 * 3600)
    return signed_off


def _sign_off_if_still_absent(operator_id: int, *, now) -> bool:
    last_seen = cache.get(_presence_key(operator_id))  # a ping may have come in meanwhile
    if last_seen is None or now - last_seen <= absent_after():
        return False
    if not sign_off(operator_id=operator_id, at=last_seen, action=SIGNED_OFF_ABSENT):
        return False
    _leave_notice(operator_id, at=last_seen, by="")
    return True


def sign_off_by_supervisor(*, operator, by) -> bool:
    """A supervisor ends an operator's working time now (gone home with the console left open);
    the operator is told on the next look at the console. False when the operator was not working."""
    now = timezone.now()
    if not sign_off(operator_id=operator.pk, at=now, action=SIGNED_OFF_BY_SUPERVISOR, by=by):
        return False
    from callcenter.templatetags.callcenter_tags import display_name

    _leave_notice(operator.pk, at=now, by=display_name(by))
    return True


def _leave_notice(operator_id: int, *, at, by: str) -> None:
    # Lost with Redis: the console's banner still tells the operator.
    cache_safely.set(_notice_key(operator_id), {"at": at, "by": by}, timeout=7 * 24 * 3600)


def pop_sign_off_notice(operator_id: int) -> dict | None:
    """How the operator was signed off since the last look, if so: {"at": when the working time
    stopped, "by": the supervisor's name, or "" when for absence}."""
    key = _notice_key(operator_id)
    notice = cache_safely.get(key)
    if notice is not None:
        cache_safely.delete(key)
    return notice


def is_working(operator_id: int) -> bool:
    return AgentStateLog.objects.filter(operator_id=operator_id, ended_at__isnull=True).exists()
