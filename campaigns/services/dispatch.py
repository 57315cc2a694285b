"""Next-call dispatch: the one place that decides which customer an operator calls next.

`dispatch_next(operator=, now=)` is used by the console and by `POST /api/v1/dispatch/next/`. It
claims the best dialable entry straight from CallListEntry (DESIGN.md 4a, design (a)) and holds
it for the operator, all in one transaction:

1. the operator's lists: ready lists of active campaigns (inside their dates, with a policy) the
   operator is assigned to, restricted by the list's operators and required skill;
2. candidates in order: due callbacks (this operator's personal ones first, then shared ones;
   a personal callback nobody took within the grace period becomes shared), then per list by
   priority: due retries (oldest due first), then fresh entries in list order (rank). Each tier
   is one `SELECT … LIMIT 1 FOR UPDATE OF e SKIP LOCKED` over a partial index (migration
   console_dispatch_indexes), so an entry another operator is claiming is skipped, not waited for;
3. the customer's dispatch lock (advisory, try-only), then one conditional UPDATE that re-checks
   every rule in a fresh snapshot and sets the hold. A customer someone else is deciding about,
   or who no longer passes, is skipped and the next candidate tried.

Dialable (every rule checked here, now, never trusted from the list build):
* `next_attempt_at` has come; attempts under the policy's max; the per-day max in the customer's
  local day; the minimum gap since the customer's last call (any campaign);
* the calling window, weekday and holidays in the customer's zone: `c.time_zone = ANY(open
  zones)`, the zones being computed in Python from the policy (scheduling.open_zones);
* no active do-not-call entry in scope (contacts.services.dnc.ACTIVE_DNC_SQL), at this moment;
* the cross-campaign cap, the cool-off after a conversation (not for a callback the customer
  asked for) and the re-solicitation rule (policy_rules);
* not held: neither this entry nor another entry of the same customer (so two campaigns cannot
  ring one person at once, and the cap cannot be passed by two simultaneous claims).

A hold lasts settings.DISPATCH_HOLD_MINUTES; `release_expired_holds` (Celery beat) puts abandoned
entries back. An operator holds at most one entry: asking again returns the one already held.
"""
import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from contacts.services.dnc import ACTIVE_DNC_SQL

from ..models import AgentStateLog, CallListEntry
from ..selectors.console import dispatchable_lists, held_entry
from . import policy_rules
from .agent_state import move_working_operator
from .locks import CLAIM_SUFFIX, lock_entry, try_lock_customer_for_dispatch

Status = CallListEntry.Status

# Candidates skipped in one dispatch (customer being decided by someone else, or no longer
# passing the re-check) before giving up for this press of the button.
MAX_SKIPPED = 24


def hold_duration() -> dt.timedelta:
    return dt.timedelta(minutes=settings.DISPATCH_HOLD_MINUTES)


def personal_callback_grace() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "DISPATCH_PERSONAL_CALLBACK_GRACE_MINUTES", 60))


class DispatchError(Exception):
    """An action on a hold that is not possible (e.g. releasing an entry nobody holds)."""


# ------------------------------------------------------------------ SQL of the rules

def rules_sql(policy, *, zones_param: str, callback: bool) -> str:
    """Every dialable condition on entry `e` and customer `c` at %(now)s, for one campaign's
    policy. Wrapped in CASE so nothing reads `c.time_zone` of a customer outside the open zones
    (an unknown zone name would otherwise raise in AT TIME ZONE)."""
    parts = [f"e.attempts < {int(policy.max_attempts)}"]
    gap = int(policy.min_gap_minutes or 0)
    if gap:
        parts.append(f"(e.last_attempt_at IS NULL OR e.last_attempt_at <= %(now)s - make_interval(mins => {gap}))")
        parts.append(
            "NOT EXISTS (SELECT 1 FROM campaigns_callattempt gap_a WHERE gap_a.customer_id = e.customer_id"
            f" AND gap_a.started_at > %(now)s - make_interval(mins => {gap}) AND gap_a.started_at <= %(now)s)"
        )
    per_day = int(policy.max_attempts_per_day or 0)
    if per_day:
        midnight = "(date_trunc('day', %(now)s AT TIME ZONE c.time_zone) AT TIME ZONE c.time_zone)"
        parts.append(
            f"(e.last_attempt_at IS NULL OR e.last_attempt_at < {midnight}"
            " OR (SELECT count(*) FROM campaigns_callattempt day_a WHERE day_a.entry_id = e.id"
            f" AND day_a.started_at >= {midnight} AND day_a.started_at <= %(now)s) < {per_day})"
        )
    parts.append(
        "NOT " + ACTIVE_DNC_SQL.format(at="%(now)s", campaign="e.campaign_id", customer="e.customer_id", phone="e.phone")
    )
    fragments = [
        policy_rules.cap_reached_sql(policy, customer="e.customer_id", at="%(now)s"),
        None if callback else policy_rules.cooling_off_sql(policy, customer="e.customer_id", at="%(now)s"),
        policy_rules.refused_before_sql(policy, customer="e.customer_id", campaign="e.campaign_id"),
    ]
    parts += [f"NOT {fragment}" for fragment in fragments if fragment]
    parts.append(
        "NOT EXISTS (SELECT 1 FROM campaigns_calllistentry other_e WHERE other_e.customer_id = e.customer_id"
        " AND other_e.status = 'held' AND other_e.id <> e.id)"
    )
    joined = "\n      AND ".join(parts)
    return f"(CASE WHEN c.time_zone = ANY(%({zones_param})s::text[]) THEN (\n      {joined}\n    ) ELSE false END)"


def _campaign_rules(campaigns, *, callback: bool) -> str:
    """Rules for entries of several campaigns (the callback tier spans all of them)."""
    branches = [
        f"(e.campaign_id = {int(campaign.pk)} AND {rules_sql(campaign.policy, zones_param=f'zones_{campaign.pk}', callback=callback)})"
        for campaign in campaigns
    ]
    return "(" + " OR ".join(branches) + ")"


def _candidate_queries(lists, campaigns) -> list[tuple[str, str]]:
    """(tier, SQL) in dispatch order. Each returns one (id, customer_id, campaign_id) or nothing."""
    select = "SELECT e.id, e.customer_id, e.campaign_id FROM campaigns_calllistentry e JOIN contacts_customer c ON c.id = e.customer_id"
    not_skipped = "AND e.id <> ALL(%(skipped)s::bigint[])"
    queries = [(
        "callback",
        f"""{select}
        WHERE e.status = 'callback' AND e.callback_at <= %(now)s AND e.call_list_id = ANY(%(lists)s::bigint[])
          AND (e.assigned_operator_id IS NULL OR e.assigned_operator_id = %(operator)s OR e.callback_at <= %(grace)s)
          {not_skipped}
          AND {_campaign_rules(campaigns.values(), callback=True)}
        ORDER BY (e.assigned_operator_id IS NOT DISTINCT FROM %(operator)s) DESC, e.callback_at, e.id
        LIMIT 1 {CLAIM_SUFFIX}""",
    )]
    for call_list in lists:
        campaign = campaigns[call_list.campaign_id]
        rules = rules_sql(campaign.policy, zones_param=f"zones_{campaign.pk}", callback=False)
        queries.append((
            "retry",
            f"""{select}
            WHERE e.call_list_id = {int(call_list.pk)} AND e.status = 'pending' AND e.attempts > 0
              AND e.next_attempt_at <= %(now)s {not_skipped}
              AND {rules}
            ORDER BY e.next_attempt_at, e.id
            LIMIT 1 {CLAIM_SUFFIX}""",
        ))
        queries.append((
            "fresh",
            f"""{select}
            WHERE e.call_list_id = {int(call_list.pk)} AND e.status = 'pending' AND e.attempts = 0
              AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= %(now)s) {not_skipped}
              AND {rules}
            ORDER BY e.rank, e.id
            LIMIT 1 {CLAIM_SUFFIX}""",
        ))
    return queries


def _hold_sql(campaign, *, callback: bool) -> str:
    """Re-check every rule in a fresh snapshot (after the customer lock) and hold the entry."""
    return f"""
        UPDATE campaigns_calllistentry AS e
           SET status = 'held', held_by_id = %(operator)s, held_until = %(held_until)s, updated_at = %(stamp)s
          FROM contacts_customer c
         WHERE e.id = %(entry)s AND c.id = e.customer_id AND e.status = %(expected)s
           AND EXISTS (SELECT 1 FROM campaigns_campaign k WHERE k.id = e.campaign_id AND k.status = 'active')
           AND EXISTS (SELECT 1 FROM campaigns_calllist l WHERE l.id = e.call_list_id AND l.status = 'ready')
           AND {rules_sql(campaign.policy, zones_param=f'zones_{campaign.pk}', callback=callback)}
        RETURNING e.id"""


# ------------------------------------------------------------------ the service

def dispatch_next(*, operator, now=None) -> CallListEntry | None:
    """Hold and return the best dialable entry for `operator`, or None when nothing is dialable
    now (selectors.console.explain_no_call says why)."""
    from . import scheduling

    now = now or timezone.now()
    already = held_entry(operator)
    if already is not None:
        return already
    lists = dispatchable_lists(operator, now)
    campaigns = {}
    params = {"now": now, "operator": operator.pk, "grace": now - personal_callback_grace(), "skipped": []}
    for call_list in lists:
        campaign = call_list.campaign
        if campaign.pk not in campaigns:
            zones = scheduling.open_zones(campaign.policy, now)
            if zones:
                campaigns[campaign.pk] = campaign
                params[f"zones_{campaign.pk}"] = zones
    lists = [call_list for call_list in lists if call_list.campaign_id in campaigns]
    if not lists:
        return None
    params["lists"] = [call_list.pk for call_list in lists]
    params["held_until"] = now + hold_duration()
    params["stamp"] = now
    entry_id = _claim(operator=operator, lists=lists, campaigns=campaigns, params=params)
    if entry_id is None:
        return None
    return CallListEntry.objects.select_related("campaign__policy", "call_list", "customer").get(pk=entry_id)


def _claim(*, operator, lists, campaigns, params) -> int | None:
    with transaction.atomic(), connection.cursor() as cursor:
        for tier, sql in _candidate_queries(lists, campaigns):
            while len(params["skipped"]) < MAX_SKIPPED:
                cursor.execute(sql, params)
                row = cursor.fetchone()
                if row is None:
                    break
                entry_id, customer_id, campaign_id = row
                if try_lock_customer_for_dispatch(customer_id):
                    campaign = campaigns[campaign_id]
                    callback = tier == "callback"
                    cursor.execute(
                        _hold_sql(campaign, callback=callback),
                        {**params, "entry": entry_id, "expected": Status.CALLBACK if callback else Status.PENDING},
                    )
                    if cursor.fetchone():
                        move_working_operator(operator_id=operator.pk, state=AgentStateLog.State.ON_CALL, at=params["now"])
                        return entry_id
                params["skipped"] = [*params["skipped"], entry_id]
    return None


# ------------------------------------------------------------------ holds

def release_expired_holds(*, now=None) -> int:
    """Put entries whose hold has expired back in the queue (callbacks stay callbacks). One
    statement; run by Celery beat every minute. Returns how many were released."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE campaigns_calllistentry
               SET status = CASE WHEN callback_at IS NOT NULL THEN 'callback' ELSE 'pending' END,
                   held_by_id = NULL, held_until = NULL, updated_at = %(now)s
             WHERE status = 'held' AND held_until < %(now)s
            """,
            {"now": now},
        )
        return cursor.rowcount


def release_hold(*, entry_id: int, by, now=None) -> CallListEntry:
    """A supervisor (or the holding operator) puts a held entry back without an attempt."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = lock_entry(entry_id)
        if entry.status != Status.HELD:
            raise DispatchError(_("This entry is not held by anyone any more."))
        holder = entry.held_by
        entry.status = Status.CALLBACK if entry.callback_at else Status.PENDING
        entry.held_by = None
        entry.held_until = None
        entry.save(update_fields=["status", "held_by", "held_until", "updated_at"])
        if holder is not None:
            move_working_operator(operator_id=holder.pk, state=AgentStateLog.State.READY, at=now)
        record_event(
            actor=by, action="dispatch.release_hold", target=entry,
            summary=f"Released entry {entry.pk} held by {holder}", holder=getattr(holder, "username", None),
        )
    return entry
