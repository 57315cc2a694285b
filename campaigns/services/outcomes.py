"""Logging the outcome of an attempt: `record_outcome`, used by the console and
`POST /api/v1/attempts/`.

In one transaction: the append-only CallAttempt; the entry's new state (closed by a final or
do-not-call outcome, exhausted at the policy's max attempts, a callback at the time the customer
asked for, or back to pending with a provisional next attempt); a do-not-call entry when the
customer asked for it (and every other open entry of that customer blocked); the customer's
call-history summary; the operator back to "ready". After the commit a Celery task computes the
real next attempt time (scheduling.schedule_retry).

Idempotent by `client_token`: the same token again returns the attempt already recorded (a
double click, a retried request). Logging for an entry the operator does not hold (hold expired
and released, released by a supervisor, taken by someone else) raises EntryNotHeld: 409 in the
API, a message in the console, nothing recorded.

When the call's events were recorded on the server (campaigns.services.call_events: the
softphone, the console's buttons, an external dialer), the attempt's start, answer, end, ring,
talk, hold and after-call-work seconds come from them, and the client's timings are ignored.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from contacts.models import DoNotCall
from contacts.services import dnc, history
from scripts.services import disclosure_confirmed_in, validate_answers

from ..locks import lock_operator_sql
from ..models import AgentStateLog, AttemptToken, CallAttempt, CallingPolicy, CallListEntry, Campaign, Disposition
from . import call_events, debts, prepared, scheduling
from .agent_state import move_working_operator_ctes

Status = CallListEntry.Status


NOT_HELD_MESSAGE = gettext_lazy(
    "This customer is no longer assigned to you (the hold expired or a supervisor released it). Nothing was saved."
)


class EntryNotHeld(Exception):
    """The operator does not hold the entry (any more)."""


@dataclass
class OutcomeResult:
    attempt: CallAttempt
    entry: CallListEntry
    created: bool  # False when the client_token had already been recorded


def _format_local(moment: dt.datetime, tz) -> str:
    return formats.date_format(moment.astimezone(tz).replace(tzinfo=None), "SHORT_DATETIME_FORMAT")


def callback_problems(*, entry, at: dt.datetime, now: dt.datetime, attempt_at: dt.datetime | None = None) -> list[str]:
    """Why a callback at `at` would break a calling rule (docs/rules.md#callbacks: the rules apply to
    callbacks too); an empty list when it is allowed. `attempt_at` is the attempt being logged
    now, which already counts towards the limits."""
    policy = entry.campaign.policy
    customer = entry.customer
    tz = scheduling.zone(customer.time_zone)
    if policy is None or tz is None:
        return [
            _(
                "This customer cannot be called back: the campaign has no calling policy or the customer's time zone "
                "is unknown."
            )
        ]
    if at <= now:
        return [_("The callback time is in the past.")]
    if entry.campaign.ends_on and at.astimezone(tz).date() > entry.campaign.ends_on:
        return [
            _("The campaign ends on %(date)s; pick an earlier callback time.")
            % {"date": formats.date_format(entry.campaign.ends_on)}
        ]
    attempts_after = entry.attempts + (1 if attempt_at else 0)
    if attempts_after >= policy.max_attempts:
        return [
            _("This customer has had the maximum of %(n)s calls in this campaign; no callback can be scheduled.")
            % {"n": policy.max_attempts}
        ]
    gap = dt.timedelta(minutes=policy.min_gap_minutes or 0)
    lookback = max(dt.timedelta(days=max(policy.cap_days or 0, 2)), gap)
    calls = scheduling.load_call_history(entry=entry, since=now - lookback)
    if attempt_at:
        calls.attempt_times.append(attempt_at)
        calls.entry_attempt_times.append(attempt_at)
    past = [t for t in calls.attempt_times if t <= now]
    earliest = max([now] + [max(past) + gap] if past else [now])
    suggestion = scheduling.earliest_allowed_time(
        policy=policy,
        zone_name=customer.time_zone,
        earliest=earliest,
        history=calls,
        apply_cooloff=False,
    )
    hint = ""
    if suggestion:
        hint = " " + _("The earliest possible time is %(time)s (customer's local time).") % {
            "time": _format_local(suggestion, tz)
        }
    if not scheduling.is_callable_at(policy, customer.time_zone, at):
        local = at.astimezone(tz)
        closed = scheduling.closed_day_reason(policy, local.date(), get_language() or "")
        if closed:
            return [closed + hint]
        return [
            _("Outside calling hours: %(start)s–%(end)s in the customer's local time (%(zone)s).")
            % {
                "start": f"{policy.call_window_start:%H:%M}",
                "end": f"{policy.call_window_end:%H:%M}",
                "zone": customer.time_zone,
            }
            + hint
        ]
    if at < earliest:
        return [_("At least %(n)s minutes must pass between two calls.") % {"n": policy.min_gap_minutes} + hint]
    allowed = scheduling.earliest_allowed_time(
        policy=policy,
        zone_name=customer.time_zone,
        earliest=at,
        history=calls,
        apply_cooloff=False,
    )
    if allowed != at:
        return [_("That time would exceed the daily or cross-campaign call limit.") + hint]
    return []


# How far a client's clock may run ahead of the server's before a call time is refused.
CLOCK_TOLERANCE = dt.timedelta(minutes=2)


def _validate(
    *,
    entry,
    operator,
    disposition,
    offered,
    callback_at,
    dnc_request,
    started_at,
    answered_at,
    ended_at,
    script_version,
    answers,
    disclosure_confirmed,
    promised_on,
    promised_amount,
    now,
) -> dict:
    errors: dict[str, list] = {}
    if not disposition.active:
        errors.setdefault("disposition", []).append(_("This outcome is no longer in use."))
    elif not offered:
        # Only the campaign's own set (campaigns.services.outcome_sets) is offered in its console.
        errors.setdefault("disposition", []).append(_("This outcome is not one of this campaign's outcomes."))
    if started_at > now + CLOCK_TOLERANCE:
        # A start in the future would hide this call from the gap, per-day and cap checks of the
        # customer's other entries (they count calls started up to "now").
        errors.setdefault("started_at", []).append(_("The call cannot start in the future."))
    elif entry.held_at and started_at < entry.held_at - CLOCK_TOLERANCE:
        # Nobody dials before the dispatch: a start that early comes from a wrong clock, and
        # would put the call before the gap and per-day checks that allowed it.
        errors.setdefault("started_at", []).append(_("The call cannot start before the customer was assigned to you."))
    if answered_at and answered_at < started_at:
        errors.setdefault("answered_at", []).append(_("The call cannot be answered before it started."))
    if ended_at < (answered_at or started_at):
        errors.setdefault("ended_at", []).append(_("The call cannot end before it started."))
    wants_dnc = dnc_request or disposition.adds_dnc
    if disposition.is_callback and not callback_at and not wants_dnc:
        errors.setdefault("callback_at", []).append(_("Pick a date and time for the callback."))
    if callback_at:
        if wants_dnc:
            errors.setdefault("callback_at", []).append(
                _("The customer asked not to be called: a callback cannot be scheduled.")
            )
        elif disposition.closes_entry:
            errors.setdefault("callback_at", []).append(
                _("This outcome closes the entry: a callback cannot be scheduled with it.")
            )
        else:
            problems = callback_problems(entry=entry, at=callback_at, now=now, attempt_at=started_at)
            if problems:
                errors.setdefault("callback_at", []).extend(problems)
    if script_version is not None:
        # The customer lets branches on customer fields be followed.
        messages = validate_answers(
            version=script_version, answers=answers or {}, disposition=disposition, customer=entry.customer
        )
        if messages:
            errors.setdefault("answers", []).extend(messages)
    policy = entry.campaign.policy
    if policy is not None and policy.disclosure_required and disposition.is_contact and not disclosure_confirmed:
        errors.setdefault("disclosure_confirmed", []).append(str(DISCLOSURE_MISSING_MESSAGE))
    if disposition.is_promise_to_pay:
        for field, messages in debts.promise_problems(
            entry=entry, promised_on=promised_on, promised_amount=promised_amount, now=now
        ).items():
            errors.setdefault(field, []).extend(messages)
    elif promised_on is not None or promised_amount is not None:
        errors.setdefault("promised_on", []).append(
            _("A promised date and amount go with a promise-to-pay outcome only.")
        )
    return errors


DISCLOSURE_MISSING_MESSAGE = gettext_lazy(
    "This campaign requires the mandatory disclosure (特定商取引法 Art. 16): confirm that you stated the company, "
    "your name, the product and that this is a sales call before logging a conversation."
)


def record_outcome(
    *,
    entry,
    operator,
    disposition: Disposition,
    started_at: dt.datetime | None = None,
    answered_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    talk_seconds: int = 0,
    hold_seconds: int = 0,
    acw_seconds: int = 0,
    reaction: str = "",
    notes: str = "",
    callback_at: dt.datetime | None = None,
    callback_personal: bool = False,
    dnc_request: bool = False,
    script_version=None,
    answers: dict | None = None,
    disclosure_confirmed: bool | None = None,
    promised_on: dt.date | None = None,
    promised_amount=None,
    client_token: str | None = None,
    now: dt.datetime | None = None,
) -> OutcomeResult:
    """Record one attempt on a held entry and move the entry on (see the module docstring).
    Raises EntryNotHeld, or ValidationError({field: [messages]}) for input the rules refuse."""
    now = now or timezone.now()
    entry_id = getattr(entry, "pk", entry)
    client_token = (client_token or "").strip() or None
    if script_version is not None and not hasattr(script_version, "pk"):
        from scripts.models import ScriptVersion

        script_version = ScriptVersion.objects.filter(pk=script_version).first()
        if script_version is None:
            raise ValidationError({"script_version": [_("Unknown script version.")]})
    try:
        with transaction.atomic():
            # The customer row is loaded only if a callback needs its time zone.
            entry, offered = _lock_entry(entry_id, operator_id=operator.pk, disposition_id=disposition.pk)
            if entry.status != Status.HELD or entry.held_by_id != operator.pk:
                # Recorded before, or by a twin request we waited for? (While the entry is still
                # held by this operator, a token recorded before can only be a replay after a new
                # hold: the unique token then refuses the INSERT and the except below replays.)
                done = _replay(client_token, operator, entry_id) if client_token else None
                if done:
                    return done
                raise EntryNotHeld(NOT_HELD_MESSAGE)
            held_at = entry.held_at
            call = call_events.call_state(entry, now=now)
            server_timed = {"ring_seconds": 0, "sip_status": None}
            if call.has_events:
                # The call's events on the server time it, not the client's timers.
                server_timed = call.timings()
                started_at = server_timed.pop("started_at") or started_at
                answered_at = server_timed.pop("answered_at")
                ended_at = server_timed.pop("ended_at")
                talk_seconds = server_timed.pop("talk_seconds")
                hold_seconds = server_timed.pop("hold_seconds")
                acw_seconds = server_timed.pop("acw_seconds")
            started_at = started_at or entry.held_at or now
            ended_at = ended_at or now
            # Confirmed by the operator's tick on the script's disclosure step, or stated outright
            # (a console without a script, an API client).
            disclosure_confirmed = bool(disclosure_confirmed) or disclosure_confirmed_in(
                version=script_version, answers=answers
            )
            errors = _validate(
                entry=entry,
                operator=operator,
                disposition=disposition,
                offered=offered,
                callback_at=callback_at,
                dnc_request=dnc_request,
                started_at=started_at,
                answered_at=answered_at,
                ended_at=ended_at,
                script_version=script_version,
                answers=answers,
                disclosure_confirmed=disclosure_confirmed,
                promised_on=promised_on,
                promised_amount=promised_amount,
                now=now,
            )
            if errors:
                raise ValidationError(errors)
            attempt = _store(
                entry=entry,
                operator=operator,
                disposition=disposition,
                started_at=started_at,
                answered_at=answered_at,
                ended_at=ended_at,
                talk_seconds=talk_seconds,
                hold_seconds=hold_seconds,
                acw_seconds=acw_seconds,
                reaction=reaction,
                notes=notes,
                callback_at=callback_at,
                callback_personal=callback_personal,
                dnc_request=dnc_request,
                script_version=script_version,
                answers=answers,
                disclosure_confirmed=disclosure_confirmed,
                promised_on=promised_on if disposition.is_promise_to_pay else None,
                promised_amount=promised_amount if disposition.is_promise_to_pay else None,
                client_token=client_token,
                now=now,
                **server_timed,
            )
            if call.has_events:
                call_events.attach_to_attempt(entry_id=entry.pk, held_at=held_at, attempt_id=attempt.pk)
    except IntegrityError:
        # The same client_token committed by a twin request on another entry: report that one.
        done = _replay(client_token, operator, entry_id) if client_token else None
        if done:
            return done
        raise
    except EntryNotHeld:
        # The call outlived its hold: the attempt cannot be stored on an entry that may be back in
        # the queue, but a do-not-call request must never be lost (rule 1 wins over everything).
        if (dnc_request or disposition.adds_dnc) and _register_dnc_after_lost_hold(entry_id, operator, now):
            raise EntryNotHeld(
                _(
                    "This customer is no longer assigned to you (the hold expired or a supervisor released it). "
                    "The call was not saved, but the customer's do-not-call request was registered."
                )
            ) from None
        raise
    return OutcomeResult(attempt=attempt, entry=attempt.entry, created=True)


def _register_dnc_after_lost_hold(entry_id, operator, now) -> bool:
    """Register the request of an entry the operator no longer holds, when it belongs to one of
    the operator's campaigns (the operator may have called it). True when registered."""
    entry = CallListEntry.objects.select_related("campaign").filter(pk=entry_id).first()
    if entry is None or not entry.campaign.operators.filter(pk=operator.pk).exists():
        return False
    with transaction.atomic():
        _register_dnc_request(entry=entry, operator=operator, now=now)
        CallListEntry.objects.filter(pk=entry.pk, status__in=[Status.PENDING, Status.CALLBACK]).update(
            status=Status.BLOCKED, next_attempt_at=None, updated_at=now
        )
    return True


def token_recorded(client_token: str) -> bool:
    """Whether an outcome was already logged with this client token (a replay of it is answered
    with that attempt, whatever else the request got wrong)."""
    return AttemptToken.objects.filter(token=client_token).exists()


def _replay(client_token: str, operator, entry_id) -> OutcomeResult | None:
    # A cheap probe of the token table's primary key first: almost every token is new.
    with connection.cursor() as cursor:
        cursor.execute("SELECT attempt_id FROM campaigns_attempttoken WHERE token = %s", [client_token])
        row = cursor.fetchone()
    if row is None:
        return None
    attempt = CallAttempt.objects.select_related("entry").get(pk=row[0])
    if attempt.operator_id != operator.pk:
        raise EntryNotHeld(_("This request token was already used by another operator."))
    if attempt.entry_id != int(entry_id):
        # Not a repeat of this request but a reused token: saying "saved" would lose this call.
        raise ValidationError(
            {"client_token": [_("This request token was already used for another call. Nothing was saved.")]}
        )
    return OutcomeResult(attempt=attempt, entry=attempt.entry, created=False)


def _lock_entry(entry_id, *, operator_id, disposition_id) -> tuple[CallListEntry, bool]:
    """The entry, locked until the end of the transaction (waits for other holders), with its
    campaign and policy, and whether the campaign's outcome set offers the disposition: one plain
    SQL statement (the ORM's select_related cost more than the statement itself on this path),
    after the operator's work lock in the same round trip (the outcome moves the operator back to
    "ready")."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            LOCK_SQL,
            {"entry": entry_id, "disposition": disposition_id},
            before=lock_operator_sql(operator_id),
        )
        row = cursor.fetchone()
    if row is None:
        raise CallListEntry.DoesNotExist("CallListEntry matching query does not exist.")
    entry_end = len(_ENTRY_FIELDS)
    campaign_end = entry_end + len(_CAMPAIGN_FIELDS)
    entry = prepared.model_from_row(CallListEntry, _ENTRY_FIELDS, row[:entry_end])
    campaign = prepared.model_from_row(Campaign, _CAMPAIGN_FIELDS, row[entry_end:campaign_end])
    policy = None
    if row[campaign_end] is not None:
        policy = prepared.model_from_row(CallingPolicy, _POLICY_FIELDS, row[campaign_end:-1])
    campaign._state.fields_cache["policy"] = policy
    entry._state.fields_cache["campaign"] = campaign
    return entry, bool(row[-1])


_ENTRY_FIELDS = CallListEntry._meta.concrete_fields
_CAMPAIGN_FIELDS = Campaign._meta.concrete_fields
_POLICY_FIELDS = CallingPolicy._meta.concrete_fields
LOCK_SQL = (
    "SELECT "
    + ", ".join(
        [f"e.{f.column}" for f in _ENTRY_FIELDS]
        + [f"k.{f.column}" for f in _CAMPAIGN_FIELDS]
        + [f"p.{f.column}" for f in _POLICY_FIELDS]
        + [
            "EXISTS (SELECT 1 FROM campaigns_campaignoutcome o"
            " WHERE o.campaign_id = e.campaign_id AND o.disposition_id = %(disposition)s)"
        ]
    )
    + " FROM campaigns_calllistentry e JOIN campaigns_campaign k ON k.id = e.campaign_id"
    " LEFT JOIN campaigns_callingpolicy p ON p.id = k.policy_id WHERE e.id = %(entry)s FOR UPDATE OF e"
)

# The attempt's columns (all but the id) and the entry columns an outcome changes.
_ATTEMPT_FIELDS = [f for f in CallAttempt._meta.concrete_fields if not f.primary_key]
_ENTRY_UPDATE = [
    "attempts",
    "last_attempt_at",
    "last_disposition",
    "held_by",
    "held_until",
    "held_at",
    "callback_at",
    "assigned_operator",
    "next_attempt_at",
    "status",
    "updated_at",
]
_ENTRY_UPDATE_FIELDS = [CallListEntry._meta.get_field(name) for name in _ENTRY_UPDATE]
# One statement: the attempt and its client token, the entry's new state, the customer's call
# summary and the operator back to "ready".
STORE_SQL = f"""
    WITH attempt AS (
        INSERT INTO campaigns_callattempt ({", ".join(f.column for f in _ATTEMPT_FIELDS)})
        VALUES ({", ".join(f"%(a_{f.column})s" for f in _ATTEMPT_FIELDS)})
        RETURNING id
    ),
    -- The token is unique here, not on the partitioned attempts: a second request with the same
    -- token fails on this row (after the first commits) and replays the first attempt.
    token AS (
        INSERT INTO campaigns_attempttoken (token, attempt_id, created_at)
        SELECT %(a_client_token)s, id, %(at)s FROM attempt WHERE %(a_client_token)s IS NOT NULL
    ),
    entry AS (
        UPDATE campaigns_calllistentry SET {", ".join(f"{f.column} = %(e_{f.column})s" for f in _ENTRY_UPDATE_FIELDS)}
        WHERE id = %(entry)s RETURNING id
    ),
    summary AS ({
    history.RECORD_CALL_SQL.format(
        customer="%(a_customer_id)s",
        at="%(a_started_at)s",
        code="%(summary_code)s",
        reaction="%(a_reaction)s",
        reached="%(summary_reached)s",
    )
} RETURNING id),
    {move_working_operator_ctes(operator="%(operator)s", state="%(state)s", at="%(at)s")}
    SELECT id FROM attempt"""


def _store(
    *,
    entry,
    operator,
    disposition,
    started_at,
    answered_at,
    ended_at,
    talk_seconds,
    hold_seconds,
    acw_seconds,
    reaction,
    notes,
    callback_at,
    callback_personal,
    dnc_request,
    script_version,
    answers,
    disclosure_confirmed,
    promised_on,
    promised_amount,
    client_token,
    now,
    ring_seconds=0,
    sip_status=None,
) -> CallAttempt:
    policy = entry.campaign.policy
    attempt = CallAttempt(
        entry=entry,
        call_list_id=entry.call_list_id,
        campaign_id=entry.campaign_id,
        customer_id=entry.customer_id,
        operator=operator,
        phone=entry.phone,
        attempt_number=entry.attempts + 1,
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        ring_seconds=max(0, int(ring_seconds or 0)),
        sip_status=sip_status,
        talk_seconds=max(0, int(talk_seconds or 0)),
        hold_seconds=max(0, int(hold_seconds or 0)),
        acw_seconds=max(0, int(acw_seconds or 0)),
        disposition=disposition,
        reaction=reaction or "",
        notes=notes or "",
        callback_at=callback_at,
        callback_personal=bool(callback_at and callback_personal),
        script_version=script_version,
        answers=answers or {},
        disclosure_confirmed=disclosure_confirmed,
        promised_on=promised_on,
        promised_amount=promised_amount,
        client_token=client_token,
    )
    attempt.take_meaning_from(disposition)
    wants_dnc = dnc_request or disposition.adds_dnc
    entry.attempts += 1
    entry.last_attempt_at = started_at
    entry.last_disposition = disposition
    entry.held_by = None
    entry.held_until = None
    entry.held_at = None
    entry.callback_at = None
    entry.assigned_operator = None
    entry.next_attempt_at = None
    if wants_dnc:
        entry.status = Status.BLOCKED
    elif disposition.closes_entry:
        entry.status = Status.DONE
    elif callback_at:
        entry.status = Status.CALLBACK
        entry.callback_at = callback_at
        entry.next_attempt_at = callback_at
        entry.assigned_operator = operator if callback_personal else None
    elif policy is not None and entry.attempts >= policy.max_attempts:
        entry.status = Status.EXHAUSTED
    else:
        entry.status = Status.PENDING
        # Provisional: never sooner than the retry delay and minimum gap (and the rest a promise
        # to pay gives). The Celery task moves it to the first moment every rule allows; dispatch
        # checks every rule anyway.
        if policy is not None:
            entry.next_attempt_at = scheduling.retry_floor(policy, disposition, started_at)
            if promised_on is not None:
                rest = debts.rest_after(promised_on, entry.customer.time_zone)
                entry.next_attempt_at = max(entry.next_attempt_at, rest) if rest else entry.next_attempt_at
        entry_id = entry.pk
        # robust: the outcome is committed; a broker that is away must not turn it into an error
        # page (Django logs the failure). The entry keeps the provisional time above, and
        # dispatch checks every rule at the claim anyway.
        transaction.on_commit(lambda: _enqueue_retry(entry_id), robust=True)
    entry.updated_at = timezone.now()
    params = {
        "entry": entry.pk,
        "operator": operator.pk,
        "state": AgentStateLog.State.READY,
        "at": now,
        "summary_code": disposition.code,
        "summary_reached": disposition.is_contact,
    }
    for field in _ATTEMPT_FIELDS:
        params[f"a_{field.column}"] = field.get_db_prep_save(field.pre_save(attempt, True), connection)
    for field in _ENTRY_UPDATE_FIELDS:
        params[f"e_{field.column}"] = field.get_db_prep_save(getattr(entry, field.attname), connection)
    with connection.cursor() as cursor:
        prepared.execute(cursor, STORE_SQL, params)
        attempt.pk = cursor.fetchone()[0]
    attempt._state.adding = False
    attempt._state.db = connection.alias
    if wants_dnc:
        _register_dnc_request(entry=entry, operator=operator, now=now)
    if promised_on is not None:
        debts.open_promise(attempt=attempt)
    return attempt


def _enqueue_retry(entry_id: int) -> None:
    from ..tasks.console import schedule_entry_retry

    schedule_entry_retry.delay(entry_id)


def _register_dnc_request(*, entry, operator, now) -> None:
    """The customer asked not to be called: register the number and the customer globally, and
    block every other open entry of this customer at once (dispatch would refuse them anyway)."""
    dnc.register_dnc(
        by=operator,
        reason=DoNotCall.Reason.CUSTOMER_REQUEST,
        source=DoNotCall.Source.OPERATOR,
        phone=entry.phone,
        customer=entry.customer_id,
        note=_("Asked during a call (campaign: %(campaign)s)") % {"campaign": entry.campaign.name},
    )
    CallListEntry.objects.filter(customer_id=entry.customer_id, status__in=[Status.PENDING, Status.CALLBACK]).exclude(
        pk=entry.pk
    ).update(status=Status.BLOCKED, next_attempt_at=None, updated_at=now)
