"""Shared helpers for the benchmarks: a bench database of their own, timing, JSON output, and
set-based generators of large data sets (generate_series) that are reused when already present.

Every bench script starts with:

    from _common import django_setup, emit, timed
    django_setup("lists")          # database <DATABASE name>_bench_lists, migrated, kept between runs
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / ".data"
sys.path.insert(0, str(BASE_DIR))


# ------------------------------------------------------------------ setup and output


def django_setup(name: str, *, database: str | None = None):
    """Point Django at a bench database of its own (created and migrated when missing):
    `<DATABASE_URL's name>_bench_<name>`, or `database` when given."""
    import psycopg2

    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
    from callcenter.env import database_from_url

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/callcenter")
    db = database_from_url(url)
    bench_name = database or f"{db['NAME']}_bench_{name}"
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{bench_name}"')
    admin.close()
    prefix, _, rest = url.rpartition("/")
    query = "?" + rest.split("?", 1)[1] if "?" in rest else ""
    os.environ["DATABASE_URL"] = f"{prefix}/{bench_name}{query}"
    os.environ.setdefault("DEBUG", "0")
    # With DEBUG off the settings refuse the development key: a throwaway one for this run.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from callcenter.roles import sync_role_groups
    from campaigns.dispositions import ensure_default_dispositions

    sync_role_groups(Group, Permission, ContentType)
    ensure_default_dispositions()
    return bench_name


@contextmanager
def timed():
    """with timed() as t: ...; then t.seconds"""

    class Timer:
        seconds = 0.0

    timer = Timer()
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start


def emit(figures: dict):
    """Print the bench's one JSON object."""
    print(json.dumps(figures, ensure_ascii=False, default=str))


def log(message: str):
    print(message, file=sys.stderr, flush=True)


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# ------------------------------------------------------------------ set-based inserts


def _defaults_for(model, explicit: dict):
    """SQL column list and value expressions for an INSERT … SELECT over generate_series:
    explicit SQL expressions where given, the field's own default (as a parameter) otherwise."""
    from django.db import connection

    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.name in explicit or field.column in explicit:
            expressions.append(explicit.get(field.name, explicit.get(field.column)))
        elif field.has_default():
            value = field.get_default()
            expressions.append("%s")
            params.append(field.get_db_prep_save(value, connection))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
        elif field.null:
            expressions.append("NULL")
        else:
            expressions.append("''")
    return ", ".join(columns), ", ".join(expressions), params


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _execute(sql: str, params=()):
    """Run SQL written with plain % (modulo, LIKE) and %s placeholders."""
    from django.db import connection

    sql = sql.replace("%", "%%").replace("%%s", "%s")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def ensure_customers(n: int) -> int:
    """At least n customers (external ids B00000001…), each with one mobile number, except every
    50th who has none (no valid phone). Realistic spread of purchases, spend and prefectures."""
    from contacts.models import Customer, PhoneNumber

    have = _count("contacts_customer")
    if have >= n:
        return have
    log(f"creating customers {have + 1}..{n}")
    prefectures = ["東京都", "大阪府", "神奈川県", "愛知県", "埼玉県", "千葉県", "兵庫県", "北海道", "福岡県", "静岡県"]
    pref_array = "ARRAY[" + ",".join(f"'{p}'" for p in prefectures) + "]"
    explicit = {
        "external_id": "'B' || lpad(g::text, 8, '0')",
        "name": "'顧客' || g",
        "name_kana": "'コキャク' || g",
        "gender": "(ARRAY['male','female','other',''])[1 + g % 4]",
        "birth_date": "date '1950-01-01' + (g * 7919 % 18000)::int",
        "prefecture": f"({pref_array})[1 + g % {len(prefectures)}]",
        "time_zone": "'Asia/Tokyo'",
        "registered_at": "now() - make_interval(days => (30 + g % 2000)::int)",
        "first_purchase_at": "now() - make_interval(days => (20 + g % 1500)::int)",
        "last_purchase_at": "now() - make_interval(days => (g * 31 % 730)::int)",
        "purchase_count": "g % 40",
        "total_spent": "(g * 137) % 500000",
        "subscription_status": "(ARRAY['','active','paused','cancelled'])[1 + g % 4]",
        "mail_open_rate": "(g % 100) / 100.0",
        "attributes": "jsonb_build_object('churn_score', ((g * 7) % 100) / 100.0)",
        "tags": "CASE WHEN g % 10 = 0 THEN ARRAY['vip']::varchar[] ELSE ARRAY[]::varchar[] END",
    }
    columns, expressions, params = _defaults_for(Customer, explicit)
    _execute(
        f"INSERT INTO contacts_customer ({columns}) SELECT {expressions} "
        f"FROM generate_series(%s::bigint, %s::bigint) AS g ON CONFLICT (external_id) DO NOTHING",
        [*params, have + 1, n],
    )
    explicit = {
        "customer": "c.id",
        "number": "'+8190' || lpad(substr(c.external_id, 2)::int::text, 8, '0')",
        "raw": "'090' || lpad(substr(c.external_id, 2)::int::text, 8, '0')",
        "kind": "'mobile'",
        "is_primary": "true",
        "is_valid": "true",
    }
    columns, expressions, params = _defaults_for(PhoneNumber, explicit)
    _execute(
        f"INSERT INTO contacts_phonenumber ({columns}) SELECT {expressions} FROM contacts_customer c "
        f"WHERE c.external_id LIKE 'B%' AND substr(c.external_id, 2)::int % 50 <> 0 "
        f"AND NOT EXISTS (SELECT 1 FROM contacts_phonenumber p WHERE p.customer_id = c.id)",
        params,
    )
    _execute("ANALYZE contacts_customer")
    _execute("ANALYZE contacts_phonenumber")
    return _count("contacts_customer")


def ensure_dnc(n: int) -> int:
    """At least n active global DNC entries: two thirds by phone number, one third by customer."""
    from contacts.models import DoNotCall

    have = _count("contacts_donotcall")
    if have >= n:
        return have
    log(f"creating DNC entries {have + 1}..{n}")
    explicit = {
        "phone_number": "CASE WHEN g % 3 <> 0 THEN '+8190' || lpad((g * 17 % 1000000 + 1)::text, 8, '0') ELSE '' END",
        "customer": "CASE WHEN g % 3 = 0 THEN (SELECT id FROM contacts_customer"
        " WHERE external_id = 'B' || lpad((g * 17 % 1000000 + 1)::text, 8, '0')) END",
        "reason": "'customer_request'",
        "source": "'import'",
        "created_at": "now() - make_interval(days => (g % 365)::int)",
    }
    columns, expressions, params = _defaults_for(DoNotCall, explicit)
    _execute(
        f"INSERT INTO contacts_donotcall ({columns}) SELECT {expressions} FROM generate_series(%s::bigint, %s::bigint) "
        "g "
        "WHERE g % 3 <> 0 OR EXISTS (SELECT 1 FROM contacts_customer WHERE external_id = 'B' || lpad((g * 17 % "
        "1000000 + 1)::text, 8, '0'))",
        [*params, have + 1, n],
    )
    _execute("ANALYZE contacts_donotcall")
    return _count("contacts_donotcall")


def ensure_operators(n: int = 64) -> list[int]:
    """n operator users bench_op001… in the Operator group; returns their ids."""
    from django.contrib.auth.models import Group, User

    group = Group.objects.get(name="Operator")
    ids = []
    for i in range(1, n + 1):
        user, created = User.objects.get_or_create(username=f"bench_op{i:03d}")
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
        ids.append(user.id)
    return ids


def ensure_bench_campaigns(count: int = 3, operators: int = 64):
    """`count` active bench campaigns sharing the 'Bench Japan standard' policy, with operators."""
    import datetime

    from campaigns.models import CallingPolicy, Campaign

    policy, _ = CallingPolicy.objects.get_or_create(
        name="Bench Japan standard",
        defaults=dict(
            call_window_start=datetime.time(9, 0),
            call_window_end=datetime.time(20, 0),
            weekdays=[0, 1, 2, 3, 4, 5],
            max_attempts=6,
            max_attempts_per_day=2,
            min_gap_minutes=120,
            cap_attempts=3,
            cap_days=7,
            cooloff_days_after_contact=7,
        ),
    )
    operator_ids = ensure_operators(operators)
    campaigns = []
    for i in range(1, count + 1):
        campaign, created = Campaign.objects.get_or_create(
            name=f"Bench campaign {i}",
            defaults=dict(purpose="sales", status="active", policy=policy, cost_per_hour=1800, cost_per_minute=3),
        )
        if created:
            campaign.operators.add(*operator_ids)
        campaigns.append(campaign)
    return campaigns


def ensure_attempts(n: int, *, days: int = 60, workers: int = 1) -> int:
    """At least n past call attempts spread over the last `days` days (between 9:00 and 20:00
    Tokyo time), across the bench campaigns and operators, for
    customers B…; dispositions in realistic proportions. Needs ensure_customers first. With
    workers > 1, that many sessions insert million-row chunks at once.

    Set-based, as bench/compliance.py: the rows go in with the per-row triggers off
    (session_replication_role = replica: the outcome meaning is joined from the outcome here, the
    foreign keys hold by construction), then the refusals are filed and the stored facts filled for
    all at once (file_refusals, fill_facts: what the triggers would have written). The facts
    trigger alone costs an insert about 2 ms (docs/benchmarks.md): hours for tens of millions.
    None of the benches using it records pre-notices, so first_notice_on stays empty, as the
    trigger would leave it."""
    from campaigns.models import CallAttempt, Disposition

    have = _count("campaigns_callattempt")
    if have >= n:
        return have
    campaigns = ensure_bench_campaigns()
    operator_ids = ensure_operators()
    customers = _count("contacts_customer")
    codes = dict(Disposition.objects.values_list("code", "id"))
    # 45% no answer, 15% busy, 12% voicemail, 3% invalid, 8% callback, 7% refused, 6% success,
    # 1% dnc request, 3% hung up
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
    bucket_sql, upper = [], 0
    for code, weight in weights:
        upper += weight
        bucket_sql.append(f"WHEN (g * 7919) % 100 < {upper} THEN {codes[code]}")
    disposition_case = "CASE " + " ".join(bucket_sql) + f" ELSE {codes['no_answer']} END"
    campaign_ids = "ARRAY[" + ",".join(str(c.id) for c in campaigns) + "]"
    operator_array = "ARRAY[" + ",".join(map(str, operator_ids)) + "]"
    contact_ids = [codes[c] for c in ("callback", "refused", "success", "dnc_request", "hung_up")]
    talk = f"CASE WHEN ({disposition_case}) IN ({','.join(map(str, contact_ids))}) THEN 30 + (g % 400) ELSE 0 END"
    start = (
        f"date_trunc('day', now() - make_interval(days => (g % {days})::int))"
        f" + make_interval(mins => ((g * 37) % 660)::int)"
    )  # 09:00-20:00 JST = 00:00-11:00 UTC
    explicit = {
        "entry": "NULL",
        "call_list": "NULL",
        "campaign": f"({campaign_ids})[1 + g % {len(campaigns)}]",
        "customer": "(SELECT id FROM contacts_customer"
        f" WHERE external_id = 'B' || lpad((1 + (g * 104729) % {customers})::text, 8, '0'))",
        "operator": f"({operator_array})[1 + g % {len(operator_ids)}]",
        "phone": f"'+8190' || lpad((1 + (g * 104729) % {customers})::text, 8, '0')",
        "attempt_number": "1 + g % 3",
        "started_at": start,
        "answered_at": f"CASE WHEN ({talk}) > 0 THEN ({start}) + interval '15 seconds' END",
        "ended_at": f"({start}) + make_interval(secs => (20 + ({talk}))::int)",
        "talk_seconds": talk,
        "hold_seconds": f"CASE WHEN ({talk}) > 0 THEN g % 20 ELSE 0 END",
        "acw_seconds": "15 + g % 60",
        "disposition": disposition_case,
        "client_token": "NULL",
        "first_notice_on": "NULL",
        **{flag: f"d.{flag}" for flag in CallAttempt.MEANING_FLAGS},
    }
    columns, expressions, params = _defaults_for(CallAttempt, explicit)
    sql = (
        f"INSERT INTO campaigns_callattempt ({columns}) SELECT {expressions}"
        f" FROM generate_series(%s::bigint, %s::bigint) g JOIN campaigns_disposition d ON d.id = {disposition_case}"
    )

    def insert(bounds):
        from django.db import connection, transaction

        log(f"creating attempts {bounds[0]}..{bounds[1]}")
        try:
            with transaction.atomic():
                _execute("SET LOCAL session_replication_role = replica")
                _execute(sql, [*params, *bounds])
        finally:
            if workers > 1:
                connection.close()  # the pool's thread had a connection of its own

    chunk = 1_000_000
    chunks = [(low, min(n, low + chunk - 1)) for low in range(have + 1, n + 1, chunk)]
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(insert, chunks))
    else:
        for bounds in chunks:
            insert(bounds)
    file_refusals()
    fill_facts()
    _execute("ANALYZE campaigns_refusal")
    return _count("campaigns_callattempt")


def file_refusals() -> None:
    """The refusals of every refusal attempt in the table, filed set-based: what the
    attempt_refusal trigger files row by row (for generators that insert with the triggers off)."""
    log("filing the refusals")
    # What the attempt_refusal trigger files, for all at once (as migration 0007 filled them).
    _execute(
        """
        INSERT INTO campaigns_refusal (customer_id, scope_key, campaign_id, attempt_id, refused_at)
        SELECT DISTINCT ON (a.customer_id, key.scope_key) a.customer_id, key.scope_key, a.campaign_id, a.id,
               a.started_at
        FROM campaigns_callattempt a
        JOIN campaigns_campaign k ON k.id = a.campaign_id
        CROSS JOIN LATERAL (
            SELECT campaigns_refusal_key(s.scope, k.id, k.company, k.product) AS scope_key
            FROM (VALUES ('campaign'), ('product'), ('company')) s(scope)
        ) key
        WHERE a.is_refusal
        ORDER BY a.customer_id, key.scope_key, a.started_at, a.id
        ON CONFLICT (customer_id, scope_key) DO NOTHING
        """
    )


def _indexes(action: str, only: str | None = None) -> None:
    """Remove or add the attempts table's Meta indexes (all, or the one named `only`)."""
    from django.db import connection

    from campaigns.models import CallAttempt

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'campaigns_callattempt'")
        present = {name for (name,) in cursor.fetchall()}
    with connection.schema_editor() as editor:
        for index in CallAttempt._meta.indexes:
            if only and index.name != only:
                continue
            if action == "remove" and index.name in present:
                editor.remove_index(CallAttempt, index)
            elif action == "add" and index.name not in present:
                log(f"creating index {index.name}")
                editor.add_index(CallAttempt, index)


def fill_facts() -> None:
    """The stored facts of every attempt, by campaigns_attempt_facts_all (what migration
    0012_attempt_facts fills existing attempts with), then the indexes and VACUUM ANALYZE (no
    autovacuum here)."""
    from django.db import connection, transaction

    _indexes("remove")
    _indexes("add", only="attempt_customer_time")  # the function counts the cap window through it
    _execute("ANALYZE campaigns_callattempt")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_attempt_facts') IS NOT NULL")
        computed = cursor.fetchone()[0]  # by an interrupted run
    if not computed:
        log("computing the attempts' facts (campaigns_attempt_facts_all)")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '1GB'")
            cursor.execute("CREATE UNLOGGED TABLE bench_attempt_facts AS SELECT * FROM campaigns_attempt_facts_all()")
    _indexes("remove")
    log("storing them")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '1GB'")
        # In the table's order (a merge join on id): in the facts' order (by customer) each row
        # would dirty a random page of a table far larger than shared_buffers.
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SELECT set_config('callcenter.history_change', 'bench: fill the facts', true)")
        cursor.execute(
            """
            UPDATE campaigns_callattempt a
               SET policy_version_id = f.policy_version_id, local_date = f.local_date, local_time = f.local_time,
                   previous_call_at = f.previous_call_at, next_call_at = f.next_call_at,
                   last_contact_at = f.last_contact_at, previous_callback_at = f.previous_callback_at,
                   calls_in_cap_window = f.calls_in_cap_window, calls_that_day = f.calls_that_day,
                   round_position = f.round_position
              FROM bench_attempt_facts f
             WHERE f.id = a.id
            """
        )
        cursor.execute("DROP TABLE bench_attempt_facts")
    log("vacuum, indexes, analyze")
    _execute("VACUUM campaigns_callattempt")
    _execute("SET maintenance_work_mem = '1GB'")
    _indexes("add")
    _execute("VACUUM ANALYZE campaigns_callattempt")


# ------------------------------------------------------------------ reference figure


def pgbench_tps(*, clients: int = 16, seconds: int = 10, scale: int = 10) -> float:
    """`pgbench -N` (simple-update, no branch contention) TPS on the current bench database, as a
    yardstick of what this machine's PostgreSQL can do in the same run."""
    from django.db import connection

    settings_dict = connection.settings_dict
    env = dict(os.environ)
    args = []
    if settings_dict["HOST"]:
        args += ["-h", settings_dict["HOST"]]
    if settings_dict["PORT"]:
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict["USER"]:
        args += ["-U", settings_dict["USER"]]
    if settings_dict["PASSWORD"]:
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    pgbench = _find_pgbench()
    database = settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pgbench_accounts') IS NOT NULL")
        initialized = cursor.fetchone()[0]
    if not initialized:
        subprocess.run(
            [pgbench, *args, "-i", "-q", "-s", str(scale), database],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    else:
        # What `pgbench` without -n does: earlier runs' dead rows would slow this one (this server
        # may run without autovacuum), and the yardstick must not be handicapped.
        with connection.cursor() as cursor:
            for table in ("pgbench_accounts", "pgbench_branches", "pgbench_tellers"):
                cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute("TRUNCATE pgbench_history")
    result = subprocess.run(
        [pgbench, *args, "-n", "-N", "-c", str(clients), "-j", "2", "-T", str(seconds), database],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    return float(match.group(1)) if match else 0.0


def _find_pgbench() -> str:
    from shutil import which

    found = which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    raise RuntimeError("pgbench not found (Debian package postgresql-contrib / postgresql)")
