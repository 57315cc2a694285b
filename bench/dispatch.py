"""Next-call dispatch under load: N concurrent operators doing dispatch + outcome
cycles against a 1,000,000-entry campaign, next to `pgbench -N` on the same database.

Each operator is a thread with its own PostgreSQL connection, spread over several processes (one
Python process cannot run 64 busy threads at once), working through the real services:
dispatch_next, then record_outcome with a realistic mix of outcomes (no answer, busy, voicemail,
callbacks, successes, refusals, DNC requests). Two modes, stated in the JSON ("mode"):

* saturation (default: --pace-ms 0 --think-ms 0): a closed loop without think time, every
  operator pressing "next call" the instant the last outcome is saved. This measures throughput
  (cycles/s, compared with `pgbench -N` run with as many clients as operators); its latencies are
  queueing (64 operators / X cycles/s on average), not service time.
* paced (--pace-ms P): each operator starts a cycle every P ms (first one at a random offset),
  waiting --think-ms between dispatch and outcome (the call). This measures dispatch and outcome
  latency at a stated offered load (operators / P cycles/s); cycles that start late because
  the previous one overran are counted ("late_starts").

The campaign's policy is open around the clock (so the run does not depend on the hour) but has
every other rule of the Japan standard preset switched on: 6 attempts, 2 per day, 120-minute gap,
cap 3 in 7 days, 7-day cool-off, no re-solicitation. Before the run, the data also holds due
retries and callbacks, customers over the cap and cooling off (calls from another campaign), and
DNC entries added after the list was built. After the run, SQL over the recorded attempts counts
every rule violation (must be 0), and the holds each thread observed are checked for overlaps.

Prints one JSON object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/callcenter_console \\
        .venv/bin/python bench/dispatch.py [--operators 64] [--processes 8] [--seconds 30] [--pace-ms 1000]
"""

import argparse
import multiprocessing
import os
import random
import threading
import time
import uuid

from _common import (
    _defaults_for,
    _execute,
    django_setup,
    emit,
    ensure_customers,
    ensure_dnc,
    ensure_operators,
    log,
    percentile,
    pgbench_tps,
)

ENTRIES = 1_000_000
CUSTOMERS = 1_020_500  # every 50th bench customer has no phone: this leaves 1,000,000 dialable
CAMPAIGN = "Bench dispatch (1M)"
OTHER_CAMPAIGN = "Bench dispatch: other campaign"
POLICY = "Bench dispatch: always open, Japan standard limits"
DUE_RETRIES = 3000
DUE_CALLBACKS = 300
DNC_REGISTRY = 50_000
OUTCOMES = [
    ("no_answer", 48),
    ("busy", 14),
    ("voicemail", 10),
    ("callback", 8),
    ("success", 6),
    ("refused", 6),
    ("hung_up", 5),
    ("invalid_number", 2),
    ("dnc_request", 1),
]


# ------------------------------------------------------------------ data


def ensure_campaign(operator_ids, entries: int = ENTRIES):
    import datetime

    from campaigns.models import CallingPolicy, CallList, Campaign
    from campaigns.services.outcome_sets import copy_default_set

    policy, _ = CallingPolicy.objects.update_or_create(
        name=POLICY,
        defaults=dict(
            call_window_start=datetime.time(0, 0),
            call_window_end=datetime.time(0, 0),
            weekdays=list(range(7)),
            skip_holidays=False,
            max_attempts=6,
            max_attempts_per_day=2,
            min_gap_minutes=120,
            cap_attempts=3,
            cap_days=7,
            cooloff_days_after_contact=7,
            no_resolicit_after_refusal=True,
            retry_delays={},
        ),
    )
    campaign, _ = Campaign.objects.get_or_create(
        name=CAMPAIGN,
        defaults=dict(purpose="sales", status="active", policy=policy, cost_per_hour=1800, cost_per_minute=3),
    )
    campaign.operators.add(*operator_ids)
    # The console offers (and record_outcome accepts) only the campaign's own outcome set, which
    # the product copies at creation; created here directly, the campaign gets it here.
    copy_default_set(campaign=campaign)
    other, _ = Campaign.objects.get_or_create(
        name=OTHER_CAMPAIGN,
        defaults=dict(purpose="survey", status="finished", policy=policy),
    )
    call_list, _ = CallList.objects.get_or_create(
        campaign=campaign,
        name="Bench 1M",
        defaults=dict(status="ready", progress=100, counts={"included": entries}),
    )
    return campaign, other, call_list


def ensure_entries(campaign, call_list, entries: int = ENTRIES):
    """The list's entries: the first `entries` bench customers with a number (fewer when there
    are fewer such customers)."""
    from campaigns.models import CallListEntry

    have = CallListEntry.objects.filter(call_list=call_list).count()
    if have >= entries:
        return have
    log(f"creating {entries:,} entries")
    explicit = {
        "call_list": str(call_list.pk),
        "campaign": str(campaign.pk),
        "customer": "c.id",
        "phone": "p.number",
        "rank": "row_number() OVER (ORDER BY c.id)",
        "status": "'pending'",
        "attempts": "0",
        "next_attempt_at": "now() - interval '1 day'",
        "last_attempt_at": "NULL",
        "last_disposition": "NULL",
        "callback_at": "NULL",
        "assigned_operator": "NULL",
        "held_by": "NULL",
        "held_until": "NULL",
        "held_at": "NULL",
    }
    columns, expressions, params = _defaults_for(CallListEntry, explicit)
    _execute(
        f"INSERT INTO campaigns_calllistentry ({columns}) SELECT {expressions} FROM contacts_customer c "
        "JOIN contacts_phonenumber p ON p.customer_id = c.id AND p.is_primary "
        f"WHERE c.external_id LIKE 'B%' ORDER BY c.id LIMIT {entries}",
        params,
    )
    return CallListEntry.objects.filter(call_list=call_list).count()


def reset_run(campaign, other, call_list):
    """Undo the previous run (this is a scratch database), then lay out the same starting state:
    due retries and callbacks, customers over the cap or cooling off, DNC added after the build."""
    from callcenter.history import history_change
    from campaigns.models import Disposition

    codes = dict(Disposition.objects.values_list("code", "id"))
    list_id, campaign_id, other_id = call_list.pk, campaign.pk, other.pk
    log("resetting the previous run")
    # History is append-only (callcenter.history): a scratch database's reset says so.
    with history_change("bench: undo the previous run on a scratch database"):
        # The run's refusals point at its attempts (and would keep its customers out of the next run).
        _execute(
            "DELETE FROM campaigns_refusal WHERE attempt_id IN (SELECT id FROM campaigns_callattempt"
            f" WHERE campaign_id IN ({campaign_id}, {other_id}))"
        )
        # Nothing else points at these attempts now, but the refusals' key has no index
        # (campaigns_refusal.attempt_id): checking it would scan the refusals once per deleted
        # attempt (minutes at 5M attempts). This scratch reset skips the foreign-key checks.
        _execute("SET LOCAL session_replication_role = replica")
        _execute(f"DELETE FROM campaigns_callattempt WHERE campaign_id IN ({campaign_id}, {other_id})")
        _execute("SET LOCAL session_replication_role = origin")
        _execute("DELETE FROM contacts_donotcall WHERE note LIKE 'bench-dispatch%' OR source = 'operator'")
    _execute(
        "DELETE FROM campaigns_agentstatelog WHERE operator_id IN (SELECT id FROM auth_user WHERE username LIKE "
        "'bench_op%')"
    )
    _execute(
        f"UPDATE campaigns_calllistentry SET status = 'pending', attempts = 0, last_attempt_at = NULL,"
        f" last_disposition_id = NULL, callback_at = NULL, assigned_operator_id = NULL, held_by_id = NULL,"
        f" held_until = NULL, held_at = NULL, next_attempt_at = now() - interval '1 day'"
        f" WHERE call_list_id = {list_id} AND (status <> 'pending' OR attempts <> 0 OR last_attempt_at IS NOT NULL"
        f" OR next_attempt_at > now() - interval '12 hours')"
    )
    _execute(
        "UPDATE contacts_customer SET attempt_count = 0, last_attempt_at = NULL, last_contact_at = NULL,"
        " last_disposition = '', last_reaction = '', consecutive_no_contact = 0 WHERE last_attempt_at IS NOT NULL"
    )
    # The registry's older entries were there at build time: the build excluded those customers.
    _execute(
        f"UPDATE campaigns_calllistentry e SET status = 'blocked' WHERE e.call_list_id = {list_id} AND ("
        " e.customer_id IN (SELECT customer_id FROM contacts_donotcall WHERE source = 'import' AND customer_id IS NOT "
        "NULL)"
        " OR e.phone IN (SELECT phone_number FROM contacts_donotcall WHERE source = 'import' AND phone_number <> ''))"
    )
    # Due retries (tried two days ago) and due shared callbacks, spread over the list.
    _execute(
        f"UPDATE campaigns_calllistentry SET attempts = 1, last_attempt_at = now() - interval '2 days',"
        f" last_disposition_id = {codes['no_answer']}, next_attempt_at = now() - make_interval(mins => (rank % "
        "600)::int)"
        f" WHERE call_list_id = {list_id} AND status = 'pending' AND rank % 331 = 7 AND rank <= {DUE_RETRIES * 331}"
    )
    _execute(
        "UPDATE campaigns_calllistentry SET status = 'callback', attempts = 1, last_attempt_at = now() - interval '1 "
        "day',"
        f" last_disposition_id = {codes['callback']}, callback_at = now() - make_interval(mins => (rank % 60)::int),"
        f" next_attempt_at = now() - make_interval(mins => (rank % 60)::int)"
        f" WHERE call_list_id = {list_id} AND status = 'pending' AND rank % 3301 = 11 AND rank <= "
        f"{DUE_CALLBACKS * 3301}"
    )
    # The call that asked for each of those callbacks (a conversation a day ago on the entry).
    explicit = {
        "entry": "e.id",
        "call_list": "e.call_list_id",
        "campaign": "e.campaign_id",
        "customer": "e.customer_id",
        "operator": "NULL",
        "phone": "e.phone",
        "attempt_number": "1",
        "started_at": "e.last_attempt_at",
        "answered_at": "e.last_attempt_at + interval '10 seconds'",
        "ended_at": "e.last_attempt_at + interval '2 minutes'",
        "talk_seconds": "100",
        "disposition": str(codes["callback"]),
        "callback_at": "e.callback_at",
        "client_token": "NULL",
    }
    from campaigns.models import CallAttempt

    columns, expressions, params = _defaults_for(CallAttempt, explicit)
    _execute(
        f"INSERT INTO campaigns_callattempt ({columns}) SELECT {expressions} FROM campaigns_calllistentry e "
        f"WHERE e.call_list_id = {list_id} AND e.status = 'callback'",
        params,
    )
    # Calls by another campaign: every 97th customer is at the cap (3 in 7 days), every 89th
    # had a conversation two days ago (cool-off). Every 101st gets a DNC entry after the build.
    explicit = {
        "entry": "NULL",
        "call_list": "NULL",
        "campaign": str(other_id),
        "customer": "e.customer_id",
        "operator": "NULL",
        "phone": "e.phone",
        "attempt_number": "k",
        "started_at": "now() - make_interval(days => k + 1)",
        "answered_at": "NULL",
        "ended_at": "now() - make_interval(days => k + 1) + interval '1 minute'",
        "disposition": f"CASE WHEN e.rank % 89 = 0 THEN {codes['hung_up']} ELSE {codes['no_answer']} END",
        "client_token": "NULL",
    }
    columns, expressions, params = _defaults_for(CallAttempt, explicit)
    _execute(
        f"INSERT INTO campaigns_callattempt ({columns}) SELECT {expressions} FROM campaigns_calllistentry e "
        f"CROSS JOIN generate_series(1, 3) k WHERE e.call_list_id = {list_id} AND rank <= 200000 "
        f"AND (e.rank % 97 = 0 OR (e.rank % 89 = 0 AND k = 1))",
        params,
    )
    from contacts.models import DoNotCall

    explicit = {
        "phone_number": "CASE WHEN e.rank % 2 = 0 THEN e.phone ELSE '' END",
        "customer": "CASE WHEN e.rank % 2 = 1 THEN e.customer_id END",
        "campaign": "NULL",
        "reason": "'customer_request'",
        "source": "'inbound'",
        "note": "'bench-dispatch: added after the build'",
        "created_by": "NULL",
        "created_at": "now() - interval '1 hour'",
        "expires_at": "NULL",
        "revoked_at": "NULL",
        "revoked_by": "NULL",
        "revoke_reason": "''",
    }
    columns, expressions, params = _defaults_for(DoNotCall, explicit)
    _execute(
        f"INSERT INTO contacts_donotcall ({columns}) SELECT {expressions} FROM campaigns_calllistentry e "
        f"WHERE e.call_list_id = {list_id} AND e.rank % 101 = 0 AND e.rank <= 200000",
        params,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        # Every table the run writes: the reset's deletes and the last run's updates left dead rows
        # that would slow this run on a server without autovacuum (state changes: 4 rows a call).
        for table in (
            "campaigns_calllistentry",
            "campaigns_callattempt",
            "contacts_donotcall",
            "contacts_customer",
            "campaigns_agentstatelog",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


# ------------------------------------------------------------------ the operators


def operator_process(operator_ids, seconds, warmup, think_ms, pace_ms, queue_name, results):
    """One process: a thread per operator, each with its own DB connection."""
    import django
    from django.db import connections

    django.setup()
    connections.close_all()
    from celery import current_app

    current_app.conf.task_default_queue = queue_name  # retry tasks go to a queue dropped at the end
    from django.contrib.auth import get_user_model
    from django.db import connection

    from campaigns.models import Disposition
    from campaigns.services.agent_state import change_agent_state
    from campaigns.services.dispatch import dispatch_next
    from campaigns.services.outcomes import EntryNotHeld, record_outcome

    dispositions = {d.code: d for d in Disposition.objects.all()}
    codes = [code for code, weight in OUTCOMES for _ in range(weight)]
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=operator_ids)}
    connections.close_all()
    start_at = time.monotonic() + 0.5
    measure_from = start_at + warmup
    stop_at = measure_from + seconds

    def work(user):
        from django.core.exceptions import ValidationError
        from django.utils import timezone

        rng = random.Random(user.pk)
        out = {
            "dispatch": [],
            "outcome": [],
            "cycle": [],
            "empty": 0,
            "holds": [],
            "errors": [],
            "refused": 0,
            "late": 0,
        }
        pace = pace_ms / 1000
        try:
            change_agent_state(operator=user, state="ready")
            next_start = start_at + (rng.random() * pace)
            while time.monotonic() < start_at:
                time.sleep(0.01)
            while True:
                if pace:
                    wait = next_start - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    elif next_start >= measure_from and wait < -0.01:
                        out["late"] += 1
                    next_start = max(next_start + pace, time.monotonic())
                began = time.monotonic()
                if began >= stop_at:
                    break
                entry = dispatch_next(operator=user)
                got = time.monotonic()
                if entry is None:
                    if began >= measure_from:
                        out["empty"] += 1
                        out["dispatch"].append(got - began)
                    if not pace:
                        time.sleep(0.05)
                    continue
                code = rng.choice(codes)
                fields = {}
                if code == "callback":
                    fields = {"callback_at": timezone.now() + timezone.timedelta(minutes=125 + rng.randrange(600))}
                if think_ms:
                    time.sleep(think_ms / 1000)
                before_outcome = time.monotonic()
                try:
                    record_outcome(
                        entry=entry,
                        operator=user,
                        disposition=dispositions[code],
                        client_token=uuid.uuid4().hex,
                        talk_seconds=rng.randrange(0, 200),
                        **fields,
                    )
                except ValidationError:
                    out["refused"] += 1  # e.g. a callback time over the cap: log a plain no-answer
                    record_outcome(
                        entry=entry, operator=user, disposition=dispositions["no_answer"], client_token=uuid.uuid4().hex
                    )
                done = time.monotonic()
                out["holds"].append((entry.pk, user.pk, began, done))
                if began >= measure_from and done <= stop_at:
                    out["dispatch"].append(got - began)
                    out["outcome"].append(done - before_outcome)
                    out["cycle"].append(done - began - (think_ms / 1000 if think_ms else 0))
        except EntryNotHeld as exc:
            out["errors"].append(f"not held: {exc}")
        except Exception as exc:  # noqa: BLE001 - reported in the JSON
            out["errors"].append(repr(exc))
        finally:
            connection.close()
        results.put(out)

    threads = [threading.Thread(target=work, args=(users[pk],)) for pk in operator_ids]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.monotonic()))
    cpu_from = sum(os.times()[:2])
    time.sleep(max(0.0, stop_at - time.monotonic()))
    cpu_to = sum(os.times()[:2])
    for thread in threads:
        thread.join()
    results.put({"client_cpu_s": cpu_to - cpu_from})


# ------------------------------------------------------------------ CPU accounting


def cpu_snapshot():
    """Machine CPU ticks (/proc/stat) and the CPU seconds of every backend of this database."""
    from django.db import connection

    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cursor.fetchall()]
        ticks = os.sysconf("SC_CLK_TCK")
        backends = {}
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    parts = stat.read().rsplit(")", 1)[1].split()
                backends[pid] = (int(parts[11]) + int(parts[12])) / ticks
            except (OSError, IndexError, ValueError):
                continue
        return {"machine_total": sum(fields), "machine_idle": fields[3] + fields[4], "backends": backends}
    except Exception:  # noqa: BLE001 - remote database or no /proc: no CPU figures
        return None
    finally:
        connection.close()


# ------------------------------------------------------------------ rule checks

VIOLATION_SQL = {
    # Rule 2 seen from the attempts: two attempts with the same number on one entry.
    "same_entry_twice": """
        SELECT count(*) FROM (SELECT entry_id, attempt_number FROM campaigns_callattempt
        WHERE campaign_id = %(c)s GROUP BY 1, 2 HAVING count(*) > 1) x""",
    # Rule 1: an attempt to a number/customer with a DNC entry active when it started (the
    # registry rule as three index probes; an OR over the registry would scan it per attempt).
    "dnc": """
        SELECT count(*) FROM campaigns_callattempt a WHERE a.campaign_id = %(c)s AND (
            EXISTS (SELECT 1 FROM contacts_donotcall d WHERE d.customer_id = a.customer_id AND {active})
         OR EXISTS (SELECT 1 FROM contacts_donotcall d WHERE d.phone_number = a.phone AND {active})
         OR EXISTS (SELECT 1 FROM contacts_phonenumber p JOIN contacts_donotcall d ON d.phone_number = p.number
                    WHERE p.customer_id = a.customer_id AND {active}))""".format(
        active=(
            "d.created_at <= a.started_at AND (d.revoked_at IS NULL OR d.revoked_at > a.started_at)"
            " AND (d.expires_at IS NULL OR d.expires_at > a.started_at)"
            " AND (d.campaign_id IS NULL OR d.campaign_id = a.campaign_id)"
        )
    ),
    # Rule 4: max attempts per entry.
    "max_attempts": """
        SELECT count(*) FROM campaigns_calllistentry e WHERE e.campaign_id = %(c)s AND e.attempts > %(max)s""",
    # Rule 4: per-day max (Tokyo days; the bench customers live there).
    "per_day": """
        SELECT count(*) FROM (SELECT entry_id FROM campaigns_callattempt WHERE campaign_id = %(c)s
        GROUP BY entry_id, (started_at AT TIME ZONE 'Asia/Tokyo')::date HAVING count(*) > %(per_day)s) x""",
    # Rule 4: minimum gap between two calls of one customer (any campaign).
    "min_gap": """
        SELECT count(*) FROM (SELECT campaign_id, started_at, lag(started_at) OVER (PARTITION BY customer_id ORDER BY
        started_at) AS previous
        FROM campaigns_callattempt WHERE customer_id IN (SELECT customer_id FROM campaigns_callattempt WHERE
        campaign_id = %(c)s)) x
        WHERE campaign_id = %(c)s AND started_at < previous + make_interval(mins => %(gap)s)""",
    # Rule 4: the cross-campaign cap, counting this attempt.
    "cap": """
        SELECT count(*) FROM campaigns_callattempt a WHERE a.campaign_id = %(c)s AND (
            SELECT count(*) FROM campaigns_callattempt b WHERE b.customer_id = a.customer_id
              AND b.started_at > a.started_at - make_interval(days => %(cap_days)s)
              AND b.started_at <= a.started_at) > %(cap)s""",
    # Cool-off: no call within 7 days after a conversation (any campaign), except the callback
    # the customer asked for: a call whose entry's previous call scheduled it (as
    # docs/rules.md#cool-off-after-a-conversation and the compliance report have it). Only the
    # run's calls: the calls that asked for the reset's callbacks have no operator.
    "cooloff": """
        SELECT count(*) FROM campaigns_callattempt a WHERE a.campaign_id = %(c)s AND a.operator_id IS NOT NULL
          AND EXISTS (
            SELECT 1 FROM campaigns_callattempt b
            WHERE b.customer_id = a.customer_id AND b.is_contact AND b.id <> a.id
              AND b.started_at > a.started_at - make_interval(days => %(cooloff)s) AND b.started_at <= a.started_at)
          AND (SELECT r.callback_at FROM campaigns_callattempt r WHERE r.entry_id = a.entry_id
                 AND r.started_at < a.started_at ORDER BY r.started_at DESC LIMIT 1) IS NULL""",
    # Rule 5: a call after a refusal in the same campaign.
    "after_refusal": """
        SELECT count(*) FROM campaigns_callattempt a WHERE a.campaign_id = %(c)s AND EXISTS (
            SELECT 1 FROM campaigns_callattempt b
            WHERE b.customer_id = a.customer_id AND b.campaign_id = a.campaign_id AND b.is_refusal
              AND b.started_at < a.started_at)""",
    # Holds left behind (every cycle logs an outcome).
    "still_held": "SELECT count(*) FROM campaigns_calllistentry WHERE campaign_id = %(c)s AND status = 'held'",
}


def count_violations(campaign):
    from django.db import connection

    policy = campaign.policy
    params = {
        "c": campaign.pk,
        "max": policy.max_attempts,
        "per_day": policy.max_attempts_per_day,
        "gap": policy.min_gap_minutes,
        "cap": policy.cap_attempts,
        "cap_days": policy.cap_days,
        "cooloff": policy.cooloff_days_after_contact,
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in VIOLATION_SQL.items():
            cursor.execute(sql, params)
            found[name] = cursor.fetchone()[0]
    return found


def checker_catches_planted_violations(campaign) -> bool:
    """The checks above can fail: plant violations in a transaction that is rolled back (three
    more calls to one customer within minutes, one call to a customer on the DNC registry) and
    see every related count go up."""
    import datetime

    from django.db import transaction

    from campaigns.models import CallAttempt, CallListEntry, Disposition
    from contacts.models import DoNotCall

    with transaction.atomic():
        before = count_violations(campaign)
        sample = CallAttempt.objects.filter(campaign=campaign).order_by("id").first()
        if sample is None:
            return False
        # A customer whose DNC entry was already active when the planted call starts (not one an
        # operator registered later in the run: calling before that is no violation).
        blocked = CallListEntry.objects.filter(
            campaign=campaign,
            customer__in=DoNotCall.objects.filter(
                customer__isnull=False,
                campaign__isnull=True,
                created_at__lte=sample.started_at,
                revoked_at__isnull=True,
                expires_at__isnull=True,
            ).values("customer"),
        ).first()
        if sample is None or blocked is None:
            return False

        def call_after(earlier, minutes, disposition, operator=None):
            """A call on the entry of `earlier`, `minutes` after it."""
            return CallAttempt.objects.create(
                entry=earlier.entry,
                call_list=earlier.call_list,
                campaign=campaign,
                customer=earlier.customer,
                operator=operator,
                phone=earlier.phone,
                attempt_number=earlier.attempt_number,
                started_at=earlier.started_at + datetime.timedelta(minutes=minutes),
                ended_at=earlier.started_at + datetime.timedelta(minutes=minutes, seconds=30),
                disposition=disposition,
            )

        for minutes in (1, 2, 3):
            call_after(sample, minutes, sample.disposition)
        CallAttempt.objects.create(
            entry=blocked,
            call_list=blocked.call_list,
            campaign=campaign,
            customer=blocked.customer,
            phone=blocked.phone,
            started_at=sample.started_at,
            ended_at=sample.started_at,
            disposition=sample.disposition,
        )
        # A conversation, then a call by an operator of the run ten minutes later (cool-off).
        worked = CallAttempt.objects.filter(campaign=campaign, operator__isnull=False).order_by("id").first()
        if worked is None:
            return False
        for minutes, code in ((10, "success"), (20, "no_answer")):
            call_after(worked, minutes, Disposition.objects.get(code=code), operator=worked.operator)
        after = count_violations(campaign)
        transaction.set_rollback(True)
    return all(
        after[name] > before[name] for name in ("same_entry_twice", "dnc", "per_day", "min_gap", "cap", "cooloff")
    )


def overlapping_holds(holds):
    """Holds of one entry by two operators whose intervals overlap (rule 2, seen by the clients)."""
    by_entry = {}
    for entry_id, operator_id, began, done in holds:
        by_entry.setdefault(entry_id, []).append((began, done, operator_id))
    overlaps = 0
    for intervals in by_entry.values():
        intervals.sort()
        for (_b1, d1, o1), (b2, _d2, o2) in zip(intervals, intervals[1:]):
            if b2 < d1 and o1 != o2:
                overlaps += 1
    return overlaps


# ------------------------------------------------------------------ main


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--operators", type=int, default=64)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--think-ms", type=float, default=0, help="wait between dispatch and outcome (the call)")
    parser.add_argument(
        "--pace-ms", type=float, default=0, help="each operator starts a cycle every PACE ms (0: closed loop)"
    )
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--pgbench-clients", type=int, default=None, help="default: as many as operators")
    args = parser.parse_args()

    django_setup("dispatch")
    ensure_customers(CUSTOMERS)
    ensure_dnc(DNC_REGISTRY)
    operator_ids = ensure_operators(args.operators)
    campaign, other, call_list = ensure_campaign(operator_ids)
    entries = ensure_entries(campaign, call_list)
    reset_run(campaign, other, call_list)
    figures = run_operators(
        campaign,
        operator_ids,
        operators=args.operators,
        processes=args.processes,
        seconds=args.seconds,
        warmup=args.warmup,
        think_ms=args.think_ms,
        pace_ms=args.pace_ms,
        pgbench_seconds=args.pgbench_seconds,
        pgbench_clients=args.pgbench_clients,
    )
    emit({"bench": "dispatch", "entries": entries, **figures})


def run_operators(
    campaign,
    operator_ids,
    *,
    operators,
    processes,
    seconds,
    warmup,
    think_ms=0,
    pace_ms=0,
    pgbench_seconds=10,
    pgbench_clients=None,
):
    """The run itself, on a campaign laid out by reset_run: `operators` operators in `processes`
    processes for `seconds` after `warmup`, then the rule checks and (pgbench_seconds > 0) the
    pgbench yardstick. Returns the figures."""
    from types import SimpleNamespace

    from celery import current_app
    from django.db import connection, connections

    args = SimpleNamespace(
        operators=operators,
        processes=processes,
        seconds=seconds,
        warmup=warmup,
        think_ms=think_ms,
        pace_ms=pace_ms,
        pgbench_seconds=pgbench_seconds,
        pgbench_clients=pgbench_clients,
    )
    operator_ids = operator_ids[: args.operators]
    queue_name = f"bench-dispatch-{uuid.uuid4().hex[:8]}"
    connections.close_all()
    log(f"running {args.operators} operators in {args.processes} processes for {args.seconds}s")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    groups = [operator_ids[i :: args.processes] for i in range(args.processes)]
    processes = [
        context.Process(
            target=operator_process,
            args=(group, args.seconds, args.warmup, args.think_ms, args.pace_ms, queue_name, results),
        )
        for group in groups
        if group
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    # CPU over most of the measured window: the whole machine, and this database's backends.
    window = args.seconds * 0.8
    time.sleep(1.0 + args.warmup + args.seconds * 0.1)
    cpu_from = cpu_snapshot()
    time.sleep(max(0.0, started + 1.0 + args.warmup + args.seconds * 0.1 + window - time.monotonic()))
    cpu_to = cpu_snapshot()
    load_during = os.getloadavg()
    collected = [results.get() for _ in range(args.operators + len(processes))]
    client_cpu = sum(r["client_cpu_s"] for r in collected if "client_cpu_s" in r)
    collected = [r for r in collected if "client_cpu_s" not in r]
    load_end = os.getloadavg()
    for process in processes:
        process.join()

    dispatch = [s for r in collected for s in r["dispatch"]]
    outcome = [s for r in collected for s in r["outcome"]]
    cycle = [s for r in collected for s in r["cycle"]]
    holds = [h for r in collected for h in r["holds"]]
    errors = [e for r in collected for e in r["errors"]]
    with current_app.connection_for_write() as broker:
        enqueued = broker.default_channel.client.llen(queue_name)
        broker.default_channel.client.delete(queue_name)

    log("checking the rules with SQL")
    with connection.cursor() as cursor:
        # The run added every attempt of this campaign: without fresh statistics the checks' self
        # joins are planned for an empty campaign (nested loops over all its attempts, minutes).
        cursor.execute("ANALYZE campaigns_callattempt")
    violations = count_violations(campaign)
    violations["overlapping_holds"] = overlapping_holds(holds)
    checker_works = checker_catches_planted_violations(campaign)
    pgbench_clients = args.pgbench_clients or args.operators
    tps = None
    if args.pgbench_seconds:
        log(f"pgbench -N -c {pgbench_clients}")
        tps = pgbench_tps(clients=pgbench_clients, seconds=args.pgbench_seconds)
    cycles_per_s = len(cycle) / args.seconds
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM campaigns_callattempt WHERE campaign_id = %s", [campaign.pk])
        attempts = cursor.fetchone()[0]

    def ms(values, fraction):
        return round(percentile(values, fraction) * 1000, 1)

    machine_busy = server_cpu = None
    if cpu_from and cpu_to:
        total = cpu_to["machine_total"] - cpu_from["machine_total"]
        machine_busy = (
            round(100 * (total - (cpu_to["machine_idle"] - cpu_from["machine_idle"])) / total, 1) if total else None
        )
        server_cpu = sum(
            cpu_to["backends"][pid] - cpu_from["backends"][pid]
            for pid in cpu_to["backends"]
            if pid in cpu_from["backends"]
        )

    if args.pace_ms:
        mode = (
            f"paced: each of {args.operators} operators starts a cycle every {args.pace_ms:g} ms"
            f" ({args.operators * 1000 / args.pace_ms:g} cycles/s offered), {args.think_ms:g} ms between dispatch and "
            "outcome"
        )
    elif args.think_ms:
        mode = f"closed loop, {args.think_ms:g} ms between dispatch and outcome, no wait between cycles"
    else:
        mode = "saturation: closed loop, zero think time (latencies are queueing, not service time)"
    return {
        "mode": mode,
        "operators": args.operators,
        "processes": args.processes,
        "seconds": args.seconds,
        "think_ms": args.think_ms,
        "pace_ms": args.pace_ms,
        "offered_cycles_per_s": round(args.operators * 1000 / args.pace_ms, 1) if args.pace_ms else None,
        "late_starts": sum(r["late"] for r in collected),
        "cycles": len(cycle),
        "cycles_per_s": round(cycles_per_s, 1),
        "cycle_p50_ms": ms(cycle, 0.5),
        "cycle_p99_ms": ms(cycle, 0.99),
        "dispatch_p50_ms": ms(dispatch, 0.5),
        "dispatch_p99_ms": ms(dispatch, 0.99),
        "outcome_p50_ms": ms(outcome, 0.5),
        "outcome_p99_ms": ms(outcome, 0.99),
        "empty_dispatches": sum(r["empty"] for r in collected),
        "callbacks_refused_by_rules": sum(r["refused"] for r in collected),
        "attempts_recorded": attempts,
        "retry_tasks_enqueued": enqueued,
        "violations": violations,
        "violations_total": sum(violations.values()),
        "checker_catches_planted_violations": checker_works,
        "errors": errors[:5],
        "pgbench_tps": tps,
        "pgbench": f"pgbench -n -N -c {pgbench_clients} -j 2 -T {args.pgbench_seconds} (scale 10), after the run",
        "ratio_to_pgbench": round(cycles_per_s / tps, 3) if tps else None,
        "cpu_count": os.cpu_count(),
        "machine_cpu_busy_pct": machine_busy,
        "client_cpu_ms_per_cycle": round(client_cpu * 1000 / len(cycle), 2) if cycle else None,
        "server_cpu_ms_per_cycle": round(server_cpu * 1000 / (cycles_per_s * window), 2)
        if server_cpu and cycles_per_s
        else None,
        "cpu_note": "machine busy % and PostgreSQL backend CPU (this database) over the middle 80% of the run;"
        " client CPU of the operator processes over the measured window, per measured cycle",
        "loadavg_mid_run": [round(x, 2) for x in load_during],
        "loadavg_end_of_run": [round(x, 2) for x in load_end],
    }


if __name__ == "__main__":
    main()
