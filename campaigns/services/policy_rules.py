"""Calling-policy rules that both the list build and dispatch need, written once as SQL.

Each rule comes in two shapes:

* a *correlated* boolean fragment about one customer (`cap_reached_sql`, `cooling_off_sql`,
  `refused_before_sql`): true when the rule forbids calling that customer now. Use it in a
  dispatch claim (`... AND NOT (<fragment>)`) where it is checked row by row through the
  `attempt_customer_time` index;
* a *set* query returning the customer ids the rule excludes (`customers_over_cap_sql`,
  `customers_cooling_off_sql`, `customers_refused_sql`), for set-based work over many customers
  (list build, recycle): `customer_id IN (<set query>)` becomes one hashed sub-plan.

Every rule reads the meaning each attempt stored when it was logged (`CallAttempt.is_contact`,
refusals in `Refusal`), never the outcome's flags as they are now: editing an outcome changes only
later calls. Fragments take SQL expressions, not values: `customer` is a column such as "e.customer_id",
`at` the moment to judge (e.g. "now()" or a "%s" placeholder the caller fills), `campaign` a
column or a literal id. Policy numbers are validated integers and are inlined. A rule the policy
does not use returns None, so callers can skip it:

    fragment = cap_reached_sql(policy, customer="e.customer_id", at="now()")
    if fragment:
        conditions.append(f"NOT {fragment}")

`blocking_reason()` runs all of them for one customer from Python (e.g. a console check or a
test). The do-not-call rule is NOT here: it lives in `contacts.services.dnc` (ACTIVE_DNC_SQL).

Definitions (docs/rules.md#cross-campaign-cap and the two sections after it):

* cross-campaign cap: at most `cap_attempts` attempts per customer, counting every campaign, in
  any rolling `cap_days` days. The customer is blocked when the attempts started in
  (at - cap_days, at] already number `cap_attempts` or more.
* cool-off: no new call for `cooloff_days_after_contact` days after a conversation (an attempt
  stored as `is_contact`) in any campaign: blocked when such an attempt started in
  (at - cooloff_days, at]. The day of the conversation counts as day 1 (Reg F): a conversation on
  a Monday 10:00 with 7 days blocks until the next Monday 10:00. Callbacks the customer asked for
  are the dispatcher's decision; this fragment counts every conversation.
* re-solicitation (再勧誘の禁止, 特定商取引法 Art. 17): with `no_resolicit_after_refusal`, a
  customer who gave a refusal (an attempt stored as `is_refusal`) is never called again by a
  campaign in the policy's `refusal_scope`: the same campaign, every campaign of the same company
  and product, or every campaign of the same company (a campaign naming no product or company
  falls back to itself). The refusal trigger files each refusal under those keys
  (`campaigns_refusal`), so the check is an index probe. "Busy, call me later" is not a refusal.
"""

from django.db import connection

# Tables, so the fragments read like the schema.
ATTEMPTS = "campaigns_callattempt"
CAMPAIGNS = "campaigns_campaign"
REFUSALS = "campaigns_refusal"


def _days(value) -> int:
    return int(value)


def refusal_keys_sql(policy, campaign: str) -> str:
    """The refusal keys (campaigns_refusal.scope_key) that block `campaign` under the policy's
    scope: the campaign's own key and the key of its scope (the same when the campaign names no
    product or company). Both are computed by the statement from the campaign row, so a cached
    statement follows a campaign whose product changes."""
    scope = policy.refusal_scope
    if scope not in ("campaign", "product", "company"):
        raise ValueError(scope)
    return (
        f"(SELECT ARRAY[campaigns_refusal_key('campaign', rk.id, rk.company, rk.product),"
        f" campaigns_refusal_key('{scope}', rk.id, rk.company, rk.product)]"
        f" FROM {CAMPAIGNS} rk WHERE rk.id = {campaign})::text[]"
    )


def _uses_cap(policy) -> bool:
    return bool(policy and policy.cap_attempts and policy.cap_days)


def _uses_cooloff(policy) -> bool:
    return bool(policy and policy.cooloff_days_after_contact)


def _uses_no_resolicit(policy) -> bool:
    return bool(policy and policy.no_resolicit_after_refusal)


# ------------------------------------------------------------------ one customer (correlated)


def cap_reached_sql(policy, *, customer: str, at: str) -> str | None:
    """True when `customer` already has `cap_attempts` attempts (any campaign) in the rolling
    `cap_days` days before `at`."""
    if not _uses_cap(policy):
        return None
    return (
        f"((SELECT count(*) FROM {ATTEMPTS} cap_a WHERE cap_a.customer_id = {customer}"
        f" AND cap_a.started_at > ({at}) - make_interval(days => {_days(policy.cap_days)})"
        f" AND cap_a.started_at <= ({at})) >= {int(policy.cap_attempts)})"
    )


def cooling_off_sql(policy, *, customer: str, at: str) -> str | None:
    """True when `customer` had a conversation (any campaign) in the `cooloff_days_after_contact`
    days before `at`."""
    if not _uses_cooloff(policy):
        return None
    # The window on started_at itself: the attempts are partitioned by month and only the
    # partitions of the window are read. The probe is one customer's calls of those days,
    # index-only on attempt_customer_time (customer_id, started_at) INCLUDE (is_contact); without
    # is_contact in it, a prepared statement's generic plan took the time-only index instead and
    # read every call of the last days per claim. A scalar subquery, not EXISTS, which may be
    # planned as a hash of every recent call.
    return (
        f"COALESCE((SELECT true FROM {ATTEMPTS} cool_a"
        f" WHERE cool_a.customer_id = {customer} AND cool_a.is_contact"
        f" AND cool_a.started_at > ({at}) - make_interval(days => "
        f"{_days(policy.cooloff_days_after_contact)})"
        f" AND cool_a.started_at <= ({at}) LIMIT 1), false)"
    )


def refused_before_sql(policy, *, customer: str, campaign: str) -> str | None:
    """True when `customer` refused before in the policy's refusal scope around `campaign`
    (re-solicitation rule): one or two probes of the refusals' unique (customer, key) index."""
    if not _uses_no_resolicit(policy):
        return None
    # A scalar subquery for the reason given in cooling_off_sql.
    return (
        f"COALESCE((SELECT true FROM {REFUSALS} ref_r WHERE ref_r.customer_id = {customer}"
        f" AND ref_r.scope_key = ANY({refusal_keys_sql(policy, campaign)}) LIMIT 1), false)"
    )


# ------------------------------------------------------------------ many customers (sets)


def customers_over_cap_sql(policy, *, at: str) -> str | None:
    """Customer ids at or over the cross-campaign cap at `at` (see cap_reached_sql)."""
    if not _uses_cap(policy):
        return None
    return (
        f"SELECT cap_a.customer_id FROM {ATTEMPTS} cap_a"
        f" WHERE cap_a.started_at > ({at}) - make_interval(days => {_days(policy.cap_days)})"
        f" AND cap_a.started_at <= ({at})"
        f" GROUP BY cap_a.customer_id HAVING count(*) >= {int(policy.cap_attempts)}"
    )


def customers_cooling_off_sql(policy, *, at: str) -> str | None:
    """Customer ids in their cool-off period at `at` (see cooling_off_sql)."""
    if not _uses_cooloff(policy):
        return None
    return (
        f"SELECT cool_a.customer_id FROM {ATTEMPTS} cool_a"
        f" WHERE cool_a.started_at > ({at}) - make_interval(days => {_days(policy.cooloff_days_after_contact)})"
        f" AND cool_a.started_at <= ({at})"
        f" AND cool_a.is_contact"
    )


def customers_refused_sql(policy, *, campaign: str) -> str | None:
    """Customer ids that refused in the policy's refusal scope around `campaign` (see
    refused_before_sql)."""
    if not _uses_no_resolicit(policy):
        return None
    keys = refusal_keys_sql(policy, campaign)
    return f"SELECT ref_r.customer_id FROM {REFUSALS} ref_r WHERE ref_r.scope_key = ANY({keys})"


# ------------------------------------------------------------------ from Python


def blocking_reason(*, policy, customer, campaign, at=None) -> str | None:
    """The first policy rule that forbids calling `customer` for `campaign` at `at`:
    "refused_before", "cooloff" or "cap"; None when the policy allows the call. (DNC, calling
    hours, per-entry attempts and gaps are checked elsewhere.)"""
    from django.utils import timezone

    at = at or timezone.now()
    customer_id = int(getattr(customer, "pk", customer))
    campaign_id = int(getattr(campaign, "pk", campaign))
    checks = [
        ("refused_before", refused_before_sql(policy, customer="%(customer)s", campaign="%(campaign)s")),
        ("cooloff", cooling_off_sql(policy, customer="%(customer)s", at="%(at)s")),
        ("cap", cap_reached_sql(policy, customer="%(customer)s", at="%(at)s")),
    ]
    checks = [(reason, sql) for reason, sql in checks if sql]
    if not checks:
        return None
    select = ", ".join(sql for _, sql in checks)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}", {"customer": customer_id, "campaign": campaign_id, "at": at})
        row = cursor.fetchone()
    for (reason, _), blocked in zip(checks, row):
        if blocked:
            return reason
    return None
