"""Ten times the data: the product's main figures at a large size, next to the same figures at a
tenth of it, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/callcenter .venv/bin/python bench/scale.py \\
        --customers 10000000 --attempts 50000000 [--database NAME] [--reuse] [--build-only]

Two databases: NAME (default `<DATABASE_URL's name>_bench_scale`) holds `--customers` customers
with their numbers (every 50th without one, as in bench/_common.py), `--attempts` attempts over a
year in three campaigns, 50,000 do-not-call entries, a campaign whose list holds every customer
with a number (`--entries`), 64 operators with a year of agent states and the KPI rollups;
`NAME_ref` holds a tenth of each (`--divisor`), the reference level. The data is made with
set-based SQL (the generators of bench/_common.py and bench/dispatch.py) while the tables'
non-unique indexes are set aside (built again at the end of each stage); the stages done are
recorded in the database (table bench_scale_stage), so a stopped build resumes where it stopped
and a second run measures without building anything.

Then, at each level, through the product's own services and the other benches' measuring code:
the 8 segment counts of bench/segment_count.py, a list build of every customer and the same
selection as one hand-written INSERT … SELECT (bench/build_list.py), the KPI dashboard for 30
days (bench/kpi.py), the compliance report of one campaign for its last 30 days, dispatch with 64
operators paced at a cycle a second and at saturation (bench/dispatch.py), and last the import of
1,000,000 more customers from bench/import_customers.py's CSV (the imported customers are removed
again at the start of the next run). Prints one JSON object a line: each level's data and figure
groups as they are measured, then each figure at both levels with their ratio (and the aim where
the issue sets one), then one object with the data sizes and the database sizes.

--reuse measures the databases as they are (no build stage runs; a stage missing is an error),
--build-only builds and stops, --level ref|full does one level only (its figures alone), and
--skip leaves measurements out (segments, lists, kpi, compliance, dispatch, import).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import _count, _execute, django_setup, emit, log, timed

MEASUREMENTS = ("segments", "lists", "kpi", "compliance", "dispatch", "import")
DNC_ENTRIES = 50_000
DAYS = 365
# Aims of the issue, per figure (None: no absolute aim, only "within 2x of the reference level").
AIMS = {
    "dispatch_paced_p99_ms": 50,
    "list_all_ratio_to_hand": 1.5,
    "dashboard_30d_ms": 300,
}
GROWTH_AIM = 2.0
# Figures where more is better (the growth aim reads the other way round).
HIGHER_IS_BETTER = {"dispatch_saturation_cycles_per_s", "import_rows_per_s"}


# ------------------------------------------------------------------ build stages


def _fetch(sql: str, params=()):
    """Rows of a query written like _common._execute's (plain % for LIKE, %s placeholders)."""
    from django.db import connection

    sql = sql.replace("%", "%%").replace("%%s", "%s")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _stages_done() -> dict:
    _execute(
        "CREATE TABLE IF NOT EXISTS bench_scale_stage (name text PRIMARY KEY, seconds float, rows bigint,"
        " done_at timestamptz DEFAULT now())"
    )
    _execute("CREATE TABLE IF NOT EXISTS bench_scale_index (name text PRIMARY KEY, tbl text, definition text)")
    return {
        name: (seconds, rows) for name, seconds, rows in _fetch("SELECT name, seconds, rows FROM bench_scale_stage")
    }


def _stage_done(name: str, seconds: float, rows: int):
    _execute(
        "INSERT INTO bench_scale_stage (name, seconds, rows) VALUES (%s, %s, %s)"
        " ON CONFLICT (name) DO UPDATE SET seconds = excluded.seconds, rows = excluded.rows, done_at = now()",
        [name, seconds, rows],
    )


def set_aside(*tables: str):
    """Drop the tables' indexes that back no constraint (recorded first in bench_scale_index, so a
    build stopped halfway builds them again) and switch off their foreign-key checks: loading into
    bare tables and indexing once is many times faster than maintaining a dozen indexes row by row.
    The generators take every id from the referenced tables themselves, and the tables' own
    triggers (an attempt's outcome meaning, the refusals table) stay on."""
    for table in tables:
        if _fetch("SELECT 1 FROM bench_scale_index WHERE tbl = %s", [table]):
            continue  # a stage resumed: its indexes are set aside already, or some were built again
        _execute(
            "INSERT INTO bench_scale_index SELECT i.indexname, i.tablename, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = 'public' AND i.tablename = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conindid = ('public.' || quote_ident(i.indexname))::regclass) ON CONFLICT (name) DO NOTHING",
            [table],
        )
        for (name,) in _fetch("SELECT name FROM bench_scale_index WHERE tbl = %s", [table]):
            _execute(f'DROP INDEX IF EXISTS "{name}"')
    for table in tables:
        _execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        _execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def restore(*tables: str, workers: int = 1):
    """Build the indexes set aside again, `workers` at a time (CREATE INDEX only shares the table's
    lock with the others), each with the memory of a bulk load, then switch the foreign-key checks
    back on."""
    from concurrent.futures import ThreadPoolExecutor

    def create(row):
        from django.db import connection

        name, definition = row
        log(f"  index {name}")
        try:
            _execute("SET maintenance_work_mem = '1GB'")
            _execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            _execute("DELETE FROM bench_scale_index WHERE name = %s", [name])
        finally:
            connection.close()  # a session of its own in each of the pool's threads

    for table in tables:
        rows = _fetch("SELECT name, definition FROM bench_scale_index WHERE tbl = %s", [table])
        with ThreadPoolExecutor(max(1, workers)) as pool:
            list(pool.map(create, rows))
        _execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")


# On-disk bytes per generated row, tables and indexes (measured at 1M customers / 5M attempts).
BYTES_PER = {"customer": 750, "attempt": 360, "entry": 260}


def check_disk(customers: int, attempts: int, entries: int, min_free_gb: float) -> None:
    """Refuse to start a build that would leave less than min_free_gb on the database server's
    disk (when the server is on this machine: its data directory readable here)."""
    estimate = customers * BYTES_PER["customer"] + attempts * BYTES_PER["attempt"] + entries * BYTES_PER["entry"]
    data_directory = _fetch("SELECT current_setting('data_directory')")[0][0]
    have = _fetch("SELECT pg_database_size(current_database())")[0][0]
    try:
        stat = os.statvfs(data_directory)
    except OSError:
        return  # a server elsewhere: its disk is its operator's business
    free_after = stat.f_bavail * stat.f_frsize - max(0, estimate - have)
    if free_after < min_free_gb * 1e9:
        raise SystemExit(
            f"about {estimate / 1e9:.0f} GB of data would leave {free_after / 1e9:.0f} GB free on the database's disk:"
            f" less than --min-free-gb {min_free_gb:g}"
        )


def build(customers: int, attempts: int, entries: int, workers: int, *, rollups: bool = True) -> dict:
    """Run the stages not done yet; returns {stage: seconds} of every stage (earlier runs' too).
    The KPI rollups (the longest stage after the attempts) only with `rollups`: a measuring run
    builds them just before the KPI figures, after the figures that do not need them."""
    from _common import ensure_attempts, ensure_bench_campaigns, ensure_customers, ensure_dnc, ensure_operators
    from dispatch import ensure_campaign, ensure_entries
    from kpi import ensure_agent_states

    done = _stages_done()

    def stage(name, tables, work):
        if name in done:
            return
        log(f"stage {name}")
        with timed() as t:
            set_aside(*tables)
            rows = work()
            log(f"  rebuilding the indexes of {', '.join(tables) or '-'}")
            restore(*tables, workers=workers)
        log(f"  {name}: {t.seconds:.0f} s")
        _stage_done(name, t.seconds, rows)
        done[name] = (t.seconds, rows)

    stage("customers", ("contacts_customer", "contacts_phonenumber"), lambda: ensure_customers(customers))
    stage("dnc", (), lambda: ensure_dnc(DNC_ENTRIES))
    stage("campaigns", (), lambda: len(ensure_bench_campaigns()))
    stage("attempts", ("campaigns_callattempt",), lambda: ensure_attempts(attempts, days=DAYS, workers=workers))

    def entries_work():
        campaign, _other, call_list = ensure_campaign(ensure_operators(64), entries)
        return ensure_entries(campaign, call_list, entries)

    stage("entries", ("campaigns_calllistentry",), entries_work)
    stage("agent_states", (), lambda: ensure_agent_states(DAYS) or _count("campaigns_agentstatelog"))

    def vacuum():
        # Autovacuum is off on this server: statistics and the visibility map (index-only scans)
        # come from here, as they would from autovacuum after a load.
        for table in (
            "contacts_customer",
            "contacts_phonenumber",
            "contacts_donotcall",
            "campaigns_callattempt",
            "campaigns_calllistentry",
            "campaigns_refusal",
            "campaigns_agentstatelog",
        ):
            log(f"  vacuum analyze {table}")
            _execute(f"VACUUM ANALYZE {table}")
        return 0

    stage("vacuum", (), vacuum)

    def rollups():
        from campaigns.services.kpis import reconcile_kpi_rollups

        reconcile_kpi_rollups()  # the nightly reconciliation, from scratch
        for table in (
            "campaigns_kpihourly",
            "campaigns_kpidaily",
            "campaigns_kpihourprofile",
            "campaigns_kpioperatorhour",
        ):
            _execute(f"VACUUM ANALYZE {table}")
        return _count("campaigns_kpihourly")

    if rollups:
        stage("rollups", (), rollups)
    return {name: round(seconds, 1) for name, (seconds, _rows) in done.items()}


# ------------------------------------------------------------------ measurements


def _median_ms(function, runs: int) -> float:
    function()  # warm up (plans, caches)
    times = []
    for _ in range(runs):
        with timed() as t:
            function()
        times.append(t.seconds * 1000)
    return round(statistics.median(times), 1)


def measure_segments(runs: int) -> dict:
    from segment_count import SEGMENTS

    from contacts.segments import customers_matching

    figures = {}
    for name, criteria in SEGMENTS.items():
        figures[f"segment_{name}_ms"] = _median_ms(lambda criteria=criteria: customers_matching(criteria).count(), runs)
    figures["segment_worst_ms"] = max(figures.values())
    return figures


def measure_lists() -> dict:
    """A list of every customer through the service, and the same selection written by hand (both
    rolled back): bench/build_list.py's two measurements."""
    from build_list import EVERYONE, hand_build, service_build

    from campaigns.models import Campaign

    campaign = Campaign.objects.select_related("policy").get(name="Bench campaign 1")
    seconds, cpu, counts = service_build(campaign, EVERYONE, "bench-scale-all")
    hand_seconds, hand_cpu, hand_rows = hand_build(campaign, "true")
    return {
        "list_all_seconds": round(seconds, 2),
        "list_all_db_cpu_seconds": round(cpu, 2),
        "list_all_entries": counts.get("included"),
        "hand_all_seconds": round(hand_seconds, 2),
        "hand_all_db_cpu_seconds": round(hand_cpu, 2),
        "hand_all_same_rows": hand_rows == counts.get("included"),
        "list_all_ratio_to_hand": round(seconds / hand_seconds, 2),
    }


def measure_kpi(runs: int) -> dict:
    from kpi import measure

    figures = measure(runs=runs, raw=False)
    return {
        "dashboard_30d_ms": figures["dashboard_30d_ms"],
        "kpi_api_30d_ms": figures["api_30d_none_ms"],
        "kpi_incremental_refresh_ms": figures["incremental_refresh_ms"],
        "kpi_dials_30d": figures["dials_30d"],
    }


def measure_compliance(runs: int, days: int = 30) -> dict:
    """The compliance report of the first bench campaign (a third of the attempts) for its last
    `days` days: the cost follows the attempts checked, which grow with the customers called."""
    import datetime as dt

    from campaigns.models import Campaign
    from campaigns.selectors.compliance import compliance_report

    campaign = Campaign.objects.select_related("policy").get(name="Bench campaign 1")
    date_to = dt.date.today()
    date_from = date_to - dt.timedelta(days=days - 1)
    compliance_report(campaign, date_from=date_from, date_to=date_to)  # warm-up: the caches
    seconds, report = [], None
    for _ in range(runs):
        with timed() as t:
            report = compliance_report(campaign, date_from=date_from, date_to=date_to)
        seconds.append(t.seconds)
    return {
        "compliance_30d_seconds": round(statistics.median(seconds), 2),
        "compliance_30d_attempts_checked": report.attempts_checked,
    }


def measure_dispatch(customers: int, entries: int, seconds: float) -> dict:
    """bench/dispatch.py's two runs on this level's list: 64 operators paced at a cycle a second,
    then the closed loop without think time (saturation)."""
    import dispatch
    from _common import ensure_operators

    operator_ids = ensure_operators(64)
    campaign, other, call_list = dispatch.ensure_campaign(operator_ids, entries)
    figures = {}
    for mode, pace_ms in (("paced", 1000), ("saturation", 0)):
        dispatch.reset_run(campaign, other, call_list)
        run = dispatch.run_operators(
            campaign,
            operator_ids,
            operators=64,
            processes=8,
            seconds=seconds,
            warmup=3,
            think_ms=0,
            pace_ms=pace_ms,
            pgbench_seconds=0,
        )
        if mode == "paced":
            figures["dispatch_paced_p99_ms"] = run["dispatch_p99_ms"]
            figures["dispatch_paced_p50_ms"] = run["dispatch_p50_ms"]
            figures["outcome_paced_p99_ms"] = run["outcome_p99_ms"]
        else:
            figures["dispatch_saturation_cycles_per_s"] = run["cycles_per_s"]
        figures[f"dispatch_{mode}_violations"] = run["violations_total"]
        figures[f"dispatch_{mode}_violations_by_rule"] = {k: v for k, v in run["violations"].items() if v}
        figures[f"dispatch_{mode}_machine_cpu_busy_pct"] = run["machine_cpu_busy_pct"]
        figures[f"dispatch_{mode}_errors"] = len(run["errors"])
    return figures


def remove_imported():
    """The customers an earlier run imported (customer IDs C…), so that each run imports 1,000,000
    new customers into the same table."""
    from callcenter.history import history_change

    if not _fetch("SELECT 1 FROM contacts_customer WHERE external_id LIKE 'C%' LIMIT 1"):
        return
    log("removing the customers imported by an earlier run")
    with history_change("bench: undo an earlier run's import on a scratch database"):
        _execute(
            "DELETE FROM contacts_phonenumber WHERE customer_id IN (SELECT id FROM contacts_customer"
            " WHERE external_id LIKE 'C%')"
        )
        _execute("DELETE FROM contacts_customer WHERE external_id LIKE 'C%'")
    for table in ("contacts_customer", "contacts_phonenumber", "contacts_importrowerror", "contacts_importjob"):
        _execute(f"VACUUM ANALYZE {table}")


def measure_import(rows: int) -> dict:
    """bench/import_customers.py's CSV (cached in bench/.data/) through the real import path
    (upload, job, the task run in this process), into the table holding this level's customers."""
    from _common import DATA_DIR
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from import_customers import generate, run_import

    from callcenter.celery import app

    app.conf.task_always_eager = True  # the task runs here: a worker elsewhere must not take it
    settings.MEDIA_ROOT = str(DATA_DIR / "media")
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"customers_{rows}.csv"
    if not path.exists():
        log(f"generating {path}")
        generate(path, rows)
    user, _ = get_user_model().objects.get_or_create(username="bench_importer")
    job, seconds, bulk, _cpu = run_import(path, user)
    return {
        "import_seconds": round(seconds, 1),
        "import_rows_per_s": round(job.total_rows / seconds),
        "import_created": job.created_count,
        "import_bulk_load": bulk,
    }


def database_size() -> dict:
    rows = _fetch(
        "SELECT pg_database_size(current_database()),"
        " pg_total_relation_size('campaigns_callattempt'), pg_total_relation_size('contacts_customer'),"
        " pg_total_relation_size('contacts_phonenumber'), pg_total_relation_size('campaigns_calllistentry')"
    )[0]
    names = ("database", "attempts", "customers", "phones", "entries")
    return {name: round(size / 1e9, 2) for name, size in zip(names, rows)}


def run_level(args) -> None:
    """One level in this process: build what is missing, then measure; prints one JSON object a
    figure group (stdout), progress on stderr."""
    database = django_setup("scale", database=args.database)
    if args.reuse:
        missing = {"customers", "attempts", "entries", "vacuum"} - set(_stages_done())
        if missing:
            raise SystemExit(f"{database}: build stages not done: {', '.join(sorted(missing))} (run without --reuse)")
        stages = {name: round(s, 1) for name, (s, _rows) in _stages_done().items()}
    else:
        check_disk(args.customers, args.attempts, args.entries, args.min_free_gb)
        stages = build(args.customers, args.attempts, args.entries, args.workers, rollups=args.build_only)
    sizes = {
        "customers": _count("contacts_customer"),
        "attempts": _count("campaigns_callattempt"),
        "entries": _count("campaigns_calllistentry"),
    }
    emit({"level": database, "sizes": sizes, "build_stage_seconds": stages, "gb": database_size()})
    if args.build_only:
        return
    remove_imported()
    skip = set(args.skip)

    def kpi():
        build(args.customers, args.attempts, args.entries, args.workers)  # the rollups, when missing
        return measure_kpi(args.runs)

    steps = [
        ("dispatch", lambda: measure_dispatch(args.customers, args.entries, args.dispatch_seconds)),
        ("segments", lambda: measure_segments(args.runs)),
        ("lists", measure_lists),
        ("compliance", lambda: measure_compliance(max(1, args.runs // 2))),
        ("kpi", kpi),
        ("import", lambda: measure_import(args.import_rows)),
    ]
    for name, step in steps:
        if name in skip:
            continue
        log(f"{database}: measuring {name}")
        load = os.getloadavg()[0]
        with timed() as t:
            figures = step()
        emit(
            {
                "level": database,
                "step": name,
                "load_average_1m": round(load, 2),
                "step_seconds": round(t.seconds, 1),
                "figures": figures,
            }
        )


# ------------------------------------------------------------------ both levels


def level_command(args, database: str, divisor: int) -> list[str]:
    command = [
        sys.executable,
        __file__,
        "--level-process",
        "--database",
        database,
        "--customers",
        str(args.customers // divisor),
        "--attempts",
        str(args.attempts // divisor),
        "--entries",
        str(args.entries // divisor),
        "--import-rows",
        str(args.import_rows),
        "--runs",
        str(args.runs),
        "--dispatch-seconds",
        str(args.dispatch_seconds),
        "--workers",
        str(args.workers),
        "--min-free-gb",
        str(args.min_free_gb),
    ]
    if args.skip:
        command += ["--skip", *args.skip]
    for flag in ("reuse", "build_only"):
        if getattr(args, flag):
            command.append("--" + flag.replace("_", "-"))
    return command


def run_levels(args) -> None:
    from callcenter.env import database_from_url

    base = args.database or database_from_url(os.environ.get("DATABASE_URL", "postgres:///callcenter"))["NAME"] + (
        "_bench_scale"
    )
    levels = {"ref": (f"{base}_ref", args.divisor), "full": (base, 1)}
    if args.level:
        levels = {args.level: levels[args.level]}
    results = {}
    for level, (database, divisor) in levels.items():
        log(
            f"level {level}: {database}, {args.customers // divisor:,} customers, {args.attempts // divisor:,} attempts"
        )
        lines = []
        with timed() as t:
            # Each of the level's lines as it comes (a run stopped halfway keeps what it measured).
            with subprocess.Popen(level_command(args, database, divisor), stdout=subprocess.PIPE, text=True) as child:
                for text in child.stdout:
                    if text.startswith("{"):
                        lines.append(json.loads(text))
                        print(text, end="", flush=True)
            if child.returncode:
                raise SystemExit(f"level {level} failed ({child.returncode})")
        figures = {}
        for line in lines:
            figures.update(line.get("figures", {}))
        results[level] = {"figures": figures, "about": lines[0], "seconds": round(t.seconds, 1)}
    if args.build_only:
        for level, result in results.items():
            emit({"level": level, **result["about"], "seconds": result["seconds"]})
        return
    ref = results.get("ref", {}).get("figures", {})
    full = results.get("full", {}).get("figures", {})
    for name in dict.fromkeys([*full, *ref]):
        line = {"figure": name, "ref": ref.get(name), "full": full.get(name)}
        a, b = ref.get(name), full.get(name)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and a:
            line["ratio"] = round(b / a, 2)
            if name.endswith(("_ms", "_seconds", "_per_s", "ratio_to_hand")):
                growth = a / b if name in HIGHER_IS_BETTER else b / a
                line["within_2x_of_ref"] = growth <= GROWTH_AIM
        if name in AIMS and isinstance(b, (int, float)):
            line["aim"] = AIMS[name]
            line["aim_met"] = b <= AIMS[name]
        emit(line)
    emit(
        {
            "bench": "scale",
            "levels": {level: {**r["about"], "seconds": r["seconds"]} for level, r in results.items()},
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        }
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--attempts", type=int, default=50_000_000)
    parser.add_argument("--entries", type=int, default=None, help="the dispatch list (default: every customer)")
    parser.add_argument("--divisor", type=int, default=10, help="the reference level's share")
    parser.add_argument("--database", default=None)
    parser.add_argument("--level", choices=("ref", "full"), default=None)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], choices=MEASUREMENTS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dispatch-seconds", type=float, default=30)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="sessions inserting attempts at once")
    parser.add_argument("--min-free-gb", type=float, default=15, help="refuse a build leaving less free disk")
    parser.add_argument("--level-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.entries = args.entries or args.customers
    if args.level_process:
        run_level(args)
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
        run_levels(args)


if __name__ == "__main__":
    main()
