"""The events of a call in progress, kept on the server (`record_call_event`), the call's state
derived from them (`call_state`), and the timings an attempt stores (`CallState.timings`).

Events come from the console's softphone (SIP mode), from its manual buttons (tel: mode) and from
external dialers through `POST /api/v1/calls/{entry}/events/`. They are timed by the server's
clock when they arrive, so a reload, a second window or a closed tab changes nothing, and ring,
talk and hold seconds never depend on a browser.

One hold is one call: the events of an entry's current hold (its `held_at`) follow one dial from
"dialing" to "hung up" or "failed". A second dial in the same hold is refused: the operator logs
the outcome of the first one, and dispatch decides whether and when the customer is called again.

"dialing" re-checks the customer against the do-not-call registry and every calling rule at that
moment, with dispatch's own SQL (`dispatch.rules_sql`): the console never dials what dispatch
would refuse now, however long the card has been on screen.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import CallEvent, CallListEntry, Disposition
from . import dispatch

Kind = CallEvent.Kind

# The outcome a SIP failure suggests, for the operator to confirm (RFC 3261 final responses).
SUGGESTED_OUTCOMES = {
    486: "busy",  # Busy Here
    600: "busy",  # Busy Everywhere
    480: "no_answer",  # Temporarily Unavailable (no answer, phone off)
    408: "no_answer",  # Request Timeout (rang out)
    487: "no_answer",  # Request Terminated (given up while ringing)
    404: "invalid_number",  # Not Found
    484: "invalid_number",  # Address Incomplete
    410: "invalid_number",  # Gone
    604: "invalid_number",  # Does Not Exist Anywhere
}


class CallEventRefused(Exception):
    """The event is not possible now (the call is not in a state it applies to, the entry is not
    the operator's, or the rules refuse the dial). The message says why."""


class DialRefused(CallEventRefused):
    """The do-not-call registry or a calling rule refuses the dial now."""


NOT_HELD = gettext_lazy("This customer is no longer assigned to you (the hold expired or a supervisor released it).")


@dataclass
class CallState:
    """A call as its events tell it, at `now`."""

    LABELS = {
        "idle": gettext_lazy("Not dialed"),
        "dialing": gettext_lazy("Dialing"),
        "ringing": gettext_lazy("Ringing"),
        "talking": gettext_lazy("Talking"),
        "on_hold": gettext_lazy("On hold"),
        "ended": gettext_lazy("After-call work"),
        "failed": gettext_lazy("Not connected"),
    }

    phase: str  # idle, dialing, ringing, talking, on_hold, ended, failed
    now: dt.datetime
    dialed_at: dt.datetime | None = None
    ringing_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    hold_since: dt.datetime | None = None
    closed_hold: dt.timedelta = dt.timedelta()
    sip_status: int | None = None

    @property
    def has_events(self) -> bool:
        return self.phase != "idle"

    @property
    def label(self) -> str:
        return str(self.LABELS[self.phase])

    @property
    def on_the_line(self) -> bool:
        return self.phase in ("talking", "on_hold")

    def _end(self) -> dt.datetime:
        return self.ended_at or self.now

    def hold(self) -> dt.timedelta:
        return self.closed_hold + ((self._end() - self.hold_since) if self.hold_since else dt.timedelta())

    def talk(self) -> dt.timedelta:
        if self.answered_at is None:
            return dt.timedelta()
        return max(dt.timedelta(), self._end() - self.answered_at - self.hold())

    def ring(self) -> dt.timedelta:
        start = self.dialed_at or self.ringing_at
        if start is None:
            return dt.timedelta()
        return max(dt.timedelta(), (self.answered_at or self._end()) - start)

    @property
    def talk_seconds_display(self) -> str:
        return _clock(self.talk())

    @property
    def hold_seconds_display(self) -> str:
        return _clock(self.hold())

    def after_call_work(self) -> dt.timedelta:
        return (self.now - self.ended_at) if self.ended_at else dt.timedelta()

    @property
    def suggested_outcome(self) -> str | None:
        """The outcome the SIP failure suggests, when that outcome is in use."""
        code = SUGGESTED_OUTCOMES.get(self.sip_status or 0) if self.phase == "failed" else None
        return code if code and Disposition.objects.filter(code=code, active=True).exists() else None

    def timings(self) -> dict:
        """What the attempt stores (record_outcome's arguments), from the events alone."""
        return {
            "started_at": self.dialed_at or self.ringing_at or self.answered_at,
            "answered_at": self.answered_at,
            "ended_at": self._end(),
            "ring_seconds": _seconds(self.ring()),
            "talk_seconds": _seconds(self.talk()),
            "hold_seconds": _seconds(self.hold()),
            "acw_seconds": _seconds(self.after_call_work()),
            "sip_status": self.sip_status if self.phase == "failed" else None,
        }

    def payload(self) -> dict:
        """For the console and the API: the phase, and durations measured by the server (the page
        turns them into timers on its own clock, so a wrong client clock does not matter)."""

        def ago(moment):
            return None if moment is None else int((self.now - moment).total_seconds() * 1000)

        return {
            "phase": self.phase,
            "dialed_ms_ago": ago(self.dialed_at),
            "answered_ms_ago": ago(self.answered_at),
            "ended_ms_ago": ago(self.ended_at),
            "hold_since_ms_ago": ago(self.hold_since),
            "closed_hold_ms": int(self.closed_hold.total_seconds() * 1000),
            "ring_seconds": _seconds(self.ring()),
            "talk_seconds": _seconds(self.talk()),
            "hold_seconds": _seconds(self.hold()),
            "sip_status": self.sip_status,
            "suggested_outcome": self.suggested_outcome,
        }


def _clock(delta: dt.timedelta) -> str:
    seconds = _seconds(delta)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _seconds(delta: dt.timedelta) -> int:
    return max(0, round(delta.total_seconds()))


def fold(events, now: dt.datetime) -> CallState:
    """The state after `events` (kind, at, sip_status), in the order they happened."""
    state = CallState(phase="idle", now=now)
    for kind, at, sip_status in events:
        if kind == Kind.DIALING:
            state.phase, state.dialed_at = "dialing", at
        elif kind == Kind.RINGING:
            state.phase, state.ringing_at = "ringing", at
        elif kind == Kind.ANSWERED:
            state.phase, state.answered_at = "talking", at
        elif kind == Kind.HELD:
            state.phase, state.hold_since = "on_hold", at
        elif kind == Kind.RESUMED:
            state.closed_hold += at - state.hold_since
            state.phase, state.hold_since = "talking", None
        elif kind in (Kind.HUNG_UP, Kind.FAILED):
            if state.hold_since is not None:
                state.closed_hold += at - state.hold_since
                state.hold_since = None
            state.ended_at = at
            state.phase = "failed" if kind == Kind.FAILED else "ended"
            state.sip_status = sip_status
    return state


# From which phases each event may come (a repeat of the event that made the phase is a no-op).
ALLOWED_FROM = {
    Kind.DIALING: {"idle"},
    Kind.RINGING: {"dialing"},
    Kind.ANSWERED: {"idle", "dialing", "ringing"},
    Kind.HELD: {"talking"},
    Kind.RESUMED: {"on_hold"},
    Kind.HUNG_UP: {"idle", "dialing", "ringing", "talking", "on_hold"},
    Kind.FAILED: {"idle", "dialing", "ringing"},
}
REPEATS = {
    Kind.DIALING: {"dialing", "ringing"},
    Kind.RINGING: {"ringing"},
    Kind.ANSWERED: {"talking", "on_hold"},
    Kind.HELD: {"on_hold"},
    Kind.RESUMED: {"talking"},
    Kind.HUNG_UP: {"ended", "failed"},
    Kind.FAILED: {"failed", "ended"},
}


def _events_of_hold(entry_id: int, held_at) -> list[tuple]:
    return list(
        CallEvent.objects.filter(entry_id=entry_id, held_at=held_at)
        .order_by("at", "id")
        .values_list("kind", "at", "sip_status")
    )


def call_state(entry, *, now=None) -> CallState:
    """The state of the call on `entry`'s current hold (idle when nothing happened yet)."""
    now = now or timezone.now()
    if entry.held_at is None:
        return CallState(phase="idle", now=now)
    return fold(_events_of_hold(entry.pk, entry.held_at), now)


def states_of(entries, *, now=None) -> dict[int, CallState]:
    """The call state of each held entry (by id), in one query: the supervisors' live board."""
    now = now or timezone.now()
    entries = [entry for entry in entries if entry.held_at is not None]
    if not entries:
        return {}
    holds = {(entry.pk, entry.held_at) for entry in entries}
    events: dict[int, list] = {entry.pk: [] for entry in entries}
    rows = (
        CallEvent.objects.filter(entry_id__in=[entry.pk for entry in entries])
        .order_by("at", "id")
        .values_list("entry_id", "held_at", "kind", "at", "sip_status")
    )
    for entry_id, held_at, kind, at, sip_status in rows:
        if (entry_id, held_at) in holds:
            events[entry_id].append((kind, at, sip_status))
    return {entry_id: fold(found, now) for entry_id, found in events.items()}


def record_call_event(
    *, entry_id: int, operator, kind: str, sip_status: int | None = None, source: str, now=None
) -> CallState:
    """Record what just happened to the call on the entry `operator` holds, timed by the server,
    and return the call's state. A repeat of the last event changes nothing (a double click, a
    retried request). Raises CallEventRefused (DialRefused for a dial the rules refuse)."""
    now = now or timezone.now()
    if kind not in Kind.values:
        raise CallEventRefused(_("Unknown call event."))
    with transaction.atomic():
        # Events of one call queue on the entry's row, so two windows cannot both dial.
        entry = (
            CallListEntry.objects.select_for_update(of=("self",))
            .select_related("campaign__policy")
            .filter(pk=entry_id, status=CallListEntry.Status.HELD, held_by=operator)
            .first()
        )
        if entry is None:
            raise CallEventRefused(NOT_HELD)
        state = fold(_events_of_hold(entry.pk, entry.held_at), now)
        if state.phase in REPEATS[kind]:
            return state
        if state.phase not in ALLOWED_FROM[kind]:
            raise CallEventRefused(_refusal(kind, state))
        if kind == Kind.DIALING:
            check_dialable(entry=entry, now=now)
        CallEvent.objects.create(
            entry=entry,
            held_at=entry.held_at,
            operator=operator,
            kind=kind,
            sip_status=sip_status if kind in (Kind.FAILED, Kind.HUNG_UP) else None,
            source=source,
            at=now,
        )
        return fold([*_events_of_hold(entry.pk, entry.held_at)], now)


def _refusal(kind: str, state: CallState) -> str:
    if state.phase in ("ended", "failed"):
        return _("This call has ended: log its outcome first.")
    if kind == Kind.DIALING:
        return _("A call to this customer is already in progress.")
    if kind in (Kind.HELD, Kind.RESUMED):
        return _("Only a call that was answered can be put on hold or resumed.")
    return _("That is not possible in the call's current state.")


def check_dialable(*, entry, now) -> None:
    """Raise DialRefused unless dispatch would hand this entry out now: the do-not-call registry
    (its own message), then every calling rule, with dispatch's SQL for the entry and its customer."""
    policy = entry.campaign.policy
    if policy is None:
        raise DialRefused(_("The campaign has no calling policy: nobody can be dialed."))
    zones = dispatch.open_zones_param(policy, now)
    dnc_sql = dispatch.dnc_blocked_sql(
        at="%(now)s", campaign="e.campaign_id", customer="e.customer_id", phone="e.phone"
    )
    rules = dispatch.rules_sql(policy, zones_param="zones", callback=entry.callback_at is not None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT {dnc_sql},
                       k.status = 'active' AND l.status = 'ready' AND {rules}
                  FROM campaigns_calllistentry e
                  JOIN contacts_customer c ON c.id = e.customer_id
                  JOIN campaigns_campaign k ON k.id = e.campaign_id
                  JOIN campaigns_calllist l ON l.id = e.call_list_id
                 WHERE e.id = %(entry)s""",
            {"now": now, "zones": zones, "entry": entry.pk},
        )
        blocked, dialable = cursor.fetchone()
    if blocked:
        raise DialRefused(
            _("This number is on the do-not-call registry now. Do not dial; log the outcome or leave the call.")
        )
    if not dialable:
        raise DialRefused(
            _(
                "The calling rules do not allow this call now (calling hours, limits, gap or cool-off changed since it "
                "was assigned). Do not dial; leave the call or log its outcome."
            )
        )


def attach_to_attempt(*, entry_id: int, held_at, attempt_id: int) -> None:
    """Link the hold's events to the attempt logged for it (same transaction as the attempt)."""
    CallEvent.objects.filter(entry_id=entry_id, held_at=held_at, attempt__isnull=True).update(attempt_id=attempt_id)
