"""The compliance report of a campaign: for a period, how many of its stored call attempts broke
each calling rule, with example attempt ids. Evidence, not intent: it is computed from the
attempts as stored (their times, numbers and the meaning their outcome had when logged), the
do-not-call registry's history (an entry counts from its creation until its revocation or
expiry) and the refusals filed with the attempts, in one set-based statement. It never asks the
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

A rule the campaign's policy does not use reports 0. The policy is the campaign's current one
(policies keep no history); the outcome meanings, refusals and registry are as they were then.
"""

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from campaigns.models import CallAttempt, CallingPolicy, Campaign
from campaigns.services import policy_rules, scheduling

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


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _date_array(days) -> str:
    """A constant date[] literal (a constant array lets PostgreSQL hash `= ANY`)."""
    return "'{" + ",".join(day.isoformat() for day in sorted(days)) + "}'::date[]"


def _closed_days(policy: CallingPolicy, date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    # One day of margin each side: a customer's local date may differ from the center's.
    day, last, closed = date_from - dt.timedelta(days=1), date_to + dt.timedelta(days=1), []
    while day <= last:
        if not scheduling.is_day_allowed(policy, day):
            closed.append(day)
        day += dt.timedelta(days=1)
    return closed


def _interval_days(days) -> str:
    return f"make_interval(days => {int(days)})"


def report_sql(campaign: Campaign, *, closed_days) -> str:
    """The statement (parameters %(campaign)s, %(start)s, %(end)s, %(center_tz)s); one output row
    per rule: (attempts checked, rule, violations, examples). `closed_days`: the local dates the
    policy keeps free around the period."""
    policy = campaign.policy or CallingPolicy()
    gap = int(policy.min_gap_minutes or 0)
    uses_cap = bool(policy.cap_attempts and policy.cap_days)
    cooloff = int(policy.cooloff_days_after_contact or 0)
    # How far back the customer's calls of other campaigns matter.
    lookback_minutes = max(gap, (int(policy.cap_days) if uses_cap else 0) * 1440, cooloff * 1440, 2 * 1440)
    cross_campaign = bool(gap or uses_cap or cooloff)
    has_disclosure = _has_field(CallAttempt, "disclosure_confirmed") and getattr(policy, "disclosure_required", False)
    disclosure_column = "a.disclosure_confirmed" if has_disclosure else "true"

    if cross_campaign:
        # The campaign's customers' calls of every campaign: the gap, cap and cool-off count them.
        history_scope = (
            "(a.campaign_id = %(campaign)s OR a.customer_id IN ("
            " SELECT m.customer_id FROM campaigns_callattempt m WHERE m.campaign_id = %(campaign)s"
            " AND m.started_at >= %(start)s AND m.started_at < %(end)s))"
        )
    else:
        history_scope = "a.campaign_id = %(campaign)s"

    # The window as scheduling._window_bounds reads it: [start, end) of the local day; an end at
    # midnight or equal to the start runs to midnight; an end before the start wraps past midnight.
    start, end = policy.call_window_start, policy.call_window_end
    after_start = f"h.local_at::time >= TIME '{start:%H:%M:%S}'"
    before_end = f"h.local_at::time < TIME '{end:%H:%M:%S}'"
    if end == dt.time(0) or end == start:
        inside = after_start
    elif end > start:
        inside = f"{after_start} AND {before_end}"
    else:
        inside = f"{after_start} OR {before_end}"
    outside = f"NOT ({inside})"
    flags = {
        "dnc": "(dc.spans @> h.started_at OR dp.spans @> h.started_at)",
        "window": f"(h.local_at IS NULL OR {outside})",
        "weekday_holiday": f"h.local_at::date = ANY({_date_array(closed_days)})",
        "max_attempts": f"(h.attempt_number > {int(policy.max_attempts)} OR h.round_n > {int(policy.max_attempts)})",
        "max_per_day": (f"h.day_n > {int(policy.max_attempts_per_day)}" if policy.max_attempts_per_day else "false"),
        "min_gap": f"h.previous_at > h.started_at - make_interval(mins => {gap})" if gap else "false",
        "cap": f"h.cap_count > {int(policy.cap_attempts)}" if uses_cap else "false",
        "cool_off": (
            f"(h.last_contact_at > h.started_at - {_interval_days(cooloff)} AND h.previous_entry_callback_at IS NULL)"
            if cooloff
            else "false"
        ),
        "refusal": "h.started_at > rf.first_refused_at" if policy.no_resolicit_after_refusal else "false",
        "disclosure": "(h.is_contact AND NOT h.disclosure_confirmed)" if has_disclosure else "false",
        "prenotice": (
            f"(pn.first_sent_on IS NULL OR pn.first_sent_on > (h.started_at AT TIME ZONE %(center_tz)s)::date"
            f" - {int(campaign.prenotice_days)})"
            if campaign.prenotice_days is not None
            else "false"
        ),
    }
    cap_window = (
        f"count(*) OVER (PARTITION BY a.customer_id ORDER BY a.started_at RANGE BETWEEN"
        f" {_interval_days(policy.cap_days)} - interval '1 microsecond' PRECEDING AND CURRENT ROW)"
        if uses_cap
        else "0"
    )
    refusal_keys = (
        policy_rules.refusal_keys_sql(policy, "%(campaign)s") if policy.no_resolicit_after_refusal else "'{}'::text[]"
    )
    # Examples: the first ten violating attempts the aggregate meets (an ORDER BY inside each
    # aggregate would sort every rule's violations: a fifth of the statement's time).
    # entry_calls orders by (started_at, id), unique: its default frame is the rows up to this one.
    aggregates = ",\n".join(
        f"count(*) FILTER (WHERE {flag}) AS {rule}_n,"
        f" (array_agg(h.id) FILTER (WHERE {flag}))[1:{EXAMPLES}] AS {rule}_ids"
        for rule, flag in flags.items()
    )
    unpivot = ", ".join(f"('{rule}', {rule}_n, {rule}_ids)" for rule in RULES)
    # When a registry entry was in force: from its creation until revoked or expired.
    span = "tstzrange(d.created_at, LEAST(d.revoked_at, d.expires_at), '[)') AS span"
    in_scope = (
        "(d.campaign_id IS NULL OR d.campaign_id = %(campaign)s)"
        " AND d.created_at < LEAST(d.revoked_at, d.expires_at, 'infinity')"
    )
    return f"""
    WITH zones AS MATERIALIZED (SELECT name FROM pg_timezone_names),
    history AS (
        SELECT a.id, a.campaign_id, a.customer_id, a.entry_id, a.phone, a.started_at, a.attempt_number,
               a.is_contact, a.callback_at, {disclosure_column} AS disclosure_confirmed,
               CASE WHEN z.name IS NOT NULL THEN a.started_at AT TIME ZONE c.time_zone END AS local_at,
               coalesce(a.entry_id, -a.customer_id) AS entry_key
        FROM campaigns_callattempt a
        JOIN contacts_customer c ON c.id = a.customer_id
        LEFT JOIN zones z ON z.name = c.time_zone
        WHERE a.started_at >= %(start)s - make_interval(mins => {lookback_minutes}) AND a.started_at < %(end)s
          AND {history_scope}
    ),
    by_customer AS (
        SELECT a.*,
               lag(a.started_at) OVER customer_calls AS previous_at,
               {cap_window} AS cap_count,
               max(a.started_at) FILTER (WHERE a.is_contact) OVER (customer_calls ROWS BETWEEN UNBOUNDED PRECEDING
                   AND 1 PRECEDING) AS last_contact_at,
               lag(a.callback_at) OVER entry_calls AS previous_entry_callback_at,
               count(*) FILTER (WHERE a.attempt_number = 1) OVER entry_calls AS round,
               row_number() OVER (PARTITION BY a.customer_id, a.campaign_id, a.entry_key, a.local_at::date
                                  ORDER BY a.started_at, a.id) AS day_n
        FROM history a
        WINDOW customer_calls AS (PARTITION BY a.customer_id ORDER BY a.started_at, a.id),
               entry_calls AS (PARTITION BY a.customer_id, a.campaign_id, a.entry_key ORDER BY a.started_at, a.id)
    ),
    h AS (
        SELECT b.*, row_number() OVER (PARTITION BY b.customer_id, b.campaign_id, b.entry_key, b.round
                                       ORDER BY b.started_at, b.id) AS round_n
        FROM by_customer b
        WHERE b.campaign_id = %(campaign)s
    ),
    dnc_customers AS (
        -- the branches of contacts.services.dnc.BLOCKED_CUSTOMERS_SQL, each with when it was in force
        SELECT customer_id, range_agg(span) AS spans FROM (
            SELECT d.customer_id, {span} FROM contacts_donotcall d
            WHERE d.customer_id IS NOT NULL AND {in_scope}
            UNION ALL
            SELECT p.customer_id, {span} FROM contacts_donotcall d
            JOIN contacts_phonenumber p ON p.number = d.phone_number WHERE d.phone_number <> '' AND {in_scope}
            UNION ALL
            SELECT q.customer_id, {span} FROM contacts_donotcall d
            JOIN contacts_phonenumber p ON p.customer_id = d.customer_id
            JOIN contacts_phonenumber q ON q.number = p.number WHERE {in_scope}
        ) c GROUP BY customer_id
    ),
    dnc_numbers AS (
        SELECT number, range_agg(span) AS spans FROM (
            SELECT d.phone_number AS number, {span} FROM contacts_donotcall d
            WHERE d.phone_number <> '' AND {in_scope}
            UNION ALL
            -- a customer's entry covers their numbers, so also whoever shares one
            SELECT p.number, {span} FROM contacts_donotcall d
            JOIN contacts_phonenumber p ON p.customer_id = d.customer_id WHERE {in_scope}
        ) n GROUP BY number
    ),
    refusals AS (
        SELECT r.customer_id, min(r.refused_at) AS first_refused_at FROM campaigns_refusal r
        WHERE r.scope_key = ANY({refusal_keys}) GROUP BY r.customer_id
    ),
    notices AS (
        SELECT pn.customer_id, min(pn.sent_on) AS first_sent_on FROM campaigns_prenotice pn
        WHERE pn.campaign_id = %(campaign)s GROUP BY pn.customer_id
    ),
    totals AS (
        SELECT count(*) AS checked,
        {aggregates}
        FROM h
        LEFT JOIN dnc_customers dc ON dc.customer_id = h.customer_id
        LEFT JOIN dnc_numbers dp ON dp.number = h.phone
        LEFT JOIN refusals rf ON rf.customer_id = h.customer_id
        LEFT JOIN notices pn ON pn.customer_id = h.customer_id
        WHERE h.started_at >= %(start)s
    )
    SELECT t.checked, r.rule, r.violations, coalesce(r.examples, '{{}}')
    FROM totals t CROSS JOIN LATERAL (VALUES {unpivot}) r(rule, violations, examples)
    """


def compliance_report(campaign: Campaign, *, date_from: dt.date, date_to: dt.date) -> ComplianceReport:
    """The report for the campaign's attempts started on local (center) dates date_from..date_to."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    policy = campaign.policy or CallingPolicy()
    sql = report_sql(campaign, closed_days=_closed_days(policy, date_from, date_to))
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # One statement over millions of rows: room to hash and sort in memory, no JIT compile.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, {"campaign": campaign.pk, "start": start, "end": end, "center_tz": settings.TIME_ZONE})
        rows = cursor.fetchall()
    report = ComplianceReport(
        campaign=campaign.pk,
        date_from=date_from,
        date_to=date_to,
        attempts_checked=int(rows[0][0]) if rows else 0,
        rules=[{"rule": rule, "violations": int(n), "examples": sorted(ids)} for _, rule, n, ids in rows],
        seconds=time.perf_counter() - began,
    )
    return report


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
