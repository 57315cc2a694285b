"""The compliance report of a campaign: for a period, how many of its stored call attempts broke
each calling rule, with example attempt ids. Evidence, not intent: it is computed from the
attempts as stored (their times, numbers and the meaning their outcome had when logged), the
do-not-call registry's history (an entry counts from its creation until its revocation or
expiry) and the refusals filed with the attempts, in one set-based statement: a scan of the
campaign's attempts in the period, each judged on its own stored facts. It never asks the
services what they meant to do.

The rules (docs/rules.md; README "Compliance report" says what each row means):

- dnc: a call to a number or customer with a do-not-call entry in force at the moment of the call
  (global or the campaign's; a customer's entry also covers their numbers and anyone sharing one);
- window: a call outside the policy's hours in the customer's local time (an unknown time zone
  is always outside);
- weekday_holiday: a call on a local date the policy keeps free (weekday, public holiday,
  blackout date: scheduling.is_day_allowed, the one definition of a callable day);
- max_attempts: an attempt beyond the policy's attempts per entry in one round (a recycle starts
  a new round: the stored attempt number restarts at 1);
- max_per_day: an attempt beyond the policy's attempts per entry in one local day;
- min_gap: a call sooner than the policy's minimum gap after the customer's previous call in any
  campaign;
- cap: a call that made more than `cap_attempts` calls to the customer (any campaign) in a rolling
  `cap_days` days;
- cool_off: a call within `cooloff_days_after_contact` days after a conversation in any campaign,
  unless it is the callback that conversation scheduled on the same entry;
- refusal: a call after the customer refused in the policy's refusal scope;
- disclosure: with a policy that requires the disclosure, a conversation logged without it
  confirmed;
- prenotice: with `prenotice_days`, a call to a customer without a notice for the campaign sent at
  least that many days before the call's date.

A rule the policy does not use reports 0. Each attempt is judged by the policy version in force
when it was logged, on the facts stored with it then (migration 0012_attempt_facts; docs/rules.md
says what is stored and what a late attempt carries); the outcome meanings, refusals and registry
are as they were at the moment of the call.
"""

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from campaigns.models import CallingPolicy, CallingPolicyVersion, Campaign
from campaigns.services import scheduling

RULES = (
    "dnc",
    "window",
    "weekday_holiday",
    "max_attempts",
    "max_per_day",
    "min_gap",
    "cap",
    "cool_off",
    "refusal",
    "disclosure",
    "prenotice",
)
EXAMPLES = 10


@dataclass
class ComplianceReport:
    campaign: int
    date_from: dt.date
    date_to: dt.date
    attempts_checked: int
    rules: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {
            "campaign": self.campaign,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "attempts_checked": self.attempts_checked,
            "rules": self.rules,
        }

    @property
    def violations(self) -> int:
        return sum(row["violations"] for row in self.rules)


def default_period(campaign: Campaign, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From the campaign's first day (or creation) to today, in the center's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = today or dt.datetime.now(zone).date()
    start = campaign.starts_on or campaign.created_at.astimezone(zone).date()
    return min(start, today), today


def _version_rows(ids) -> dict:
    """The policy versions by id; 0 stands for the attempts of a campaign without a policy, judged
    by the defaults of a new policy."""
    versions = dict(CallingPolicyVersion.objects.in_bulk([i for i in ids if i]))
    versions[0] = CallingPolicy()
    return versions


# The rules as predicates on one stored attempt `a`, its policy version `v` and the registry and
# refusal joins. A late attempt (logged after later calls of the customer) carries
# the violation its arrival causes itself: next_call_at and the counts include the later calls.
FLAGS = {
    "dnc": "coalesce(cu.spans @> a.started_at OR dp.spans @> a.started_at, false)",
    # [start, end) of the local day; an end at midnight or equal to the start runs to midnight; an
    # end before the start wraps past midnight (scheduling._window_bounds).
    "window": (
        "(a.local_time IS NULL OR NOT CASE"
        " WHEN v.w_end = TIME '00:00' OR v.w_end = v.w_start THEN a.local_time >= v.w_start"
        " WHEN v.w_end > v.w_start THEN a.local_time >= v.w_start AND a.local_time < v.w_end"
        " ELSE a.local_time >= v.w_start OR a.local_time < v.w_end END)"
    ),
    # weekday_holiday: by (version, local date), decided by scheduling.is_day_allowed (see below).
    "max_attempts": "(a.attempt_number > v.max_attempts OR a.round_position > v.max_attempts)",
    "max_per_day": "(v.per_day > 0 AND a.calls_that_day > v.per_day)",
    "min_gap": "(a.previous_call_at > a.started_at - v.gap OR a.next_call_at < a.started_at + v.gap)",
    "cap": "coalesce(a.calls_in_cap_window > v.cap_attempts, false)",
    "cool_off": (
        "((a.last_contact_at > a.started_at - v.cooloff AND a.previous_callback_at IS NULL)"
        " OR (a.is_contact AND a.callback_at IS NULL AND a.next_call_at < a.started_at + v.cooloff))"
    ),
    # the refusal filed in the campaign's own scope (r0), or in the policy's wider scope under the
    # campaign's product or company at the moment of the call (marks_sql fills in the columns)
    "refusal": (
        "(v.no_resolicit AND a.started_at > LEAST(cu.r0,"
        " CASE v.refusal_scope WHEN 'product' THEN {by_product} WHEN 'company' THEN {by_company} END))"
    ),
    "disclosure": "(v.disclosure_required AND a.is_contact AND NOT a.disclosure_confirmed)",
    # the campaign's pre-notice days at the moment of the call (its terms, not the policy's),
    # counted from the first notice stored with the call to the center's midnight that many days
    # after it was sent (the statement runs in the center's time zone: compliance_report)
    "prenotice": (
        "(v.prenotice_days IS NOT NULL AND (a.first_notice_on IS NULL"
        " OR a.started_at < (a.first_notice_on + v.prenotice_days)::timestamptz))"
    ),
}


def registry_sql() -> str:
    """The do-not-call entries that bear on the campaign, each with when it was in force (from its
    creation until revoked or expired): by customer (the branches of
    contacts.services.dnc.BLOCKED_CUSTOMERS_SQL) and by number, the spans of each customer and of
    each number merged, as four arrays in text form. Read before the report's statement and passed
    into it: the registry joins inside the statement kept PostgreSQL from running the scan of the
    attempts in parallel."""
    span = "tstzrange(d.created_at, LEAST(d.revoked_at, d.expires_at), '[)') AS span"
    in_scope = (
        "(d.campaign_id IS NULL OR d.campaign_id = %(campaign)s)"
        " AND d.created_at < LEAST(d.revoked_at, d.expires_at, 'infinity')"
    )
    return f"""
    WITH customers AS MATERIALIZED (
        SELECT d.customer_id, {span} FROM contacts_donotcall d
        WHERE d.customer_id IS NOT NULL AND {in_scope}
        UNION ALL
        SELECT p.customer_id, {span} FROM contacts_donotcall d
        JOIN contacts_phonenumber p ON p.number = d.phone_number WHERE d.phone_number <> '' AND {in_scope}
        UNION ALL
        SELECT q.customer_id, {span} FROM contacts_donotcall d
        JOIN contacts_phonenumber p ON p.customer_id = d.customer_id
        JOIN contacts_phonenumber q ON q.number = p.number WHERE d.customer_id IS NOT NULL AND {in_scope}
    ),
    numbers AS MATERIALIZED (
        SELECT d.phone_number AS number, {span} FROM contacts_donotcall d
        WHERE d.phone_number <> '' AND {in_scope}
        UNION ALL
        -- a customer's entry covers their numbers, so also whoever shares one
        SELECT p.number, {span} FROM contacts_donotcall d
        JOIN contacts_phonenumber p ON p.customer_id = d.customer_id WHERE d.customer_id IS NOT NULL AND {in_scope}
    )
    , by_customer AS MATERIALIZED (
        SELECT c.customer_id, range_agg(c.span) AS spans FROM customers c GROUP BY c.customer_id
    ),
    by_number AS MATERIALIZED (
        SELECT n.number, range_agg(n.span) AS spans FROM numbers n GROUP BY n.number
    )
    SELECT (SELECT coalesce(array_agg(c.customer_id), '{{}}')::text FROM by_customer c),
           (SELECT coalesce(array_agg(c.spans), '{{}}')::text FROM by_customer c),
           (SELECT coalesce(array_agg(n.number), '{{}}')::text FROM by_number n),
           (SELECT coalesce(array_agg(n.spans), '{{}}')::text FROM by_number n)
    """


@dataclass(frozen=True)
class TermsShape:
    """What the statement's text depends on: the campaign's terms versions (count) and, for each,
    which refusal key column (r<k> of the per-customer map) is its product's and its company's;
    `keys` refusal keys in all, r0 being the campaign's own."""

    count: int
    product_columns: tuple[int, ...]
    company_columns: tuple[int, ...]
    keys: int


def _by_terms(expressions: list[str]) -> str:
    """The expression of the campaign's terms version in force when the attempt started
    (%(terms_from_i)s, oldest first); the first version also covers the calls before it."""
    if len(expressions) == 1:
        return expressions[0]
    branches = " ".join(
        f"WHEN a.started_at >= %(terms_from_{i})s THEN {expressions[i]}" for i in range(len(expressions) - 1, 0, -1)
    )
    return f"CASE {branches} ELSE {expressions[0]} END"


def marks_sql(terms: TermsShape) -> str:
    """One row per attempt of the campaign in the period: id, version (0: none), local date and
    one boolean column per rule of FLAGS. Parameters %(campaign)s, %(start)s, %(end)s,
    the registry arrays (registry_sql), the refusal keys %(refusal_key_k)s, the
    campaign's terms versions (%(terms_from_i)s, %(terms_prenotice_days_i)s) and the default
    policy's values %(d_*)s.

    Two joins per attempt: the registry by number, and one map per customer of the registry's
    entries on customers and the refusals. Every join probed per attempt costs about as much as the
    scan itself, so they are kept to these two, and the map small: the first pre-notice is stored
    with each attempt (first_notice_on), not joined from the notices."""
    version_columns = (
        "w_start, w_end, max_attempts, per_day, gap, cap_attempts, cooloff, no_resolicit, refusal_scope,"
        " disclosure_required"
    )
    refused = ",\n".join(
        f"min(x.refused_at) FILTER (WHERE x.scope_key = %(refusal_key_{k})s) AS r{k}" for k in range(terms.keys)
    )
    keys = ", ".join(f"%(refusal_key_{k})s" for k in range(terms.keys))
    prenotice_days = _by_terms([f"%(terms_prenotice_days_{i})s" for i in range(terms.count)])
    by_product = _by_terms([f"cu.r{k}" for k in terms.product_columns])
    by_company = _by_terms([f"cu.r{k}" for k in terms.company_columns])
    flags = ",\n".join(
        f"{flag.format(by_product=by_product, by_company=by_company)} AS {rule}" for rule, flag in FLAGS.items()
    )
    return f"""
    WITH versions ({"id, " + version_columns}) AS (
        SELECT v.id, v.call_window_start, v.call_window_end, v.max_attempts, v.max_attempts_per_day,
               make_interval(mins => v.min_gap_minutes::integer),
               CASE WHEN v.cap_days > 0 THEN v.cap_attempts END,
               make_interval(days => coalesce(v.cooloff_days_after_contact, 0)::integer),
               v.no_resolicit_after_refusal, v.refusal_scope, v.disclosure_required
        FROM campaigns_callingpolicyversion v
    ),
    -- (each number once already; grouped all the same: on the bare array's row count the planner
    -- sorts the attempts for a merge join, or hashes them instead of the registry)
    dnc_numbers AS (
        SELECT n.number, range_intersect_agg(n.spans) AS spans
        FROM unnest(%(dnc_numbers)s::text[], %(dnc_number_spans)s::tstzmultirange[]) n(number, spans)
        GROUP BY n.number
    ),
    -- one row per customer with a registry entry or a refusal: one join per attempt
    -- (one aggregate over a union, not full joins: it stays parallel). No aggregate with an
    -- internal state (range_agg, array_agg): the planner reserves kilobytes per group for one and
    -- spills the map to disk; a customer's spans come merged, in one row (range_intersect_agg of
    -- one value is that value).
    customers AS (
        SELECT x.customer_id, range_intersect_agg(x.spans) AS spans,
               {refused}
        FROM (
            -- the registry's entries on customers, read before (registry_sql)
            SELECT c.customer_id, c.spans, NULL AS scope_key, NULL::timestamptz AS refused_at
            FROM unnest(%(dnc_customers)s::bigint[], %(dnc_customer_spans)s::tstzmultirange[]) c(customer_id, spans)
            UNION ALL
            -- the refusals filed under the campaign's keys in each scope (computed before)
            SELECT r.customer_id, NULL, r.scope_key, r.refused_at FROM campaigns_refusal r
            WHERE r.scope_key IN ({keys})
        ) x GROUP BY x.customer_id
    )
    SELECT a.id, a.policy_version_id AS version, a.local_date,
    {flags}
    FROM campaigns_callattempt a
    LEFT JOIN versions vv ON vv.id = a.policy_version_id
    -- an attempt without a version (its campaign had no policy) is judged by a new policy's
    -- defaults (a column default here, not a UNION row: a UNION kept the plan serial)
    CROSS JOIN LATERAL (
        SELECT coalesce(vv.w_start, %(d_w_start)s::time) AS w_start, coalesce(vv.w_end, %(d_w_end)s::time) AS w_end,
               coalesce(vv.max_attempts, %(d_max_attempts)s) AS max_attempts,
               coalesce(vv.per_day, %(d_per_day)s) AS per_day,
               coalesce(vv.gap, make_interval(mins => %(d_gap)s)) AS gap,
               CASE WHEN vv.id IS NOT NULL THEN vv.cap_attempts END AS cap_attempts,
               coalesce(vv.cooloff, make_interval(days => %(d_cooloff)s)) AS cooloff,
               coalesce(vv.no_resolicit, %(d_no_resolicit)s) AS no_resolicit,
               coalesce(vv.refusal_scope, %(d_refusal_scope)s) AS refusal_scope,
               coalesce(vv.disclosure_required, %(d_disclosure)s) AS disclosure_required,
               ({prenotice_days})::integer AS prenotice_days
    ) v
    LEFT JOIN customers cu ON cu.customer_id = a.customer_id
    LEFT JOIN dnc_numbers dp ON dp.number = a.phone
    WHERE a.campaign_id = %(campaign)s AND a.started_at >= %(start)s AND a.started_at < %(end)s
    """


def report_sql(terms: TermsShape) -> str:
    """The statement (marks_sql(terms)): per policy version, local date and set of rules broken
    (a bit per rule of FLAGS, in their order), the attempts with their least and greatest id. Most
    attempts break nothing, so there are few groups, and three aggregates per attempt instead of
    three per rule. Built-in parallel-safe aggregates only (array_agg is not, in PostgreSQL 15), so
    it runs in parallel."""
    bits = " | ".join(f"(CASE WHEN m.{rule} THEN {1 << i} ELSE 0 END)" for i, rule in enumerate(FLAGS))
    return f"""
    SELECT m.version, m.local_date, {bits} AS broken, count(*), min(m.id), max(m.id)
    FROM ({marks_sql(terms)}) m
    GROUP BY 1, 2, 3
    """


def _parameters(campaign: Campaign, start: dt.datetime, end: dt.datetime) -> dict:
    """The statement's parameters; "terms" is the shape of the campaign's terms (marks_sql's
    argument)."""
    default = CallingPolicy()
    # The campaign's refusal keys and pre-notice days in each of its terms versions, computed once
    # (a function call per row would also keep the statement from running in parallel).
    with connection.cursor() as cursor:
        # (a campaign written around its trigger has no version: its terms as they are now)
        cursor.execute(
            """
            SELECT t.created_at, t.prenotice_days,
                   campaigns_refusal_key('product', t.campaign_id, t.company, t.product),
                   campaigns_refusal_key('company', t.campaign_id, t.company, t.product)
            FROM (
                SELECT v.number, v.created_at, v.prenotice_days, v.campaign_id, v.company, v.product
                FROM campaigns_campaigntermsversion v WHERE v.campaign_id = %(campaign)s
                UNION ALL
                SELECT 0, NULL::timestamptz, k.prenotice_days, k.id, k.company, k.product
                FROM campaigns_campaign k WHERE k.id = %(campaign)s
                  AND NOT EXISTS (SELECT 1 FROM campaigns_campaigntermsversion v WHERE v.campaign_id = k.id)
            ) t ORDER BY t.number
            """,
            {"campaign": campaign.pk},
        )
        versions = cursor.fetchall()
        cursor.execute("SELECT campaigns_refusal_key('campaign', %s, '', '')", [campaign.pk])
        key_campaign = cursor.fetchone()[0]
        cursor.execute(registry_sql(), {"campaign": campaign.pk})
        registry = cursor.fetchone()
    # the refusal keys in all: the campaign's own first (r0), then each version's product's and
    # company's (the same key once)
    keys = [key_campaign]
    columns = {"product": [], "company": []}
    terms = {}
    for i, (created_at, prenotice_days, key_product, key_company) in enumerate(versions):
        for scope, key in (("product", key_product), ("company", key_company)):
            if key not in keys:
                keys.append(key)
            columns[scope].append(keys.index(key))
        terms.update({f"terms_from_{i}": created_at, f"terms_prenotice_days_{i}": prenotice_days})
    shape = TermsShape(
        count=len(versions),
        product_columns=tuple(columns["product"]),
        company_columns=tuple(columns["company"]),
        keys=len(keys),
    )
    return {
        "dnc_customers": registry[0],
        "dnc_customer_spans": registry[1],
        "dnc_numbers": registry[2],
        "dnc_number_spans": registry[3],
        "terms": shape,
        **terms,
        **{f"refusal_key_{k}": key for k, key in enumerate(keys)},
        "campaign": campaign.pk,
        "start": start,
        "end": end,
        "d_w_start": default.call_window_start,
        "d_w_end": default.call_window_end,
        "d_max_attempts": default.max_attempts,
        "d_per_day": default.max_attempts_per_day,
        "d_gap": default.min_gap_minutes,
        "d_cooloff": default.cooloff_days_after_contact or 0,
        "d_no_resolicit": default.no_resolicit_after_refusal,
        "d_refusal_scope": default.refusal_scope,
        "d_disclosure": default.disclosure_required,
    }


def compliance_report(campaign: Campaign, *, date_from: dt.date, date_to: dt.date) -> ComplianceReport:
    """The report for the campaign's attempts started on local (center) dates date_from..date_to,
    each judged by the policy version in force when it was logged."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    params = _parameters(campaign, start, end)
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # One scan of millions of rows: room to hash in memory, no JIT compile.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        # The center's calendar for the pre-notice's days (a date to timestamptz cast in the
        # session's zone is far cheaper per attempt than AT TIME ZONE a zone's name).
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [settings.TIME_ZONE])
        # The two workers build the per-customer map and scan; a leader doing both as well only
        # takes the cores from them (2 cores: about 10 % slower).
        cursor.execute("SET LOCAL parallel_leader_participation = off")
        cursor.execute(report_sql(params["terms"]), params)
        groups = cursor.fetchall()
        counts = dict.fromkeys(RULES, 0)
        examples: dict[str, set] = {rule: set() for rule in RULES}
        checked = 0
        versions = _version_rows({row[0] for row in groups})
        closed_cache: dict = {}
        closed_pairs = set()
        for version, day, broken, n, low, high in groups:
            version = version or 0
            checked += n
            for index, rule in enumerate(FLAGS):
                if broken & (1 << index):
                    counts[rule] += n
                    examples[rule].update((low, high))
            # weekday_holiday: a local date the version keeps free (scheduling.is_day_allowed, the
            # one definition of a callable day; None: unknown time zone, counted by `window`)
            if day is not None:
                key = (version, day)
                if key not in closed_cache:
                    closed_cache[key] = not scheduling.is_day_allowed(versions[version], day)
                if closed_cache[key]:
                    closed_pairs.add(key)
                    counts["weekday_holiday"] += n
                    examples["weekday_holiday"].update((low, high))
        # Fewer examples than violations (and than EXAMPLES): the groups' least and greatest ids
        # missed some; ask for them directly (cheap: only when a rule has few violations).
        for rule in RULES:
            if len(examples[rule]) < min(counts[rule], EXAMPLES):
                if rule == "weekday_holiday":
                    where = (
                        "(coalesce(m.version, 0), m.local_date)"
                        " IN (SELECT * FROM unnest(%(cv)s::bigint[], %(cd)s::date[]))"
                    )
                    pairs = sorted(closed_pairs)
                    extra = {"cv": [p[0] for p in pairs], "cd": [p[1] for p in pairs]}
                else:
                    where, extra = f"m.{rule}", {}
                cursor.execute(
                    f"SELECT m.id FROM ({marks_sql(params['terms'])}) m WHERE {where} ORDER BY m.id LIMIT {EXAMPLES}",
                    {**params, **extra},
                )
                examples[rule].update(i for (i,) in cursor.fetchall())
    return ComplianceReport(
        campaign=campaign.pk,
        date_from=date_from,
        date_to=date_to,
        attempts_checked=checked,
        rules=[
            {"rule": rule, "violations": counts[rule], "examples": sorted(examples[rule])[:EXAMPLES]} for rule in RULES
        ],
        seconds=time.perf_counter() - began,
    )


# ------------------------------------------------------------------ who reads which report

RULE_LABELS = {
    "dnc": _("Do-not-call"),
    "window": _("Calling hours"),
    "weekday_holiday": _("Weekdays, holidays and blackout dates"),
    "max_attempts": _("Attempts per entry"),
    "max_per_day": _("Attempts per day"),
    "min_gap": _("Minimum gap"),
    "cap": _("Cross-campaign cap"),
    "cool_off": _("Cool-off after a conversation"),
    "refusal": _("Call after a refusal"),
    "disclosure": _("Mandatory disclosure"),
    "prenotice": _("Pre-notice"),
}
RULE_MEANINGS = {
    "dnc": _("Calls to a number or customer that had a do-not-call entry in force at the moment of the call."),
    "window": _("Calls outside the policy's calling hours in the customer's local time."),
    "weekday_holiday": _("Calls on a day the policy keeps free: weekday, public holiday or blackout date."),
    "max_attempts": _("Attempts beyond the policy's maximum per entry in one round."),
    "max_per_day": _("Attempts beyond the policy's maximum per entry in one of the customer's days."),
    "min_gap": _("Calls sooner than the minimum gap after the customer's previous call in any campaign."),
    "cap": _("Calls beyond the cross-campaign cap in the rolling period."),
    "cool_off": _("Calls during the cool-off after a conversation in any campaign (callbacks excepted)."),
    "refusal": _("Calls after the customer refused, in the policy's refusal scope."),
    "disclosure": _("Conversations logged without the mandatory disclosure confirmed."),
    "prenotice": _("Calls without a pre-notice sent early enough."),
}


def report_campaigns(user):
    """The campaigns whose compliance report `user` may read (a client viewer: theirs), or None
    when the user may read none."""
    from callcenter import roles

    if roles.can(user, roles.MANAGE_LISTS, roles.VIEW_DASHBOARD):
        return Campaign.objects.order_by("name")
    if roles.can(user, roles.VIEW_CLIENT_KPIS):
        return Campaign.objects.filter(client_viewers=user).order_by("name")
    return None
