"""Read-side queries of operator work: the operator's lists, the held entry, what the console
shows about a customer, why nothing is dialable, and the supervisors' live board."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from callcenter.held_calls import HeldCall
from contacts.phones import format_national
from contacts.services import dnc

from ..models import AgentStateLog, CallAttempt, CallingPolicy, CallList, CallListEntry, Campaign, Debt

Status = CallListEntry.Status


@dataclass(frozen=True)
class ListScope:
    """One list an operator may dial now, with its campaign's calling policy."""

    list_id: int
    campaign_id: int
    priority: int
    policy: CallingPolicy
    # For dispatch, so it skips empty tiers: is a callback / a retry due in this list now? And the
    # entry the operator already holds, if any.
    due_callbacks: bool = False
    due_retries: bool = False
    held_entry_id: int | None = None


# Every column: a policy built from this row is used for scheduling (_park), which reads them all.
POLICY_FIELDS = CallingPolicy._meta.concrete_fields


DISPATCH_SCOPE_SQL = f"""
            SELECT l.id, l.campaign_id, l.priority,
                   EXISTS (SELECT 1 FROM campaigns_calllistentry cb WHERE cb.status = 'callback'
                           AND cb.callback_at <= %(now)s AND cb.call_list_id = l.id) AS due_callbacks,
                   EXISTS (SELECT 1 FROM campaigns_calllistentry rt WHERE rt.call_list_id = l.id AND rt.status =
                       'pending'
                           AND rt.attempts > 0 AND rt.next_attempt_at <= %(now)s) AS due_retries,
                   (SELECT h.id FROM campaigns_calllistentry h WHERE h.status = 'held'
                    AND h.held_by_id = %(operator)s LIMIT 1) AS held_entry_id,
                   {", ".join(f"p.{field.column}" for field in POLICY_FIELDS)}
            FROM campaigns_calllist l
            JOIN campaigns_campaign k ON k.id = l.campaign_id
            JOIN campaigns_callingpolicy p ON p.id = k.policy_id
            WHERE l.status = 'ready' AND k.status = 'active'
              AND (k.starts_on IS NULL OR k.starts_on <= %(today)s) AND (k.ends_on IS NULL OR k.ends_on >= %(today)s)
              AND EXISTS (SELECT 1 FROM campaigns_campaign_operators co WHERE co.campaign_id = k.id AND co.user_id =
                  %(operator)s)
              AND (NOT EXISTS (SELECT 1 FROM campaigns_calllist_operators lo WHERE lo.calllist_id = l.id)
                   OR EXISTS (SELECT 1 FROM campaigns_calllist_operators lo WHERE lo.calllist_id = l.id AND lo.user_id
                       = %(operator)s))
              AND (l.required_skill = '' OR EXISTS (
                   SELECT 1 FROM campaigns_operatorprofile op WHERE op.user_id = %(operator)s AND l.required_skill =
                   ANY(op.skills)))
            ORDER BY l.priority DESC, l.id
"""


def dispatch_scope(operator, now=None, *, before: str = "") -> list[ListScope]:
    """The lists this operator may work now, highest priority first: ready lists of active
    campaigns (with a policy, inside their dates) the operator is assigned to, restricted by the
    list's own operators (none = all of the campaign) and its required skill. One query (it runs
    on every press of "next call"); `before` (dispatch's operator lock) goes in its round trip."""
    from ..services import prepared

    now = now or timezone.now()
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            DISPATCH_SCOPE_SQL,
            {"today": timezone.localdate(now), "operator": operator.pk, "now": now},
            before=before,
        )
        rows = cursor.fetchall()
    policies = {}
    scope = []
    for list_id, campaign_id, priority, due_callbacks, due_retries, held_entry_id, *policy_values in rows:
        if campaign_id not in policies:
            policies[campaign_id] = prepared.model_from_row(CallingPolicy, POLICY_FIELDS, policy_values)
        scope.append(
            ListScope(list_id, campaign_id, priority, policies[campaign_id], due_callbacks, due_retries, held_entry_id)
        )
    return scope


def dispatchable_lists(operator, now=None) -> list[CallList]:
    """The lists of dispatch_scope as model instances (with campaign and policy), same order."""
    ids = [item.list_id for item in dispatch_scope(operator, now)]
    by_id = CallList.objects.select_related("campaign__policy").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def held_by(operator):
    """Entries this operator holds (at most one)."""
    return CallListEntry.objects.filter(status=Status.HELD, held_by=operator)


def held_entry(operator, entry_id: int | None = None) -> CallListEntry | None:
    """The entry this operator holds now (at most one), with what the console shows; with
    `entry_id`, that entry only if the operator holds it. The one definition of "holds": a hold
    past its time that the expiry beat has not put back yet is still the operator's (dispatch
    gives a held entry to nobody else, and renewing it works). Every console page, panel and API
    call that takes an entry id answers through this, so nobody reads another's customer."""
    entries = held_by(operator)
    if entry_id is not None:
        entries = entries.filter(pk=entry_id)
    return entries.select_related("campaign__policy", "campaign__script", "call_list", "customer").first()


def held_call(operator) -> HeldCall | None:
    """The customer and number of the call this operator holds (for contacts and scripts, which
    cannot import campaigns: see callcenter.held_calls)."""
    row = held_by(operator).values_list("customer_id", "phone").first()
    return HeldCall(customer_id=row[0], phone=row[1]) if row else None


# ------------------------------------------------------------------ the customer card


def customer_attempts(customer, limit: int = 50):
    """Every earlier attempt with this customer, newest first (all campaigns)."""
    return (
        CallAttempt.objects.filter(customer=customer)
        .select_related("disposition", "campaign", "operator")
        .order_by("-started_at", "-id")[:limit]
    )


def card_phones(customer) -> list[dict]:
    """The customer's numbers as the console card lists them."""
    return [
        {
            "number": phone.number,
            "display": format_national(phone.number) or phone.number,
            "kind": phone.get_kind_display(),
            "is_work": phone.kind == phone.Kind.WORK,
            "is_valid": phone.is_valid,
        }
        for phone in customer.phones.all()
    ]


def console_card(entry) -> dict:
    """What the console shows next to the phone: customer, history, DNC warnings, local time."""
    from ..services.scheduling import zone

    customer = entry.customer
    tz = zone(customer.time_zone)
    return {
        "customer": customer,
        "phones": card_phones(customer),
        "age": customer.age(),
        "attempts": list(customer_attempts(customer)),
        "attempt_count": CallAttempt.objects.filter(customer=customer).count(),
        "dnc_entries": list(dnc.blocking_entries(phone=entry.phone, customer=customer, campaign=entry.campaign_id)),
        "customer_local_time": timezone.now().astimezone(tz) if tz else None,
        "hold_started_at": entry.held_at,
        "debt": Debt.objects.filter(campaign_id=entry.campaign_id, customer=customer).first(),
    }


# ------------------------------------------------------------------ nothing dialable: why


@dataclass
class NoCallReason:
    code: str  # no_campaign, no_list, all_done, all_held, outside_hours, on_retry, held_back
    message: str


def _format_moment(moment: dt.datetime, now: dt.datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate(now):
        return formats.time_format(local, "H:i")
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


# A dialer polling an empty queue every second needs the reason, not eight queries per poll.
NO_CALL_CODE_SECONDS = 5


def no_call_code(*, operator) -> str:
    """explain_no_call's code, remembered a few seconds per operator (the API's 204 header)."""
    from callcenter import cache_safely

    key = f"dispatch:no-call:{operator.pk}"
    code = cache_safely.get(key)
    if code is None:
        code = explain_no_call(operator=operator).code
        cache_safely.set(key, code, NO_CALL_CODE_SECONDS)
    return code


def explain_no_call(*, operator, now=None) -> NoCallReason:
    """Why dispatch_next found nothing for this operator now, in words an operator understands
    ("nothing is being dialed" never goes unexplained)."""
    from ..services import scheduling

    now = now or timezone.now()
    assigned = Campaign.objects.filter(operators=operator)
    if not assigned.filter(status=Campaign.Status.ACTIVE).exists():
        if assigned.exists():
            return NoCallReason("no_campaign", _("Your campaigns are paused or finished. Nothing is being dialed."))
        return NoCallReason("no_campaign", _("You are not assigned to any active campaign. Nothing is being dialed."))
    lists = dispatchable_lists(operator, now)
    if not lists:
        today = timezone.localdate(now)
        active = assigned.filter(status=Campaign.Status.ACTIVE)
        if not active.filter(policy__isnull=False).exists():
            return NoCallReason(
                "no_list", _("Your active campaigns have no calling policy yet. Nothing is being dialed.")
            )
        if not active.filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today)).exists():
            return NoCallReason("no_list", _("Your campaigns have not started yet. Nothing is being dialed."))
        if not active.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).exists():
            return NoCallReason("no_list", _("Your campaigns have ended. Nothing is being dialed."))
        return NoCallReason(
            "no_list",
            _("No call list is ready for you: lists are still being built, paused, or need a skill you do not have."),
        )
    entries = CallListEntry.objects.filter(call_list__in=lists)
    open_entries = entries.filter(status__in=[Status.PENDING, Status.CALLBACK])
    if not open_entries.exists():
        if entries.filter(status=Status.HELD).exists():
            return NoCallReason("all_held", _("All remaining customers are being called by other operators right now."))
        return NoCallReason("all_done", _("Every customer on your lists has been dealt with. Nothing left to dial."))

    # Calling hours, judged in the center's own time zone (most customers live there).
    home_zone = settings.TIME_ZONE
    policies = {call_list.campaign.policy_id: call_list.campaign.policy for call_list in lists}
    if not any(scheduling.open_zones(policy, now) for policy in policies.values()) or not any(
        scheduling.is_callable_at(policy, home_zone, now) for policy in policies.values()
    ):
        return _outside_hours_reason(policies.values(), home_zone, now)

    due = open_entries.filter(
        Q(status=Status.PENDING, next_attempt_at__isnull=True)
        | Q(status=Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Status.CALLBACK, callback_at__lte=now)
    )
    if not due.exists():
        upcoming = [
            open_entries.filter(status=Status.PENDING, attempts__gt=0).aggregate(m=Min("next_attempt_at"))["m"],
            open_entries.filter(status=Status.PENDING, attempts=0).aggregate(m=Min("next_attempt_at"))["m"],
            open_entries.filter(status=Status.CALLBACK).aggregate(m=Min("callback_at"))["m"],
        ]
        upcoming = [moment for moment in upcoming if moment]
        if upcoming:
            return NoCallReason(
                "on_retry",
                _("Every remaining customer is waiting for a retry or callback; the next one is due at %(time)s.")
                % {"time": _format_moment(min(upcoming), now)},
            )
    message = _(
        "Customers are due, but none may be called right now: outside calling hours in their time zone, "
        "the minimum gap, the daily or cross-campaign limit, the cool-off after a conversation, or a "
        "do-not-call entry holds them back."
    )
    if entries.filter(status=Status.HELD).exclude(held_by=operator).exists():
        message += " " + _("Other operators are calling some of them right now.")
    return NoCallReason("held_back", message)


def _outside_hours_reason(policies, zone_name, now) -> NoCallReason:
    from ..services import scheduling

    tz = scheduling.zone(zone_name)
    local_day = now.astimezone(tz).date()
    openings = [scheduling.next_opening(policy, zone_name, now) for policy in policies]
    openings = [moment for moment in openings if moment]
    next_text = _(" Next calling time: %(time)s.") % {"time": _format_moment(min(openings), now)} if openings else ""
    for policy in policies:
        name = scheduling.holiday_name(policy, local_day, get_language() or "")
        if name:
            return NoCallReason(
                "outside_hours", _("Today is a public holiday (%(name)s): no calls.") % {"name": name} + next_text
            )
        label = scheduling.blackout_label(policy, local_day)
        if label is not None:
            return NoCallReason(
                "outside_hours",
                _("Today is a day off of the calling policy (%(name)s): no calls.")
                % {"name": label or _("blackout date")}
                + next_text,
            )
    if all(local_day.weekday() not in (policy.weekdays or []) for policy in policies):
        return NoCallReason("outside_hours", _("No calls on this day of the week.") + next_text)
    hours = ", ".join(f"{policy.call_window_start:%H:%M}–{policy.call_window_end:%H:%M}" for policy in policies)
    return NoCallReason(
        "outside_hours",
        _("Outside calling hours (%(hours)s, customer's local time).") % {"hours": hours} + next_text,
    )


# ------------------------------------------------------------------ supervisors' live board


def operator_board(now=None) -> list[dict]:
    """Every console user with their current state, since when, the entry they hold and today's
    attempt count; operators who are working first."""
    now = now or timezone.now()
    User = get_user_model()
    operators = (
        User.objects.filter(
            is_active=True,
            groups__permissions__codename="use_console",
            groups__permissions__content_type__app_label="callcenter",
        )
        .distinct()
        .order_by("username")
    )
    states = {log.operator_id: log for log in AgentStateLog.objects.filter(ended_at__isnull=True)}
    holds = {
        entry.held_by_id: entry
        for entry in CallListEntry.objects.filter(status=Status.HELD).select_related("customer", "campaign")
    }
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    dials = dict(
        CallAttempt.objects.filter(started_at__gte=start_of_day)
        .values("operator_id")
        .annotate(n=Count("id"))
        .values_list("operator_id", "n")
    )
    rows = []
    for user in operators:
        state = states.get(user.pk)
        entry = holds.get(user.pk)
        rows.append(
            {
                "user": user,
                "state": state,
                "state_code": state.state if state else AgentStateLog.State.OFFLINE,
                "since": state.started_at if state else None,
                "entry": entry,
                "hold_started_at": entry.held_at if entry else None,
                "hold_expired": bool(entry and entry.held_until and entry.held_until < now),
                "dials_today": dials.get(user.pk, 0),
            }
        )
    rows.sort(key=lambda row: (row["state"] is None, row["user"].username))
    return rows


def current_holds():
    """Every held entry with its holder, oldest hold first."""
    return (
        CallListEntry.objects.filter(status=Status.HELD)
        .select_related("customer", "campaign", "held_by")
        .order_by("held_until", "id")
    )
