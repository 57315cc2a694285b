"""Next-call dispatch: the one place that decides which customer an operator calls next.

`dispatch_next(operator=, now=)` is used by the console and by `POST /api/v1/dispatch/next/`. It
claims the best dialable entry straight from CallListEntry (no ready table in between) and holds
it for the operator, all in one transaction:

1. the operator's lists: ready lists of active campaigns (inside their dates, with a policy) the
   operator is assigned to, restricted by the list's operators and required skill;
2. the next candidate, tier by tier: due callbacks (this operator's personal ones, then shared
   ones, then personal ones nobody took within the grace period), then per list by priority: due
   retries (longest due first), then fresh entries in list order (rank). Each tier is one
   `SELECT … LIMIT 1 FOR UPDATE OF e SKIP LOCKED` over a partial index in the order it is read
   (CallListEntry's entry_dispatch_* indexes), so rows other operators are claiming are stepped over, never waited
   for, and the scan touches nothing but the index and the candidate rows;
3. the customer's dispatch lock (advisory, try-only), taken by the same tier query once its row
   is locked, then ONE conditional UPDATE that checks every rule below for that entry in a fresh
   snapshot (a later statement: it sees what the lock's previous holder committed) and sets the
   hold;
4. a candidate that fails a rule is moved out of the way so no later dispatch trips over it
   again: an active do-not-call entry blocks it, a refusal in this campaign cancels it, used-up
   attempts exhaust it, and the time-based rules (hours in the customer's zone, gap, per-day max,
   cap, cool-off) push its next attempt (or callback) to the first moment they allow. A
   customer held elsewhere or being decided by another dispatch is only skipped.

Dialable (checked at the claim, now, never trusted from the list build):
* `next_attempt_at` (or the callback time) has come; attempts under the policy's max; the
  per-day max in the customer's local day; the minimum gap since the customer's last call in any
  campaign;
* the calling window, weekday and holidays in the customer's zone: `c.time_zone = ANY(open
  zones)`, the zones where the policy allows a call right now (scheduling.open_zones);
* no active do-not-call entry in scope at this moment (`dnc_blocked_sql`);
* the cross-campaign cap, the cool-off after a conversation (not for the callback the customer
  asked for) and the re-solicitation rule (policy_rules);
* the workplace rule: with the policy's no_workplace_calls_rule, never the customer's number of kind
  "work" when the customer asked not to be called at work (a candidate moves to another of their
  numbers, or is cancelled when there is none);
* no open promise to pay (支払約束) in the campaign rests the customer (debts.promise_rests_sql:
  until the end of the promised date, local time);
* not held: neither this entry nor another entry of the same customer (two campaigns never ring
  one person at once, and two simultaneous claims cannot pass the cap together).

A hold lasts settings.DISPATCH_HOLD_MINUTES; `release_expired_holds` (Celery beat) puts abandoned
entries back. While the call goes on, the console (or an API client) renews the hold
(`renew_hold`), never past DISPATCH_HOLD_MAX_MINUTES after the dispatch: a long call keeps its
customer, a tab left open does not strand one. An operator holds at most one entry: asking again
returns the one already held.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from contacts.services.dnc import ACTIVE_DNC_SQL

from ..locks import CLAIM_SUFFIX, lock_entry, lock_operator, lock_operator_sql, try_lock_customer_for_dispatch_sql
from ..models import AgentStateLog, CallListEntry
from ..selectors.console import dispatch_scope, held_entry
from . import debts, policy_rules, prepared
from .agent_state import move_working_operator, move_working_operator_ctes

Status = CallListEntry.Status

# Candidates stepped over in one dispatch (customer decided elsewhere, or failing a rule) before
# giving up for this press of the button.
MAX_SKIPPED = 24
# A candidate no calling time can ever be found for (unknown time zone, a policy without any
# weekday) is looked at again after this long.
NEVER_OPEN_RETRY = dt.timedelta(days=1)


def hold_duration() -> dt.timedelta:
    return dt.timedelta(minutes=settings.DISPATCH_HOLD_MINUTES)


def hold_ceiling() -> dt.timedelta:
    """How long after the dispatch renewals may keep a hold (at least one hold's length)."""
    return max(dt.timedelta(minutes=settings.DISPATCH_HOLD_MAX_MINUTES), hold_duration())


def personal_callback_grace() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "DISPATCH_PERSONAL_CALLBACK_GRACE_MINUTES", 60))


class DispatchError(Exception):
    """An action on a hold that is not possible (e.g. releasing an entry nobody holds)."""


class HoldLost(DispatchError):
    """The operator does not hold the entry any more (released, expired and put back, logged)."""


# ------------------------------------------------------------------ SQL of the rules


def dnc_blocked_sql(*, at: str, campaign: str, customer: str, phone: str) -> str:
    """The do-not-call rule of contacts.services.dnc, as written there (ACTIVE_DNC_SQL: a chain
    of index probes), for entry columns: the rule lives in one place; test_dispatch_rules proves
    dispatch and `dnc.is_blocked` agree."""
    return ACTIVE_DNC_SQL.format(at=at, campaign=campaign, customer=customer, phone=phone)


def rules_sql(policy, *, zones_param: str, callback: bool) -> str:
    """Every dialable condition on entry `e` and customer `c` at %(now)s, for one campaign's
    policy. Inside CASE so nothing reads `c.time_zone` of a customer outside the open zones (an
    unknown zone name would make AT TIME ZONE raise)."""
    parts = [f"e.attempts < {int(policy.max_attempts)}"]
    gap = int(policy.min_gap_minutes or 0)
    if gap:
        # No call in the last `gap` minutes. Scalar subquery on purpose: an EXISTS here may be
        # planned as a hash of every recent call. Both ends of the window on started_at: the
        # attempts are partitioned by month, and only the partitions of the window are read.
        parts.append(
            "NOT COALESCE((SELECT true FROM campaigns_callattempt gap_a"
            " WHERE gap_a.customer_id = e.customer_id"
            f" AND gap_a.started_at > %(now)s - make_interval(mins => {gap})"
            " AND gap_a.started_at <= %(now)s LIMIT 1), false)"
        )
    per_day = int(policy.max_attempts_per_day or 0)
    if per_day:
        midnight = "(date_trunc('day', %(now)s AT TIME ZONE c.time_zone) AT TIME ZONE c.time_zone)"
        # The customer's midnight depends on the row; the constant bound before it (a local day
        # starts less than 26 hours before any moment of it, DST days included) lets the planner
        # read only the partitions of the last day or two.
        parts.append(
            f"(e.last_attempt_at IS NULL OR e.last_attempt_at < {midnight}"
            " OR (SELECT count(*) FROM campaigns_callattempt day_a WHERE day_a.entry_id = e.id"
            " AND day_a.started_at > %(now)s - interval '26 hours'"
            f" AND day_a.started_at >= {midnight} AND day_a.started_at <= %(now)s) < {per_day})"
        )
    parts.append(
        "NOT " + dnc_blocked_sql(at="%(now)s", campaign="e.campaign_id", customer="e.customer_id", phone="e.phone")
    )
    fragments = [
        policy_rules.cap_reached_sql(policy, customer="e.customer_id", at="%(now)s"),
        None if callback else policy_rules.cooling_off_sql(policy, customer="e.customer_id", at="%(now)s"),
        policy_rules.refused_before_sql(policy, customer="e.customer_id", campaign="e.campaign_id"),
    ]
    parts += [f"NOT {fragment}" for fragment in fragments if fragment]
    if policy.no_workplace_calls_rule:
        parts.append(f"NOT {WORKPLACE_REFUSED}")
    parts.append(
        "NOT "
        + debts.promise_rests_sql(
            campaign="e.campaign_id", customer="e.customer_id", now="%(now)s", time_zone="c.time_zone"
        )
    )
    parts.append(HELD_ELSEWHERE_FREE)
    joined = "\n      AND ".join(parts)
    return f"(CASE WHEN c.time_zone = ANY(%({zones_param})s::text[]) THEN (\n      {joined}\n    ) ELSE false END)"


# The number the entry would dial is the customer's workplace, and the customer asked not to be
# called at work (a policy with no_workplace_calls_rule). For entry `e` and customer `c`.
WORKPLACE_REFUSED = (
    "(c.no_workplace_calls AND EXISTS (SELECT 1 FROM contacts_phonenumber work_p"
    " WHERE work_p.customer_id = e.customer_id AND work_p.number = e.phone AND work_p.kind = 'work'))"
)

HELD_ELSEWHERE_FREE = (
    "NOT EXISTS (SELECT 1 FROM campaigns_calllistentry other_e WHERE other_e.customer_id = e.customer_id"
    " AND other_e.status = 'held' AND other_e.id <> e.id)"
)


@lru_cache(maxsize=256)
def _tier_queries(list_ids: tuple, callbacks_due: bool, retry_lists: frozenset) -> list[tuple[str, str]]:
    """(tier, SQL) in dispatch order; each locks one row and returns (id, customer_id,
    campaign_id, customer lock taken) or nothing. Only index conditions here: the rules are
    checked on the one row claimed. Tiers the scope query found empty (no due callback, no due
    retry in a list) are left out. The customer's dispatch lock is tried on the locked row only
    (outside the materialized CTE, so never for a row SKIP LOCKED stepped over)."""
    select = "SELECT e.id, e.customer_id, e.campaign_id FROM campaigns_calllistentry e"
    not_skipped = "AND e.id <> ALL(%(skipped)s::bigint[])"
    queries = []
    if callbacks_due:
        # Due callbacks are few: one query sorts them (personal first, then shared, then personal
        # ones past the grace period) without evaluating any rule, and locks the first free one.
        queries.append(
            (
                "callback",
                f"""{select} WHERE e.status = 'callback' AND e.callback_at <= %(now)s
            AND e.call_list_id = ANY(%(lists)s::bigint[])
            AND (e.assigned_operator_id IS NULL OR e.assigned_operator_id = %(operator)s OR e.callback_at <= %(grace)s)
            {not_skipped}
            ORDER BY (e.assigned_operator_id IS NOT DISTINCT FROM %(operator)s) DESC,
                     (e.assigned_operator_id IS NULL) DESC, e.callback_at, e.id
            LIMIT 1 {CLAIM_SUFFIX}""",
            )
        )
    for list_id in list_ids:
        list_id = int(list_id)
        if list_id in retry_lists:
            queries.append(
                (
                    "retry",
                    f"""{select} WHERE e.call_list_id = {list_id} AND e.status = 'pending'
                AND e.attempts > 0 AND e.next_attempt_at <= %(now)s {not_skipped}
                ORDER BY e.next_attempt_at, e.id LIMIT 1 {CLAIM_SUFFIX}""",
                )
            )
        queries.append(
            (
                "fresh",
                f"""{select} WHERE e.call_list_id = {list_id} AND e.status = 'pending'
            AND e.attempts = 0 AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= %(now)s) {not_skipped}
            ORDER BY e.rank, e.id LIMIT 1 {CLAIM_SUFFIX}""",
            )
        )
    lock = try_lock_customer_for_dispatch_sql("candidate.customer_id")
    return [
        (tier, f"WITH candidate AS MATERIALIZED ({sql}) SELECT candidate.*, {lock} FROM candidate")
        for tier, sql in queries
    ]


def _hold_sql(policy, *, campaign_id: int, callback: bool) -> str:
    """Check every rule for the claimed entry in a fresh snapshot and hold it."""
    return _cached_hold_sql(_rules_key(policy), int(campaign_id), callback)


def _rules_key(policy) -> tuple:
    """The policy numbers the rules SQL depends on (the SQL is built once per distinct policy)."""
    return (
        policy.max_attempts,
        policy.min_gap_minutes,
        policy.max_attempts_per_day,
        policy.cap_attempts,
        policy.cap_days,
        policy.cooloff_days_after_contact,
        policy.no_resolicit_after_refusal,
        policy.no_workplace_calls_rule,
    )


@lru_cache(maxsize=256)
def _cached_hold_sql(key: tuple, campaign_id: int, callback: bool) -> str:
    from ..models import CallingPolicy

    policy = CallingPolicy(
        max_attempts=key[0],
        min_gap_minutes=key[1],
        max_attempts_per_day=key[2],
        cap_attempts=key[3],
        cap_days=key[4],
        cooloff_days_after_contact=key[5],
        no_resolicit_after_refusal=key[6],
        no_workplace_calls_rule=key[7],
    )
    columns = ", ".join(f"e.{column}" for column in ENTRY_COLUMNS)
    # One statement: the hold, and a working operator moved to "on call" when the hold was taken.
    state_ctes = move_working_operator_ctes(
        operator="%(operator)s", state="'on_call'", at="%(now)s", only_if="EXISTS (SELECT 1 FROM held)"
    )
    return f"""
        WITH held AS (
            UPDATE campaigns_calllistentry AS e
               SET status = 'held', held_by_id = %(operator)s, held_until = %(held_until)s, held_at = %(now)s,
                   updated_at = %(now)s
              FROM contacts_customer c
             WHERE e.id = %(entry)s AND c.id = e.customer_id AND e.status = %(expected)s
               AND EXISTS (SELECT 1 FROM campaigns_campaign k WHERE k.id = e.campaign_id AND k.status = 'active')
               AND EXISTS (SELECT 1 FROM campaigns_calllist l WHERE l.id = e.call_list_id AND l.status = 'ready')
               AND {rules_sql(policy, zones_param=f"zones_{campaign_id}", callback=callback)}
            RETURNING {columns}
        ),
        {state_ctes}
        SELECT * FROM held"""


ENTRY_COLUMNS = [field.column for field in CallListEntry._meta.concrete_fields]
ENTRY_ATTNAMES = [field.attname for field in CallListEntry._meta.concrete_fields]


# ------------------------------------------------------------------ the service


def dispatch_next(*, operator, now=None) -> CallListEntry | None:
    """Hold and return the best dialable entry for `operator`, or None when nothing is dialable
    now (selectors.console.explain_no_call says why)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Presses of one operator queue on this lock (a double click must not hold two entries);
        # the scope query after it, in the same round trip, then sees a hold the other committed.
        scope = dispatch_scope(operator, now, before=lock_operator_sql(operator.pk))
        if scope and scope[0].held_entry_id or not scope and _holds_an_entry(operator):
            return held_entry(operator)
        return _dispatch_in_scope(operator=operator, scope=scope, now=now)


def _dispatch_in_scope(*, operator, scope, now) -> CallListEntry | None:
    policies = {}
    params = {"now": now, "operator": operator.pk, "grace": now - personal_callback_grace(), "skipped": []}
    for item in scope:
        if item.campaign_id not in policies:
            policies[item.campaign_id] = item.policy
            params[f"zones_{item.campaign_id}"] = open_zones_param(item.policy, now)
    # A campaign whose policy allows no call anywhere right now is not even looked at.
    scope = [item for item in scope if params[f"zones_{item.campaign_id}"]]
    if not scope:
        return None
    params["lists"] = [item.list_id for item in scope]
    params["held_until"] = now + hold_duration()
    tiers = _tier_queries(
        tuple(params["lists"]),
        any(item.due_callbacks for item in scope),
        frozenset(item.list_id for item in scope if item.due_retries),
    )
    return _claim(tiers=tiers, policies=policies, params=params)


def open_zones_param(policy, now) -> str | None:
    """The claim's zones parameter: where `policy` allows a call to start at `now` (None: nowhere)."""
    from . import scheduling

    return _array_literal(tuple(scheduling.open_zones(policy, now)))


@lru_cache(maxsize=64)
def _array_literal(names: tuple) -> str | None:
    """The zones as one PostgreSQL text[] literal, built once per distinct list (an always-open
    policy opens all of some 600 zones: no need to adapt them one by one on every dispatch)."""
    if not names:
        return None
    return "{" + ",".join('"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"' for name in names) + "}"


def _holds_an_entry(operator) -> bool:
    return CallListEntry.objects.filter(status=Status.HELD, held_by=operator).exists()


def _claim(*, tiers, policies, params) -> CallListEntry | None:
    with connection.cursor() as cursor:
        for tier, sql in tiers:
            while len(params["skipped"]) < MAX_SKIPPED:
                prepared.execute(cursor, sql, params)
                row = cursor.fetchone()
                if row is None:
                    break
                entry_id, customer_id, campaign_id, customer_locked = row
                params["skipped"] = [*params["skipped"], entry_id]
                if not customer_locked:
                    continue  # another dispatch is deciding about this customer right now
                callback = tier == "callback"
                prepared.execute(
                    cursor,
                    _hold_sql(policies[campaign_id], campaign_id=campaign_id, callback=callback),
                    {**params, "entry": entry_id, "expected": Status.CALLBACK if callback else Status.PENDING},
                )
                held = cursor.fetchone()
                if held:
                    return CallListEntry.from_db(connection.alias, ENTRY_ATTNAMES, held)
                _park(entry_id=entry_id, policy=policies[campaign_id], callback=callback, now=params["now"])
    return None


def _park(*, entry_id: int, policy, callback: bool, now) -> None:
    """Move a candidate that failed a rule out of the way (see the module docstring). The entry
    is locked by this transaction."""
    from . import scheduling

    checks = [
        ("dnc", dnc_blocked_sql(at="%(now)s", campaign="e.campaign_id", customer="e.customer_id", phone="e.phone")),
        (
            "refused",
            policy_rules.refused_before_sql(policy, customer="e.customer_id", campaign="e.campaign_id") or "false",
        ),
        ("held_elsewhere", f"NOT {HELD_ELSEWHERE_FREE}"),
        ("workplace", WORKPLACE_REFUSED if policy.no_workplace_calls_rule else "false"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(sql for _, sql in checks)} FROM campaigns_calllistentry e"
            " JOIN contacts_customer c ON c.id = e.customer_id WHERE e.id = %(entry)s",
            {"now": now, "entry": entry_id},
        )
        found = dict(zip((name for name, _ in checks), cursor.fetchone()))
    if found["held_elsewhere"]:
        return  # transient: the other call will end soon
    entry = CallListEntry.objects.select_related("customer", "last_disposition").get(pk=entry_id)
    if found["dnc"]:
        entry.status = Status.BLOCKED
    elif found["refused"]:
        entry.status = Status.CANCELLED
    elif found["workplace"]:
        # Dial another of the customer's numbers when there is one; the next press checks every
        # rule (do-not-call included) for that number. Else nothing may be dialed: cancelled.
        other = _number_outside_the_workplace(entry)
        if other:
            entry.phone = other
            entry.save(update_fields=["phone", "updated_at"])
            return
        entry.status = Status.CANCELLED
    elif entry.attempts >= policy.max_attempts:
        entry.status = Status.EXHAUSTED
    else:
        when = scheduling.compute_next_attempt_at(entry=entry, policy=policy, not_before=now, callback=callback)
        if when is None:
            when = now + NEVER_OPEN_RETRY  # unknown time zone, or a policy that never opens
        elif when <= now:
            return  # the rule that failed has passed already (e.g. another call just ended)
        entry.next_attempt_at = when
        if callback:
            entry.callback_at = when
        entry.save(update_fields=["next_attempt_at", "callback_at", "updated_at"])
        return
    entry.next_attempt_at = None
    entry.save(update_fields=["status", "next_attempt_at", "updated_at"])


def _number_outside_the_workplace(entry) -> str | None:
    from contacts.models import PhoneNumber

    return (
        PhoneNumber.objects.filter(customer_id=entry.customer_id, is_valid=True)
        .exclude(kind=PhoneNumber.Kind.WORK)
        .order_by("-is_primary", "id")
        .values_list("number", flat=True)
        .first()
    )


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
                   held_by_id = NULL, held_until = NULL, held_at = NULL, updated_at = %(now)s
             WHERE status = 'held' AND held_until < %(now)s
            """,
            {"now": now},
        )
        return cursor.rowcount


def release_hold(*, entry_id: int, by, now=None) -> CallListEntry:
    """A supervisor (or the holding operator) puts a held entry back without an attempt."""
    now = now or timezone.now()
    with transaction.atomic():
        # The holder's work lock comes before the entry's lock (the order of every operator path).
        peeked = (
            CallListEntry.objects.filter(pk=entry_id, status=Status.HELD).values_list("held_by_id", flat=True).first()
        )
        if peeked is not None:
            lock_operator(peeked)
        entry = lock_entry(entry_id)
        if entry.status != Status.HELD or entry.held_by_id != peeked:
            raise DispatchError(_("This entry is not held by anyone any more."))
        holder = entry.held_by
        entry.status = Status.CALLBACK if entry.callback_at else Status.PENDING
        entry.held_by = None
        entry.held_until = None
        entry.held_at = None
        entry.save(update_fields=["status", "held_by", "held_until", "held_at", "updated_at"])
        if holder is not None:
            move_working_operator(operator_id=holder.pk, state=AgentStateLog.State.READY, at=now)
        record_event(
            actor=by,
            action="dispatch.release_hold",
            target=entry,
            summary=f"Released entry {entry.pk} held by {holder}",
            holder=getattr(holder, "username", None),
        )
    return entry


@dataclass(frozen=True)
class RenewedHold:
    held_until: dt.datetime
    at_ceiling: bool  # renewals cannot keep it any longer: the call must end by held_until


def renew_hold(*, entry_id: int, operator, now=None) -> RenewedHold:
    """Keep `operator`'s hold on the entry while the call goes on: it now lasts one more
    DISPATCH_HOLD_MINUTES from `now`, but never past DISPATCH_HOLD_MAX_MINUTES after the dispatch.
    A hold that expired but was not yet put back is still this operator's (nobody else can be
    given a held entry) and is renewed too. Raises HoldLost otherwise."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE campaigns_calllistentry
               SET held_until = GREATEST(held_until, LEAST(%(renewed)s, COALESCE(held_at, %(now)s) + %(ceiling)s))
             WHERE id = %(entry)s AND status = 'held' AND held_by_id = %(operator)s
            RETURNING held_until, held_until >= COALESCE(held_at, %(now)s) + %(ceiling)s
            """,
            {
                "entry": entry_id,
                "operator": operator.pk,
                "now": now,
                "renewed": now + hold_duration(),
                "ceiling": hold_ceiling(),
            },
        )
        row = cursor.fetchone()
    if row is None:
        raise HoldLost(_("This customer is no longer assigned to you (the hold expired or a supervisor released it)."))
    return RenewedHold(held_until=row[0], at_ceiling=row[1])
