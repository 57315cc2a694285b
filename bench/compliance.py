"""The compliance report of one campaign over its whole history: how long the one statement takes
and how many attempts it checked.

    python bench/compliance.py [--attempts 10000000] [--campaign-share 0.5] [--customers 1000000] [--runs 3]

Data (created once, reused): `--customers` customers with one number each, `--attempts` attempts
over 180 days between 09:00 and 20:00 Tokyo time, `--campaign-share` of them in the campaign
reported on and the rest in another campaign of the same company and product (so the gap, cap,
cool-off and refusal rules read both), realistic outcomes (7 % refusals), 50,000 do-not-call
entries of which a tenth were revoked later, and pre-notices for four customers in five. The
policy is the Japan standard preset with a pre-notice of 3 days. The figure is the median of
`--runs` reports, after one warm-up.
"""

import argparse
import datetime as dt
import os
import statistics

from _common import (
    _count,
    _defaults_for,
    _execute,
    _indexes,
    django_setup,
    emit,
    ensure_customers,
    file_refusals,
    fill_facts,
    log,
    timed,
)

DAYS = 180


def ensure_campaigns():
    from campaigns.models import CallingPolicy, Campaign

    policy, _ = CallingPolicy.objects.get_or_create(
        name="Bench compliance (Japan standard)",
        defaults=dict(
            call_window_start=dt.time(9, 0),
            call_window_end=dt.time(20, 0),
            weekdays=[0, 1, 2, 3, 4, 5],
            skip_holidays=True,
            holiday_country="JP",
            max_attempts=6,
            max_attempts_per_day=2,
            min_gap_minutes=120,
            cap_attempts=3,
            cap_days=7,
            cooloff_days_after_contact=7,
            no_resolicit_after_refusal=True,
            refusal_scope="product",
        ),
    )
    fields = dict(purpose="sales", status="active", policy=policy, company="ベンチ商事", product="光回線")
    reported, _ = Campaign.objects.get_or_create(
        name="Bench compliance: reported", defaults={**fields, "prenotice_days": 3}
    )
    other, _ = Campaign.objects.get_or_create(name="Bench compliance: other", defaults=fields)
    return reported, other


def ensure_attempts(n: int, *, share: float, customers: int, reported, other) -> int:
    from campaigns.models import CallAttempt, Disposition

    have = _count("campaigns_callattempt")
    if have >= n:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM campaigns_callattempt WHERE policy_version_id IS NULL)")
            if cursor.fetchone()[0]:
                fill_facts()
        return have
    codes = dict(Disposition.objects.values_list("code", "id"))
    weights = [
        ("no_answer", 45),
        ("busy", 15),
        ("voicemail", 12),
        ("invalid_number", 3),
        ("callback", 8),
        ("refused", 7),
        ("success", 6),
        ("dnc_request", 1),
        ("hung_up", 3),
    ]
    cases, upper = [], 0
    for code, weight in weights:
        upper += weight
        cases.append(f"WHEN (g * 7919) % 100 < {upper} THEN {codes[code]}")
    disposition = "CASE " + " ".join(cases) + f" ELSE {codes['no_answer']} END"
    first_customer = _first_customer_id()
    in_reported = f"(g % 1000) < {int(share * 1000)}"
    # 09:00-20:00 JST is 00:00-11:00 UTC; the day is spread over 180 days back from today.
    start = (
        f"date_trunc('day', now()) - make_interval(days => (1 + (g * 13) % {DAYS})::int)"
        " + make_interval(mins => ((g * 37) % 660)::int)"
    )
    explicit = {
        "entry": "NULL",
        "call_list": "NULL",
        "campaign": f"CASE WHEN {in_reported} THEN {reported.pk} ELSE {other.pk} END",
        "customer": f"{first_customer} + (g * 104729) % {customers}",
        "operator": "NULL",
        "phone": f"'+8190' || lpad((1 + (g * 104729) % {customers})::text, 8, '0')",
        "attempt_number": "1 + g % 3",
        "started_at": start,
        "answered_at": "NULL",
        "ended_at": f"({start}) + interval '1 minute'",
        "disposition": disposition,
        "client_token": "NULL",
        # (the notices exist before the attempts; what the attempt_first_notice trigger stores)
        "first_notice_on": (
            f"campaigns_first_notice({first_customer} + (g * 104729) % {customers},"
            f" CASE WHEN {in_reported} THEN {reported.pk} ELSE {other.pk} END)"
        ),
        **{flag: f"d.{flag}" for flag in CallAttempt.MEANING_FLAGS},
    }
    columns, expressions, params = _defaults_for(CallAttempt, explicit)
    chunk = 1_000_000
    low = have + 1
    # Set-based: the secondary indexes are built once at the end (sorted, not row by row), the
    # facts trigger (a few index lookups per row) waits: the facts are filled after, by the same
    # set-based function as the migration's fill.
    # No per-row triggers either (session_replication_role = replica: the outcome meaning, the
    # refusal filing, the foreign-key checks, the facts): the meaning is joined from the outcome
    # here, the refusals are filed below and the facts filled after, each set-based.
    _indexes("remove")
    while low <= n:
        high = min(n, low + chunk - 1)
        log(f"creating attempts {low}..{high}")
        from django.db import transaction

        with transaction.atomic():
            _execute("SET LOCAL session_replication_role = replica")
            _execute(
                f"INSERT INTO campaigns_callattempt ({columns}) SELECT {expressions}"
                f" FROM generate_series(%s::bigint, %s::bigint) g JOIN campaigns_disposition d ON d.id = {disposition}",
                [*params, low, high],
            )
        low = high + 1
    file_refusals()
    fill_facts()
    _execute("ANALYZE campaigns_refusal")
    return _count("campaigns_callattempt")


def _first_customer_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM contacts_customer")
        return cursor.fetchone()[0]


def ensure_registry_history(customers: int) -> None:
    """50,000 do-not-call entries created over the period, a tenth revoked later."""
    if _count("contacts_donotcall") >= 50_000:
        return
    log("creating do-not-call entries")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO contacts_donotcall (phone_number, customer_id, campaign_id, reason, source, note, created_at,
                                            expires_at, revoked_at, revoke_reason)
            SELECT '+8190' || lpad((1 + (g * 7717) % {customers})::text, 8, '0'), NULL, NULL, 'customer_request',
                   'import', '', now() - make_interval(days => (g % {DAYS})::int),
                   NULL, CASE WHEN g % 10 = 0 THEN now() - make_interval(days => (g % 30)::int) END,
                   CASE WHEN g % 10 = 0 THEN 'bench' ELSE '' END
            FROM generate_series(1, 50000) g
            """
        )
    _execute("ANALYZE contacts_donotcall")


def ensure_prenotices(reported, customers: int) -> None:
    if _count("campaigns_prenotice") > 0:
        return
    log("creating pre-notices")
    first = _first_customer_id()
    _execute(
        f"INSERT INTO campaigns_prenotice (customer_id, campaign_id, channel, sent_on, created_at)"
        f" SELECT {first} + g, {reported.pk}, 'dm', current_date - {DAYS + 10}, now()"
        f" FROM generate_series(0, {customers - 1}) g WHERE g % 5 <> 0"
    )
    _execute("ANALYZE campaigns_prenotice")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000_000, help="attempts in the database")
    parser.add_argument("--campaign-share", type=float, default=0.5, help="share in the campaign reported on")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prepare-only", action="store_true", help="build the data set, run no report")
    args = parser.parse_args()
    django_setup(f"compliance_{args.attempts}")
    ensure_customers(args.customers)
    reported, other = ensure_campaigns()
    ensure_registry_history(args.customers)
    ensure_prenotices(reported, args.customers)
    in_db = ensure_attempts(
        args.attempts, share=args.campaign_share, customers=args.customers, reported=reported, other=other
    )
    if args.prepare_only:
        emit({"bench": "compliance_report", "attempts_in_database": in_db, "prepared": True})
        return
    from campaigns.selectors.compliance import compliance_report, default_period

    reported.refresh_from_db()
    date_from, date_to = default_period(reported)
    date_from = min(date_from, dt.date.today() - dt.timedelta(days=DAYS + 1))
    compliance_report(reported, date_from=date_from, date_to=date_to)  # warm-up: the caches
    seconds, report = [], None
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        with timed() as timer:
            report = compliance_report(reported, date_from=date_from, date_to=date_to)
        seconds.append(timer.seconds)
    emit(
        {
            "bench": "compliance_report",
            "attempts_in_database": in_db,
            "attempts_checked": report.attempts_checked,
            "customers": args.customers,
            "seconds_median": round(statistics.median(seconds), 3),
            "seconds": [round(s, 3) for s in seconds],
            "load_average_at_start": round(load, 2),
            "violations": {row["rule"]: row["violations"] for row in report.rules},
            "target_seconds": 5,
        }
    )


if __name__ == "__main__":
    main()
