"""Call lists: preview, build (one set-based INSERT … SELECT), pause/resume/close, recycle.

A list is a snapshot: the customers a segment (or ad-hoc criteria) matched at build time, minus
everyone a rule excludes, each with the phone number to dial and a rank in the chosen order.
Every matched customer is counted once, under the first reason that excludes them, so
`matched = included + sum(excluded)` always adds up:

    dnc → no_phone → refused_before → in_other_list → prenotice → cooloff → cap → duplicate

The do-not-call check runs inside the build statement itself, so a DNC entry committed before
the build starts is always honoured (and dispatch checks again before every call). It is the set
form of `contacts.services.dnc`'s rule (`dnc.BLOCKED_CUSTOMERS_SQL`), computed once per build and
hashed; a test keeps it in agreement with `dnc.is_blocked`.
"""

import datetime
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter.audit import record_event
from callcenter.statistics import refresh_statistics
from campaigns.locks import lock_campaign_lists
from campaigns.models import CallList, CallListEntry, Campaign, Disposition
from campaigns.services import policy_rules
from contacts.attributes import attribute_number_sql, clean_attribute_key
from contacts.services import dnc

logger = logging.getLogger(__name__)

# Order of precedence when a customer is excluded for several reasons.
EXCLUSION_REASONS = [
    "dnc",
    "no_phone",
    "refused_before",
    "in_other_list",
    "prenotice",
    "cooloff",
    "cap",
    "duplicate",
]
EXCLUSION_LABELS = {
    "dnc": gettext_lazy("Active do-not-call entry"),
    "no_phone": gettext_lazy("No valid phone number"),
    "refused_before": gettext_lazy("Refused before in this campaign"),
    "in_other_list": gettext_lazy("Already in another open list of the campaign"),
    "prenotice": gettext_lazy("Pre-notice missing or too recent"),
    "cooloff": gettext_lazy("Cooling off after a recent conversation"),
    "cap": gettext_lazy("Over the cross-campaign cap"),
    "duplicate": gettext_lazy("Duplicate phone number"),
}
OPEN_LIST_STATUSES = (CallList.Status.BUILDING, CallList.Status.READY, CallList.Status.PAUSED)
RECYCLABLE_ENTRY_STATUSES = (CallListEntry.Status.DONE, CallListEntry.Status.EXHAUSTED)
# Lists matching at most this many customers are built during the request; larger ones in Celery.
INLINE_LIMIT = 20_000
# CallList.priority is a PostgreSQL integer: a larger number would fail the INSERT (a 500).
LIST_PRIORITY_LIMIT = 2**31 - 1

# (sort key expression on customer c, direction); ties are broken by customer id.
ORDERINGS = {
    CallList.Order.RECENT_PURCHASE: ('"contacts_customer"."last_purchase_at"', "DESC NULLS LAST"),
    CallList.Order.HIGHEST_SPEND: ('"contacts_customer"."total_spent"', "DESC NULLS LAST"),
    CallList.Order.OLDEST_PURCHASE: ('"contacts_customer"."last_purchase_at"', "ASC NULLS LAST"),
    CallList.Order.CUSTOMER_ID: ('"contacts_customer"."id"', "ASC"),
    CallList.Order.ATTRIBUTE: (None, "DESC NULLS LAST"),
}


class ListError(Exception):
    """A list action the rules refuse; the message is for the user."""


class RecycleChoiceError(ListError):
    """The outcomes chosen for a recycle are not allowed (bad input rather than a conflict)."""


@dataclass
class BuildSpec:
    """What a build (or a preview) needs to know."""

    campaign: Campaign
    criteria: dict
    order_by: str = CallList.Order.RECENT_PURCHASE
    order_attribute: str = ""


# ------------------------------------------------------------------ session settings


def _bulk_work_memory() -> None:
    """Room for the hash joins and sorts of one big statement (this transaction only), and the
    costs of a database that is cached in memory, so index lookups are preferred where fewer."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        # JIT-compiling this wide statement costs seconds and saves less than it costs.
        cursor.execute("SET LOCAL jit = off")


# ------------------------------------------------------------------ the statement


def _compiled(queryset) -> str:
    """A queryset as SQL text with its parameters inlined (literal-safe: psycopg2 quotes them)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Doubled %: the text is embedded in statements executed with parameters.
        return cursor.mogrify(sql, params).decode().replace("%", "%%")


def blocked_customers_sql(*, campaign_id: int, at) -> str:
    """Customer ids the do-not-call registry blocks for the campaign at `at`, as one set: the
    rule of `contacts.services.dnc` in its set form (BLOCKED_CUSTOMERS_SQL), so the build and
    dispatch obey exactly the same rule."""
    return dnc.BLOCKED_CUSTOMERS_SQL.format(at=_literal_timestamp(at), campaign=str(int(campaign_id)))


def _literal_timestamp(at) -> str:
    return f"'{at.isoformat()}'::timestamptz"


def _clean_order_attribute(order_by: str, order_attribute: str) -> str:
    """The attribute a list is ordered by, cleaned by the one attribute-key rule ("" unless the
    list is ordered by an attribute)."""
    if order_by not in ORDERINGS:
        raise ListError(_("Unknown call order."))
    if order_by != CallList.Order.ATTRIBUTE:
        return ""
    if not (order_attribute or "").strip():
        raise ListError(_("Name the numeric attribute to order by."))
    try:
        return clean_attribute_key(order_attribute)
    except ValidationError as error:
        raise ListError(error.messages[0]) from None


def _sort_key(order_by: str, order_attribute: str) -> tuple[str, list, str]:
    """(sort expression, its parameters, direction). An attribute's key is a bound parameter;
    only JSON numbers sort, a text or missing value goes last instead of failing the build."""
    key = _clean_order_attribute(order_by, order_attribute)
    expression, direction = ORDERINGS[order_by]
    if order_by == CallList.Order.ATTRIBUTE:
        expression, params = attribute_number_sql('"contacts_customer"."attributes"', key)
        return expression, params, direction
    return expression, [], direction


def _candidates_sql(criteria: dict, at, sort_expression: str, sort_params: list) -> tuple[str, list]:
    """The segment's customers as (id, sort_key), read in the same scan as the criteria."""
    from django.db.models.expressions import RawSQL

    from contacts.segments import customers_matching

    queryset = (
        customers_matching(criteria, at=at)
        .order_by()
        .annotate(build_sort_key=RawSQL(sort_expression, sort_params))
        .values("pk", "build_sort_key")
    )
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def exclusion_rule_sets(campaign, *, at, list_id: int | None, for_recycle: bool = False) -> list[tuple[str, str, bool]]:
    """(reason, SQL of a set of customer ids, negated) for every rule the campaign uses, in order
    of precedence after "no phone". A negated set lists the customers the rule lets through."""
    policy = campaign.policy
    campaign_id = int(campaign.pk)
    at_sql = _literal_timestamp(at)
    rules = [("dnc", blocked_customers_sql(campaign_id=campaign_id, at=at), False)]
    refused = policy_rules.customers_refused_sql(policy, campaign=str(campaign_id))
    if refused:
        rules.append(("refused_before", refused, False))
    if not for_recycle:
        other_lists = ", ".join(f"'{status}'" for status in OPEN_LIST_STATUSES)
        rules.append(
            (
                "in_other_list",
                f"SELECT o.customer_id FROM campaigns_calllistentry o"
                f" JOIN campaigns_calllist ol ON ol.id = o.call_list_id"
                f" WHERE o.campaign_id = {campaign_id} AND ol.status IN ({other_lists})"
                f" AND ol.id <> {int(list_id or 0)}",
                False,
            )
        )
        if campaign.prenotice_days is not None:
            latest_sent_on = timezone.localdate(at) - datetime.timedelta(days=int(campaign.prenotice_days))
            rules.append(
                (
                    "prenotice",
                    f"SELECT pn.customer_id FROM campaigns_prenotice pn WHERE pn.campaign_id = {campaign_id}"
                    f" AND pn.sent_on <= DATE '{latest_sent_on.isoformat()}'",
                    True,
                )
            )
    cooling = policy_rules.customers_cooling_off_sql(policy, at=at_sql)
    if cooling:
        rules.append(("cooloff", cooling, False))
    capped = policy_rules.customers_over_cap_sql(policy, at=at_sql)
    if capped:
        rules.append(("cap", capped, False))
    return rules


def _rule_joins(rules, *, customer: str) -> tuple[str, str, str]:
    """CTEs (one deduplicated id set per rule), LEFT JOINs on `customer`, and the CASE naming
    the first rule that excludes the row. Hash (anti-)joins keep this linear in the data size,
    where `IN (sub-select)` degrades to a nested scan once a set outgrows work_mem."""
    ctes, joins, whens = [], [], []
    for name, set_sql, negated in rules:
        ctes.append(f"rule_{name} AS (SELECT s.customer_id FROM ({set_sql}) AS s(customer_id) GROUP BY 1)")
        joins.append(f"LEFT JOIN rule_{name} ON rule_{name}.customer_id = {customer}")
        test = "IS NULL" if negated else "IS NOT NULL"
        whens.append((name, f"rule_{name}.customer_id {test}"))
    return ",\n    ".join(ctes), "\n        ".join(joins), whens


def _classified_sql(spec: BuildSpec, *, at, list_id: int | None) -> tuple[str, list]:
    """CTEs `candidates`, `classified` (one row per matched customer: phone, reason, sort key)
    and `ranked` (phone_rank > 1 = duplicate number of a customer ranked higher)."""
    sort_expression, sort_params, direction = _sort_key(spec.order_by, spec.order_attribute)
    candidates_sql, params = _candidates_sql(spec.criteria, at, sort_expression, sort_params)
    # Criteria on the customer's own columns yield each customer once; a join (if the segment
    # compiler ever uses one) could repeat them.
    distinct = "DISTINCT ON (m.id)" if " JOIN " in candidates_sql.upper() else ""
    rules = exclusion_rule_sets(spec.campaign, at=at, list_id=list_id)
    rule_ctes, rule_joins, whens = _rule_joins(rules, customer="c.id")
    whens = [whens[0], ("no_phone", "p.number IS NULL"), *whens[1:]]
    reason_case = "CASE " + " ".join(f"WHEN {test} THEN '{name}'" for name, test in whens) + " END"

    sql = f"""
    candidates AS MATERIALIZED (
        SELECT {distinct} m.id, m.sort_key FROM ({candidates_sql}) AS m(id, sort_key)
    ),
    phones AS (
        SELECT DISTINCT ON (ph.customer_id) ph.customer_id, ph.number
        FROM contacts_phonenumber ph JOIN candidates cd ON cd.id = ph.customer_id
        WHERE ph.is_valid
        ORDER BY ph.customer_id, ph.is_primary DESC, ph.id
    ),
    {rule_ctes},
    classified AS MATERIALIZED (
        SELECT c.id AS customer_id, p.number AS phone, c.sort_key, {reason_case} AS reason
        FROM candidates c
        LEFT JOIN phones p ON p.customer_id = c.id
        {rule_joins}
    ),
    ranked AS MATERIALIZED (
        SELECT customer_id, phone, sort_key,
               row_number() OVER (PARTITION BY phone ORDER BY sort_key {direction}, customer_id) AS phone_rank
        FROM classified WHERE reason IS NULL
    )"""
    return sql, params


def _counts_select(included_sql: str) -> str:
    return f"""
    SELECT ({included_sql}) AS included,
           (SELECT count(*) FROM ranked WHERE phone_rank > 1) AS duplicates,
           (SELECT coalesce(json_object_agg(reason, n), '{{}}') FROM (
                SELECT reason, count(*) AS n FROM classified WHERE reason IS NOT NULL GROUP BY reason
           ) r) AS excluded,
           (SELECT count(*) FROM candidates) AS matched"""


def _counts_from_row(row) -> dict:
    included, duplicates, excluded, matched = row
    if isinstance(excluded, str):  # psycopg2 returns json as text unless registered
        excluded = json.loads(excluded)
    counts = {reason: 0 for reason in EXCLUSION_REASONS}
    counts.update({reason: int(n) for reason, n in (excluded or {}).items()})
    counts["duplicate"] = int(duplicates)
    return {"matched": int(matched), "included": int(included), "excluded": counts}


def preview_call_list(*, spec: BuildSpec, at=None) -> dict:
    """How many customers the build would include and how many each rule would exclude,
    without writing anything: {matched, included, excluded: {reason: n}}."""
    if spec.campaign.policy_id is None:
        raise ListError(_("The campaign needs a calling policy before lists can be built."))
    at = at or timezone.now()
    ctes, params = _classified_sql(spec, at=at, list_id=None)
    sql = f"WITH {ctes} {_counts_select('SELECT count(*) FROM ranked WHERE phone_rank = 1')}"
    with transaction.atomic():
        _bulk_work_memory()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _counts_from_row(cursor.fetchone())


def _insert_entries(*, call_list: CallList, spec: BuildSpec, at) -> dict:
    """The build: ONE statement classifying every matched customer, inserting the included ones
    with their rank, and returning the counts. (No ON CONFLICT: the list is new, the build runs
    once under the campaign lock, and candidates are distinct customers; a duplicate would be a
    bug that the unique constraint turns into a failed build rather than a silent skip.)"""
    ctes, params = _classified_sql(spec, at=at, list_id=call_list.pk)
    *_, direction = _sort_key(spec.order_by, spec.order_attribute)
    at_sql = _literal_timestamp(at)
    sql = f"""
    WITH {ctes},
    inserted AS (
        INSERT INTO campaigns_calllistentry
            (call_list_id, campaign_id, customer_id, phone, rank, status, attempts,
             next_attempt_at, created_at, updated_at)
        SELECT {int(call_list.pk)}, {int(spec.campaign.pk)}, k.customer_id, k.phone,
               row_number() OVER (ORDER BY k.sort_key {direction}, k.customer_id),
               '{CallListEntry.Status.PENDING}', 0, {at_sql}, {at_sql}, {at_sql}
        FROM ranked k WHERE k.phone_rank = 1
        -- Customer order keeps the customer-keyed indexes appending instead of jumping around.
        ORDER BY k.customer_id
        RETURNING 1
    )
    {_counts_select("SELECT count(*) FROM inserted")}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = _counts_from_row(cursor.fetchone())
        # Dispatch plans its claims on this table: a list as large as a good share of it must
        # not leave them planned for the table as it was (callcenter.statistics).
        refresh_statistics("campaigns_calllistentry", rows_written=counts["included"], cursor=cursor)
        return counts


# ------------------------------------------------------------------ requesting and running a build


def _effective_criteria(*, segment, criteria) -> dict:
    from contacts.segments import validate_criteria

    if segment is not None:
        criteria = segment.criteria
    if criteria is None:
        raise ListError(_("Choose a segment or give criteria."))
    try:
        return validate_criteria(criteria)
    except ValidationError as error:  # one message per problem, told as the criteria's
        raise ValidationError({"criteria": error.messages}) from None


def list_operator_choices(campaign):
    """Who a list may be restricted to: operators of its campaign only, since dispatch gives a
    list to no one outside the campaign (such a list would never be dialed)."""
    return campaign.operators.order_by("username")


@transaction.atomic
def create_call_list(
    *,
    campaign,
    name: str,
    by,
    segment=None,
    criteria=None,
    order_by=CallList.Order.RECENT_PURCHASE,
    order_attribute: str = "",
    priority: int = 0,
    required_skill: str = "",
    operators=(),
) -> CallList:
    """Record a list to build (status "building"); `run_call_list_build` fills it."""
    if campaign.status == Campaign.Status.FINISHED:
        raise ListError(_("A finished campaign gets no new lists."))
    if campaign.policy_id is None:
        raise ListError(_("The campaign needs a calling policy before lists can be built."))
    criteria = _effective_criteria(segment=segment, criteria=criteria)
    order_attribute = _clean_order_attribute(order_by, order_attribute)  # checked before anything is stored
    call_list = CallList.objects.create(
        campaign=campaign,
        name=name,
        segment=segment,
        criteria=criteria,
        order_by=order_by,
        order_attribute=order_attribute,
        priority=priority,
        required_skill=required_skill,
        status=CallList.Status.BUILDING,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    if operators:
        call_list.operators.set(operators)
    record_event(
        actor=by,
        action="list.build_requested",
        target=call_list,
        summary=f"{campaign.name}: {name}",
        campaign=campaign.pk,
        segment=getattr(segment, "pk", None),
        criteria=criteria,
        order_by=order_by,
    )
    return call_list


def run_call_list_build(*, call_list_id: int, at=None) -> CallList:
    """Build a list created by `create_call_list`. Idempotent: a list that is no longer
    "building" is left alone, so a retried task does nothing twice. Marks the list failed (with
    the reason) when the build cannot run."""
    at = at or timezone.now()
    updated = CallList.objects.filter(pk=call_list_id, status=CallList.Status.BUILDING).update(progress=10)
    if not updated:
        return CallList.objects.get(pk=call_list_id)
    try:
        with transaction.atomic():
            call_list = CallList.objects.select_related("campaign__policy").get(pk=call_list_id)
            lock_campaign_lists(call_list.campaign_id)
            # Re-read under the lock: a racing build of the same list may have finished it.
            call_list = (
                CallList.objects.select_for_update(of=("self",), no_key=True)
                .select_related("campaign__policy")
                .get(pk=call_list_id)
            )
            if call_list.status != CallList.Status.BUILDING:
                return call_list
            spec = BuildSpec(
                campaign=call_list.campaign,
                criteria=call_list.criteria,
                order_by=call_list.order_by,
                order_attribute=call_list.order_attribute,
            )
            _bulk_work_memory()
            counts = _insert_entries(call_list=call_list, spec=spec, at=at)
            call_list.counts = counts
            call_list.status = CallList.Status.READY
            call_list.progress = 100
            call_list.built_at = at
            call_list.message = ""
            call_list.save(update_fields=["counts", "status", "progress", "built_at", "message"])
            record_event(
                actor=call_list.created_by,
                action="list.built",
                target=call_list,
                summary=f"{call_list.campaign.name}: {call_list.name} ({counts['included']})",
                counts=counts,
            )
            return call_list
    except Exception as error:  # the list shows why; the task log has the traceback
        CallList.objects.filter(pk=call_list_id, status=CallList.Status.BUILDING).update(
            status=CallList.Status.FAILED, progress=100, message=str(error)[:2000]
        )
        raise


def request_call_list(
    *,
    campaign,
    name: str,
    by,
    segment=None,
    criteria=None,
    order_by=CallList.Order.RECENT_PURCHASE,
    order_attribute: str = "",
    priority: int = 0,
    required_skill: str = "",
    operators=(),
    inline_limit: int | None = None,
) -> CallList:
    """Create a list and build it: at once when the segment matches few customers, otherwise in
    Celery (the list page shows the progress)."""
    from contacts.segments import customers_matching

    call_list = create_call_list(
        campaign=campaign,
        name=name,
        by=by,
        segment=segment,
        criteria=criteria,
        order_by=order_by,
        order_attribute=order_attribute,
        priority=priority,
        required_skill=required_skill,
        operators=operators,
    )
    limit = inline_limit if inline_limit is not None else getattr(settings, "LIST_BUILD_INLINE_LIMIT", INLINE_LIMIT)
    if customers_matching(call_list.criteria).count() <= limit:
        try:
            return run_call_list_build(call_list_id=call_list.pk)
        except Exception:  # the list is marked failed with the reason; the page shows it
            logger.exception("call list %s failed to build", call_list.pk)
            return CallList.objects.get(pk=call_list.pk)
    from campaigns.tasks.setup import build_call_list_task

    transaction.on_commit(lambda: build_call_list_task.delay(call_list.pk))
    return call_list


# ------------------------------------------------------------------ list status

LIST_TRANSITIONS = {
    "pause": (CallList.Status.PAUSED, {CallList.Status.READY}),
    "resume": (CallList.Status.READY, {CallList.Status.PAUSED}),
    "close": (CallList.Status.CLOSED, {CallList.Status.READY, CallList.Status.PAUSED}),
}


@transaction.atomic
def change_list_status(*, call_list, action: str, by) -> CallList:
    target, allowed_from = LIST_TRANSITIONS[action]
    # NO KEY (here and in the build and recycle): list rows are parents of entries and attempts,
    # whose foreign-key checks take a key-share lock at commit; none of these changes a key.
    call_list = CallList.objects.select_for_update(no_key=True).get(pk=call_list.pk)
    if call_list.status == target:
        return call_list
    if call_list.status not in allowed_from:
        raise ListError(
            _("A list that is %(status)s cannot be changed this way.") % {"status": call_list.get_status_display()}
        )
    previous = call_list.status
    call_list.status = target
    call_list.save(update_fields=["status"])
    if target == CallList.Status.CLOSED:
        # Nothing of a closed list is dialed any more; finished entries keep their outcome.
        call_list.entries.filter(status__in=[CallListEntry.Status.PENDING, CallListEntry.Status.CALLBACK]).update(
            status=CallListEntry.Status.CANCELLED, updated_at=timezone.now()
        )
    record_event(
        actor=by,
        action=f"list.{action}",
        target=call_list,
        summary=f"{call_list.name}: {previous} → {target}",
        previous=previous,
        status=target,
    )
    return call_list


# ------------------------------------------------------------------ recycle


def recyclable_dispositions():
    """Outcomes a supervisor may recycle: never a refusal or a do-not-call request."""
    return Disposition.objects.filter(is_refusal=False, adds_dnc=False)


@transaction.atomic
def recycle_call_list(*, call_list, disposition_codes: list[str], by, at=None) -> dict:
    """Put back to "pending" the entries that ended with one of `disposition_codes`, for a new
    round of attempts (their attempt counter restarts; the cross-campaign cap, cool-off and
    do-not-call still apply). Entries whose customer is now on the do-not-call registry become
    "blocked" and never come back; refusals are never recycled. Returns
    {"reset": n, "skipped": {reason: n}}."""
    at = at or timezone.now()
    lock_campaign_lists(call_list.campaign_id)
    call_list = (
        CallList.objects.select_for_update(of=("self",), no_key=True)
        .select_related("campaign__policy")
        .get(pk=call_list.pk)
    )
    campaign = call_list.campaign
    if call_list.status not in (CallList.Status.READY, CallList.Status.PAUSED):
        raise ListError(_("Only a ready or paused list can be recycled."))
    if campaign.status == Campaign.Status.FINISHED:
        raise ListError(_("A finished campaign cannot be recycled."))
    disposition_ids = list(recyclable_dispositions().filter(code__in=disposition_codes).values_list("pk", flat=True))
    refused = set(disposition_codes) & set(
        Disposition.objects.filter(code__in=disposition_codes)
        .exclude(pk__in=disposition_ids)
        .values_list("code", flat=True)
    )
    if refused:
        raise RecycleChoiceError(
            _("These outcomes can never be recycled: %(codes)s") % {"codes": ", ".join(sorted(refused))}
        )
    if not disposition_ids:
        raise RecycleChoiceError(_("Choose at least one outcome to recycle."))

    at_sql = _literal_timestamp(at)
    rule_ctes, rule_joins, whens = _rule_joins(
        exclusion_rule_sets(campaign, at=at, list_id=call_list.pk, for_recycle=True), customer="e.customer_id"
    )
    reason_case = "CASE " + " ".join(f"WHEN {test} THEN '{name}'" for name, test in whens) + " END"
    statuses = ", ".join(f"'{s}'" for s in RECYCLABLE_ENTRY_STATUSES)
    ids = ", ".join(str(int(i)) for i in disposition_ids)
    sql = f"""
    WITH {rule_ctes},
    picked AS MATERIALIZED (
        SELECT e.id, {reason_case} AS reason
        FROM campaigns_calllistentry e
        {rule_joins}
        WHERE e.call_list_id = {int(call_list.pk)} AND e.status IN ({statuses})
          AND e.last_disposition_id IN ({ids})
          -- an entry that ever ended in a refusal or an opt-out, as logged then, never comes back
          AND NOT EXISTS (SELECT 1 FROM campaigns_callattempt la
                          WHERE la.entry_id = e.id AND (la.is_refusal OR la.adds_dnc))
    ),
    reset AS (
        UPDATE campaigns_calllistentry t
        SET status = '{CallListEntry.Status.PENDING}', attempts = 0, next_attempt_at = {at_sql},
            callback_at = NULL, assigned_operator_id = NULL, held_by_id = NULL, held_until = NULL, held_at = NULL,
            updated_at = {at_sql}
        FROM picked
        WHERE t.id = picked.id AND picked.reason IS NULL AND t.status IN ({statuses})
        RETURNING 1
    ),
    blocked AS (
        UPDATE campaigns_calllistentry t
        SET status = '{CallListEntry.Status.BLOCKED}', updated_at = {at_sql}
        FROM picked
        WHERE t.id = picked.id AND picked.reason = 'dnc' AND t.status IN ({statuses})
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM reset),
           (SELECT count(*) FROM blocked),
           (SELECT coalesce(json_object_agg(reason, n), '{{}}') FROM (
                SELECT reason, count(*) AS n FROM picked WHERE reason IS NOT NULL GROUP BY reason) r)"""
    _bulk_work_memory()
    with connection.cursor() as cursor:
        cursor.execute(sql, [])
        reset, blocked, skipped = cursor.fetchone()
        refresh_statistics("campaigns_calllistentry", rows_written=reset + blocked, cursor=cursor)
    if isinstance(skipped, str):
        skipped = json.loads(skipped)
    result = {"reset": int(reset), "skipped": {k: int(v) for k, v in (skipped or {}).items()}}
    record_event(
        actor=by,
        action="list.recycled",
        target=call_list,
        summary=f"{call_list.name}: {result['reset']} reset",
        dispositions=sorted(disposition_codes),
        **result,
    )
    return result
