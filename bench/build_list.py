"""Bench: building call lists (targets and measured figures: docs/benchmarks.md).

Data (created once, reused): 1,000,000 customers, 50,000 DNC entries, 5,000,000 past attempts
over 60 days (bench/_common.py generators). Figures:

* list_100k_seconds: build a list of about 100,000 entries through the product's service
  (`run_call_list_build`: one INSERT … SELECT classifying every matched customer, with counts);
* list_all_seconds: build the biggest list, every customer;
* hand_100k_seconds / hand_all_seconds: a hand-written INSERT … SELECT with NOT EXISTS anti-joins
  doing the same selection (no exclusion counts), in the same run; *_ratio = service / hand;
* *_db_cpu_seconds: CPU the PostgreSQL backend spent on each (less sensitive than wall time to
  other work on a shared machine), and load_average_1m.

Each build runs in a transaction that is rolled back afterwards, so runs do not pile up entries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/callcenter .venv/bin/python bench/build_list.py
"""

import os

from _common import django_setup, emit, ensure_attempts, ensure_customers, ensure_dnc, log, timed

CUSTOMERS, DNC, ATTEMPTS = 1_000_000, 50_000, 5_000_000
# purchase_count is g % 40 in the generated data: >= 33 selects 17.5% (175,000 customers), of
# which about 100,000 pass DNC, cap, cool-off, refusal and duplicate checks.
SEGMENT_100K = {"match": "all", "rules": [{"field": "purchase_count", "op": "gte", "value": 33}]}
EVERYONE = {"match": "all", "rules": []}


class Rollback(Exception):
    pass


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (user + system), read from
    /proc: unlike wall time it hardly depends on how busy the shared machine is."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:  # database on another host
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vacuum_once():
    """Index-only scans need a fresh visibility map after the bulk generation."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(last_vacuum, last_autovacuum) IS NULL FROM pg_stat_user_tables WHERE relname = "
            "'campaigns_callattempt'"
        )
        if cursor.fetchone()[0]:
            log("vacuum analyze (first run)")
            for table in (
                "campaigns_callattempt",
                "contacts_customer",
                "contacts_phonenumber",
                "contacts_donotcall",
                "campaigns_disposition",
                "campaigns_calllistentry",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")


def vacuum_entries():
    """Each build here is rolled back, leaving ~1M dead entries behind; in production autovacuum
    clears them (campaigns migration 0004_entry_autovacuum tunes it for this table), so every measurement starts
    from that state instead of inserting into the leftovers of the previous one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM campaigns_calllistentry")


def service_build(campaign, criteria, name):
    from django.db import transaction

    vacuum_entries()

    from campaigns.services.lists import create_call_list, run_call_list_build

    try:
        with transaction.atomic():
            call_list = create_call_list(
                campaign=campaign, name=name, by=None, criteria=criteria, order_by="highest_spend"
            )
            cpu_before = backend_cpu_seconds()
            with timed() as t:
                call_list = run_call_list_build(call_list_id=call_list.pk)
            cpu = backend_cpu_seconds() - cpu_before
            counts = call_list.counts
            raise Rollback
    except Rollback:
        pass
    return t.seconds, cpu, counts


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hand_build(campaign, where_sql):
    """The same selection written by hand: anti-joins for every rule, straight into the table.
    (It selects the same customers as the service: main() reports both row counts.)"""
    from django.db import connection, transaction

    from campaigns.models import CallList

    policy = campaign.policy
    vacuum_entries()
    active_dnc = (
        f"d.revoked_at IS NULL AND (d.expires_at IS NULL OR d.expires_at > now())"
        f" AND (d.campaign_id IS NULL OR d.campaign_id = {campaign.pk})"
    )
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:  # the same session settings as the service
                cursor.execute("SET LOCAL work_mem = '128MB'")
                cursor.execute("SET LOCAL random_page_cost = 1.1")
                cursor.execute("SET LOCAL jit = off")
            call_list = CallList.objects.create(campaign=campaign, name="hand", status="building")
            sql = f"""
            INSERT INTO campaigns_calllistentry (call_list_id, campaign_id, customer_id, phone, rank, status,
                                                 attempts, next_attempt_at, created_at, updated_at)
            SELECT {call_list.pk}, {campaign.pk}, id, number, row_number() OVER (ORDER BY total_spent DESC, id),
                   'pending', 0, now(), now(), now()
            FROM (
                SELECT DISTINCT ON (p.number) c.id, c.total_spent, p.number
                FROM contacts_customer c
                JOIN LATERAL (SELECT number FROM contacts_phonenumber ph WHERE ph.customer_id = c.id AND ph.is_valid
                              ORDER BY ph.is_primary DESC, ph.id LIMIT 1) p ON true
                WHERE {where_sql}
                  AND NOT EXISTS (SELECT 1 FROM contacts_donotcall d WHERE d.customer_id = c.id AND {active_dnc})
                  AND NOT EXISTS (SELECT 1 FROM contacts_phonenumber x JOIN contacts_donotcall d ON d.phone_number =
                      x.number
                        WHERE x.customer_id = c.id AND {active_dnc})
                  AND NOT EXISTS (SELECT 1 FROM campaigns_refusal r
                        WHERE r.customer_id = c.id AND r.scope_key = ANY(ARRAY['campaign:{campaign.pk}',
                        campaigns_refusal_key('{policy.refusal_scope}', {campaign.pk}, {_quote(campaign.company)},
                        {_quote(campaign.product)})]))
                  AND NOT EXISTS (SELECT 1 FROM campaigns_calllistentry o JOIN campaigns_calllist ol ON ol.id =
                      o.call_list_id
                        WHERE o.campaign_id = {campaign.pk} AND o.customer_id = c.id
                          AND ol.status IN ('building', 'ready', 'paused') AND ol.id <> {call_list.pk})
                  AND NOT EXISTS (SELECT 1 FROM campaigns_callattempt a
                        WHERE a.customer_id = c.id AND a.is_contact
                          AND a.started_at > now() - make_interval(days => {policy.cooloff_days_after_contact})
                          AND a.started_at <= now())
                  AND NOT EXISTS (SELECT 1 FROM (
                        SELECT a.customer_id FROM campaigns_callattempt a
                        WHERE a.started_at > now() - make_interval(days => {policy.cap_days}) AND a.started_at <= now()
                        GROUP BY a.customer_id HAVING count(*) >= {policy.cap_attempts}) capped
                        WHERE capped.customer_id = c.id)
                ORDER BY p.number, c.total_spent DESC, c.id
            ) picked
            """
            cpu_before = backend_cpu_seconds()
            with timed() as t:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    inserted = cursor.rowcount
            cpu = backend_cpu_seconds() - cpu_before
            raise Rollback
    except Rollback:
        pass
    return t.seconds, cpu, inserted


def main():
    django_setup("lists")
    ensure_customers(CUSTOMERS)
    ensure_dnc(DNC)
    ensure_attempts(ATTEMPTS)
    vacuum_once()
    from campaigns.models import Campaign
    from campaigns.services.lists import BuildSpec, preview_call_list

    # A campaign with history (a third of the attempts), so refusals and caps really apply.
    campaign = Campaign.objects.select_related("policy").get(name="Bench campaign 1")
    figures = {"customers": CUSTOMERS, "dnc_entries": DNC, "attempts": ATTEMPTS}

    with timed() as t:
        preview = preview_call_list(spec=BuildSpec(campaign=campaign, criteria=SEGMENT_100K, order_by="highest_spend"))
    figures["preview_100k_seconds"] = round(t.seconds, 3)

    seconds, cpu, counts = service_build(campaign, SEGMENT_100K, "bench-100k")
    figures["list_100k_seconds"] = round(seconds, 3)
    figures["list_100k_db_cpu_seconds"] = round(cpu, 3)
    figures["list_100k_counts"] = counts
    hand_seconds, hand_cpu, hand_rows = hand_build(campaign, "c.purchase_count >= 33")
    figures["hand_100k_seconds"] = round(hand_seconds, 3)
    figures["hand_100k_db_cpu_seconds"] = round(hand_cpu, 3)
    figures["hand_100k_rows"] = hand_rows
    figures["ratio_100k"] = round(seconds / hand_seconds, 2)
    figures["hand_100k_same_rows"] = hand_rows == counts["included"]

    seconds, cpu, counts = service_build(campaign, EVERYONE, "bench-all")
    figures["list_all_seconds"] = round(seconds, 3)
    figures["list_all_db_cpu_seconds"] = round(cpu, 3)
    figures["list_all_counts"] = counts
    hand_seconds, hand_cpu, hand_rows = hand_build(campaign, "true")
    figures["hand_all_seconds"] = round(hand_seconds, 3)
    figures["hand_all_db_cpu_seconds"] = round(hand_cpu, 3)
    figures["hand_all_rows"] = hand_rows
    figures["ratio_all"] = round(seconds / hand_seconds, 2)
    figures["hand_all_same_rows"] = hand_rows == counts["included"]
    figures["limits"] = {"list_100k_seconds": 3, "list_all_seconds": 15}
    # The machine is shared: the load says how much of its 2 cores this run really had.
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    figures["preview_matches_build"] = preview["included"] == figures["list_100k_counts"]["included"]
    emit(figures)


if __name__ == "__main__":
    main()
