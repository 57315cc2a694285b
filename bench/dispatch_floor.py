"""The floor under bench/dispatch.py: how many dispatch + outcome cycles per second this machine's
PostgreSQL can do at all when a cycle is only the two transactions dispatch needs at least, with no
rule checked, no customer summary, no agent state, no Celery task and no Python (pgbench's own C
client runs them as prepared statements), next to `pgbench -N` in the same run.

    dispatch: BEGIN; SELECT the first fresh entry FOR UPDATE SKIP LOCKED; UPDATE it to held; COMMIT
    outcome:  BEGIN; INSERT the attempt; UPDATE the entry back to pending; COMMIT

Any implementation of dispatch does at least this, so `floor_ratio_to_pgbench` is the most
"cycles/s ÷ pgbench TPS" can be on this machine. A second run adds only the dialable check of
docs/rules.md to the hold (the claim's WHERE clause of campaigns.services.dispatch, for the
bench policy): `with_rules_*` is the ceiling for any implementation that checks the rules at the
claim, as campaigns.services.dispatch does. Uses the database bench/dispatch.py built (run
that first); its next run resets what this one changed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/callcenter_dispatch \\
        .venv/bin/python bench/dispatch_floor.py [--clients 64] [--seconds 15]
"""

import argparse
import os
import re
import subprocess
import tempfile

from _common import _find_pgbench, django_setup, emit, log, pgbench_tps

FLOOR_SCRIPT = """
BEGIN;
SELECT e.id FROM campaigns_calllistentry e WHERE e.call_list_id = {list_id} AND e.status = 'pending' AND e.attempts = 0
 ORDER BY e.rank, e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED \\gset
UPDATE campaigns_calllistentry e SET status = 'held', held_by_id = {operator}, held_at = now(),
 held_until = now() + interval '15 minutes', updated_at = now() FROM contacts_customer c
 WHERE e.id = :id AND c.id = e.customer_id AND {rules};
COMMIT;
BEGIN;
INSERT INTO campaigns_callattempt (entry_id, call_list_id, campaign_id, customer_id, operator_id, phone, attempt_number,
 started_at, ended_at, talk_seconds, hold_seconds, acw_seconds, reaction, notes, callback_personal, answers, created_at,
 disposition_id)
 SELECT e.id, e.call_list_id, e.campaign_id, e.customer_id, {operator}, e.phone, 1, now(), now(), 0, 0, 0, '', '',
 false,
 '{{}}', now(), {disposition} FROM campaigns_calllistentry e WHERE e.id = :id;
UPDATE campaigns_calllistentry SET status = 'pending', attempts = 1, last_attempt_at = now(), last_disposition_id =
    {disposition},
 held_by_id = NULL, held_until = NULL, held_at = NULL, next_attempt_at = now() + interval '1 day', updated_at = now()
 WHERE id = :id;
COMMIT;
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()

    django_setup("dispatch")
    from django.contrib.auth.models import User
    from django.db import connection

    from campaigns.models import CallList, Disposition

    call_list = CallList.objects.filter(name="Bench 1M").first()
    if call_list is None:
        raise SystemExit("run bench/dispatch.py first: it builds the 1,000,000-entry list")
    operator = User.objects.filter(username__startswith="bench_op").order_by("pk").first()
    disposition = Disposition.objects.get(code="no_answer")
    with connection.cursor() as cursor:
        for table in ("campaigns_calllistentry", "campaigns_callattempt"):
            cursor.execute(f"VACUUM ANALYZE {table}")

    settings_dict = connection.settings_dict
    env = dict(os.environ)
    command = [_find_pgbench(), "-n", "-M", "prepared", "-c", str(args.clients), "-j", "2", "-T", str(args.seconds)]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if settings_dict[key]:
            command += [flag, str(settings_dict[key])]
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    floor = _run(
        command,
        env,
        settings_dict["NAME"],
        FLOOR_SCRIPT.format(list_id=call_list.pk, operator=operator.pk, disposition=disposition.pk, rules="true"),
    )
    with_rules = _run(
        command,
        env,
        settings_dict["NAME"],
        FLOOR_SCRIPT.format(
            list_id=call_list.pk, operator=operator.pk, disposition=disposition.pk, rules=_rules_sql(call_list)
        ),
    )
    log(f"pgbench -N -c {args.clients}")
    tps = pgbench_tps(clients=args.clients, seconds=10)
    emit(
        {
            "bench": "dispatch_floor",
            "what": "the two transactions of a dispatch + outcome cycle and nothing else "
            "(no rules, no Python), via pgbench",
            "clients": args.clients,
            "seconds": args.seconds,
            "floor_cycles_per_s": round(floor, 1),
            "pgbench_tps": round(tps, 1),
            "floor_ratio_to_pgbench": round(floor / tps, 3) if tps else None,
            "with_rules_cycles_per_s": round(with_rules, 1),
            "with_rules_ratio_to_pgbench": round(with_rules / tps, 3) if tps else None,
            "cpu_count": os.cpu_count(),
        }
    )


def _rules_sql(call_list) -> str:
    """Dispatch's dialable check for the bench policy, with its parameters written in: now(), the
    zones open now."""
    from django.utils import timezone

    from campaigns.services import scheduling
    from campaigns.services.dispatch import rules_sql

    policy = call_list.campaign.policy
    zones = scheduling.open_zones(policy, timezone.now())
    literal = "'{" + ",".join('"' + zone + '"' for zone in zones) + "}'"
    return (
        rules_sql(policy, zones_param="zones", callback=False).replace("%(zones)s", literal).replace("%(now)s", "now()")
    )


def _run(command, env, database, script_text) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(script_text)
    try:
        log("pgbench " + " ".join(command[1:]) + " -f <cycle>")
        result = subprocess.run(
            [*command, "-f", script.name, database], check=True, env=env, capture_output=True, text=True
        )
    finally:
        os.unlink(script.name)
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    return float(match.group(1)) if match else 0.0


if __name__ == "__main__":
    main()
