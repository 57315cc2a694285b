"""Customer import speed: a 1,000,000-row CSV through the real import service, end to end.

    .venv/bin/python bench/import_customers.py [--rows N] [--encoding cp932]

Generates a realistic Japanese CRM export once (UTF-8 with BOM, as Excel's "CSV UTF-8" writes; or
with --encoding cp932 Shift_JIS as Excel in Japan writes "CSV", with 2 % of the mobile numbers in
unallocated ranges (070-0…, 090-0…: invalid, left to phonenumbers; 080-0… reads as the toll-free
0800 range); cached in bench/.data/), then in its own database (<DATABASE name>_bench_imports, emptied first):
1. imports it into an empty customer table (every row created),
2. imports the same file again (nothing changes: every row unchanged),
   (with --into-stored: then the same rows under new customer IDs, as many new customers into the
   table holding the first import's, through its indexes),
3. copies the same file with psql's \\copy into a bare table of text columns: the floor that any
   loader of this file has to pay to read it, measured in the same run on the same machine;
4. inserts the same customers with one plain INSERT … SELECT into the emptied table (rolled back):
   the floor that any loader pays to write them into contacts_customer with its indexes (search
   trigram GIN, tags GIN, segment and sort btrees), and the same with only the primary key and the
   unique customer ID index, to show what the other indexes cost.
Prints one JSON object: rows, seconds and rows/s of each import, the \\copy seconds, the ratio of
each import to the \\copy, the plain-INSERT floor (--no-floor skips it), the PostgreSQL settings
that matter and the load average of the machine before and after each step (the machine is
shared). Wall times depend on how busy the machine is; the CPU times next to them hardly do: the
import's PostgreSQL backend and this process (the reader, its polars threads), and the backend of a
server-side COPY of the same file."""

import argparse
import csv
import logging
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, django_setup, emit, log, timed

HEADER = [
    "顧客ID",
    "氏名",
    "フリガナ",
    "電話番号",
    "携帯電話",
    "性別",
    "生年月日",
    "郵便番号",
    "都道府県",
    "住所",
    "メールアドレス",
    "会員登録日",
    "初回購入日",
    "最終購入日",
    "購入回数",
    "累計購入金額",
    "定期購入",
    "メール開封率",
    "タグ",
]
PREFECTURES = [
    "北海道",
    "宮城県",
    "埼玉県",
    "千葉県",
    "東京都",
    "東京都",
    "東京都",
    "神奈川県",
    "神奈川県",
    "新潟県",
    "静岡県",
    "愛知県",
    "愛知県",
    "京都府",
    "大阪府",
    "大阪府",
    "兵庫県",
    "広島県",
    "福岡県",
    "福岡県",
    "熊本県",
    "沖縄県",
]
TOWNS = ["中央区", "北区", "南区", "西区", "東区", "港区", "緑区", "青葉区", "若葉町", "本町", "栄町", "旭町"]
AREA_CODES = ["03", "06", "011", "022", "045", "048", "052", "075", "078", "082", "092", "096", "098"]
TAGS = ["VIP", "DM反応あり", "定期", "休眠", "紹介", "アンケート回答"]


def generate(path: Path, rows: int, seed: int = 20240401, encoding: str = "utf-8-sig") -> None:
    """A CRM export of `rows` customers: ~1 in 200 rows has a mistake (a bad date or count, an
    empty name) and ~1 in 300 numbers is not a valid number, as real files do. In CP932, 2 % of the
    mobile numbers are in unallocated ranges (0X0-0…)."""
    from faker.providers.person.ja_JP import Provider as Names

    rng = random.Random(seed)
    last_names = list(Names.last_name_pairs)  # weighted OrderedDict → the names
    first_names = Names.first_name_male_pairs + Names.first_name_female_pairs
    male_count = len(Names.first_name_male_pairs)
    today = date(2026, 4, 1)
    tmp = path.with_suffix(".tmp")
    unallocated = 0.02 if encoding == "cp932" else 0.0
    with open(tmp, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            last, last_kana, _ = rng.choice(last_names)
            index = rng.randrange(len(first_names))
            first, first_kana, _ = first_names[index]
            gender = "男性" if index < male_count else "女性"
            mobile = f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            if unallocated and rng.random() < unallocated:
                mobile = f"0{rng.choice('789')}0-0{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
            area = rng.choice(AREA_CODES)
            exchange = rng.randint(100, 999) if len(area) == 3 else rng.randint(1000, 9999)
            landline = f"{area}-{exchange}-{rng.randint(1000, 9999)}"
            phone = landline if rng.random() < 0.55 else mobile
            cell = mobile if phone != mobile and rng.random() < 0.6 else ""
            if rng.random() < 0.003:
                phone = f"0{rng.randint(10000, 99999)}"  # too short: kept, marked invalid
            birth = today - timedelta(days=rng.randint(18 * 365, 85 * 365))
            registered = datetime(2015, 1, 1) + timedelta(seconds=rng.randint(0, 11 * 365 * 86400))
            first_purchase = registered + timedelta(days=rng.randint(0, 60))
            last_purchase = first_purchase + timedelta(days=rng.randint(0, 900))
            count = rng.randint(1, 40)
            pref = rng.choice(PREFECTURES)
            mistake = rng.random()
            row = [
                f"C{n:08d}",
                f"{last} {first}" if mistake >= 0.001 else "",
                f"{last_kana} {first_kana}",
                phone,
                cell,
                gender,
                f"{birth.year}/{birth.month}/{birth.day}"
                if mistake < 0.001 or mistake >= 0.003
                else f"{birth.year}/2/30",
                f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                pref,
                f"{rng.choice(TOWNS)}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                f"user{n}@example.jp" if rng.random() < 0.7 else "",
                registered.strftime("%Y-%m-%d %H:%M:%S"),
                first_purchase.strftime("%Y/%m/%d"),
                last_purchase.strftime("%Y/%m/%d"),
                str(count) if not 0.003 <= mistake < 0.005 else "たくさん",
                str(count * rng.randint(1500, 9800)),
                rng.choice(["契約中", "", "", "休止", "解約"]),
                f"{rng.randint(0, 100)}%" if rng.random() < 0.8 else "",
                "、".join(rng.sample(TAGS, rng.randint(0, 2))),
            ]
            writer.writerow(row)
    tmp.rename(path)


def shifted_copy(path: Path, *, offset: int, encoding: str) -> Path:
    """The file with every customer ID moved up by `offset` (C00000001 → C0{offset + 1}): as many
    new customers, the rest of each row as it was."""
    shifted = path.with_name(f"{path.stem}_from_{offset}{path.suffix}")
    if not shifted.exists():
        tmp = shifted.with_suffix(".tmp")
        with open(path, encoding=encoding, newline="") as source, open(tmp, "w", encoding=encoding, newline="") as out:
            out.write(source.readline())
            for line in source:
                out.write(f"C{int(line[1:9]) + offset:08d}{line[9:]}")
        tmp.rename(shifted)
    return shifted


def reset_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE contacts_importrowerror, contacts_importjob, contacts_phonenumber, contacts_donotcall, "
            "contacts_customer RESTART IDENTITY CASCADE"
        )
        cursor.execute("VACUUM ANALYZE contacts_customer")
        cursor.execute("VACUUM ANALYZE contacts_phonenumber")


class _BulkLoadSeen(logging.Handler):
    """Notes whether an import took the bulk-load path (contacts.imports.loaders logs it)."""

    def __init__(self):
        super().__init__()
        self.seen = False

    def emit(self, record):
        self.seen = self.seen or record.getMessage().split(": ", 1)[-1].startswith("bulk load")


def run_import(path: Path, user):
    """The real path: receive_upload → start_import → the Celery task (eager, in this process).
    Returns the job, the seconds and whether it took the bulk-load path."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from contacts.models import ImportJob
    from contacts.services import imports

    with open(path, "rb") as source:
        upload = TemporaryUploadedFile(path.name, "text/csv", path.stat().st_size, None)
        while chunk := source.read(1 << 20):
            upload.write(chunk)
        upload.seek(0)
    seen = _BulkLoadSeen()
    loaders_log = logging.getLogger("contacts.imports.loaders")
    loaders_log.addHandler(seen)
    loaders_log.setLevel(logging.INFO)
    db_cpu, python_cpu = backend_cpu_seconds(), time.process_time()
    try:
        with timed() as t:
            received = imports.receive_upload(uploaded_file=upload, kind="customers")
            job = imports.start_import(upload=received, mapping=None, by=user)
    finally:
        loaders_log.removeHandler(seen)
    cpu = {"db_cpu_seconds": backend_cpu_seconds() - db_cpu, "python_cpu_seconds": time.process_time() - python_cpu}
    upload.close()
    job = ImportJob.objects.get(pk=job.pk)
    job.file.delete(save=False)  # a stored copy of the file per run is not needed here
    if job.status != ImportJob.Status.DONE:
        raise SystemExit(f"import {job.pk} ended {job.status}: {job.message}")
    return job, t.seconds, seen.seen, cpu


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (user + system), from /proc
    (the import runs on this connection: the task is eager, the pipeline applies in this thread)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:  # database on another host
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_copy_cpu_seconds(path: Path, columns: int, encoding: str) -> float:
    """The backend CPU of a server-side COPY of the same file into a bare UNLOGGED table (rolled
    back): the \\copy's PostgreSQL work, as a CPU time that the machine's load hardly changes."""
    from django.db import connection, transaction

    definition = ", ".join(f"c{i} text" for i in range(columns))
    copy_encoding = ", ENCODING 'SJIS'" if encoding == "cp932" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE bench_server_copy ({definition})")
        before = backend_cpu_seconds()
        cursor.execute(f"COPY bench_server_copy FROM %s WITH (FORMAT csv, HEADER{copy_encoding})", [str(path)])
        seconds = backend_cpu_seconds() - before
        transaction.set_rollback(True)
    return seconds


def psql_copy_seconds(path: Path, columns: int, encoding: str) -> float:
    """psql \\copy of the same file into a bare UNLOGGED table of text columns, no indexes."""
    from django.db import connection

    settings_dict = connection.settings_dict
    env = dict(os.environ, PGPASSWORD=settings_dict["PASSWORD"] or "")
    base = [
        "psql",
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        settings_dict["HOST"] or "127.0.0.1",
        "-p",
        str(settings_dict["PORT"] or 5432),
        "-U",
        settings_dict["USER"] or "postgres",
        settings_dict["NAME"],
    ]
    definition = ", ".join(f"c{i} text" for i in range(columns))
    copy_encoding = ", ENCODING 'SJIS'" if encoding == "cp932" else ""  # PostgreSQL's SJIS is CP932
    subprocess.run(
        [*base, "-c", f"DROP TABLE IF EXISTS bench_bare_copy; CREATE UNLOGGED TABLE bench_bare_copy ({definition})"],
        check=True,
        env=env,
    )
    with timed() as t:
        subprocess.run(
            [*base, "-c", f"\\copy bench_bare_copy FROM '{path}' WITH (FORMAT csv, HEADER{copy_encoding})"],
            check=True,
            env=env,
        )
    subprocess.run([*base, "-c", "DROP TABLE bench_bare_copy"], check=True, env=env)
    return t.seconds


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def postgres_settings() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'work_mem', "
            "'maintenance_work_mem', 'max_parallel_maintenance_workers', 'synchronous_commit', 'autovacuum', "
            "'checkpoint_timeout', 'jit', 'server_version')"
        )
        return {name: f"{setting}{' x ' + unit if unit else ''}" for name, setting, unit in cursor.fetchall()}


def customer_index_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'contacts_customer'")
        return cursor.fetchone()[0]


def insert_floor_seconds(*, drop_secondary_indexes: bool = False) -> float:
    """One plain INSERT … SELECT of every imported customer into an emptied contacts_customer,
    rolled back: what merely writing these rows and their index entries costs, with the same
    starting point as the first import. With drop_secondary_indexes, only the primary key and the
    unique customer ID index are kept (all of it is rolled back)."""
    from django.db import connection, transaction

    from contacts.models import Customer

    columns = ", ".join(f.column for f in Customer._meta.concrete_fields if not f.primary_key)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_floor AS SELECT {columns} FROM contacts_customer")
        cursor.execute("TRUNCATE contacts_customer CASCADE")
        if drop_secondary_indexes:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'contacts_customer' "
                "AND indexname NOT IN ('contacts_customer_pkey', 'contacts_customer_external_id_key')"
            )
            for (index,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{index}"')
        with timed() as t:
            cursor.execute(f"INSERT INTO contacts_customer ({columns}) SELECT {columns} FROM bench_floor")
        transaction.set_rollback(True)
    return t.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", choices=["utf-8-sig", "cp932"], default="utf-8-sig")
    parser.add_argument("--no-floor", action="store_true", help="skip the plain INSERT … SELECT floors")
    parser.add_argument(
        "--into-stored",
        action="store_true",
        help="also import as many new customers (the same rows under other customer IDs) into the table"
        " holding the first import's: the path through the indexes",
    )
    args = parser.parse_args()

    database = django_setup("imports")
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from callcenter.celery import app

    # The task runs in this process: a worker elsewhere (on another database) must not take it.
    app.conf.task_always_eager = True
    settings.MEDIA_ROOT = str(DATA_DIR / "media")

    DATA_DIR.mkdir(exist_ok=True)
    suffix = "" if args.encoding == "utf-8-sig" else f"_{args.encoding}"
    path = DATA_DIR / f"customers_{args.rows}{suffix}.csv"
    if not path.exists():
        log(f"generating {path} ...")
        with timed() as t:
            generate(path, args.rows, encoding=args.encoding)
        log(f"generated in {t.seconds:.1f} s")
    user, _ = get_user_model().objects.get_or_create(username="bench_importer")

    reset_tables()
    load = {"start": load_average()}
    log("import 1: empty customer table ...")
    first, first_seconds, first_bulk, first_cpu = run_import(path, user)
    load["after_first_import"] = load_average()
    log(f"  {first_seconds:.1f} s")
    log("import 2: the same file again ...")
    second, second_seconds, second_bulk, second_cpu = run_import(path, user)
    load["after_second_import"] = load_average()
    log(f"  {second_seconds:.1f} s")
    into_stored = None
    if args.into_stored:
        log("import 3: as many new customers into the table holding the first import's ...")
        more = shifted_copy(path, offset=args.rows, encoding=args.encoding)
        third, third_seconds, third_bulk, third_cpu = run_import(more, user)
        load["after_import_into_stored"] = load_average()
        log(f"  {third_seconds:.1f} s")
        into_stored = {
            "seconds": round(third_seconds, 2),
            "rows_per_s": round(third.total_rows / third_seconds),
            "stored_before": first.created_count,
            "created": third.created_count,
            "failed": third.failed_count,
            "bulk_load": third_bulk,
            **{key: round(value, 2) for key, value in third_cpu.items()},
        }
    log("psql \\copy into a bare table ...")
    copy_seconds = psql_copy_seconds(path, len(HEADER), args.encoding)
    load["after_copy"] = load_average()
    log(f"  {copy_seconds:.1f} s")
    copy_cpu = server_copy_cpu_seconds(path, len(HEADER), args.encoding)
    floor_seconds = bare_floor_seconds = None
    if not args.no_floor:
        log("plain INSERT … SELECT of the same customers into the emptied table (rolled back) ...")
        floor_seconds = insert_floor_seconds()
        log(f"  {floor_seconds:.1f} s")
        log("the same with only the primary key and the customer ID index ...")
        bare_floor_seconds = insert_floor_seconds(drop_secondary_indexes=True)
        log(f"  {bare_floor_seconds:.1f} s")

    emit(
        {
            "bench": "import_customers",
            "database": database,
            "file": path.name,
            "encoding": first.encoding,
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "rows": first.total_rows,
            "first_import": {
                "seconds": round(first_seconds, 2),
                "rows_per_s": round(first.total_rows / first_seconds),
                "created": first.created_count,
                "updated": first.updated_count,
                "unchanged": first.unchanged_count,
                "failed": first.failed_count,
                "bulk_load": first_bulk,  # secondary indexes dropped and rebuilt (contacts/imports/loaders.py)
                **{key: round(value, 2) for key, value in first_cpu.items()},
            },
            "same_file_again": {
                "seconds": round(second_seconds, 2),
                "rows_per_s": round(second.total_rows / second_seconds),
                "created": second.created_count,
                "updated": second.updated_count,
                "unchanged": second.unchanged_count,
                "failed": second.failed_count,
                "bulk_load": second_bulk,
                **{key: round(value, 2) for key, value in second_cpu.items()},
            },
            "new_customers_into_the_stored_ones": into_stored,
            "psql_copy_seconds": round(copy_seconds, 2),
            "server_copy_db_cpu_seconds": round(copy_cpu, 2),
            "ratio_to_psql_copy": round(first_seconds / copy_seconds, 1),
            "same_file_again_ratio_to_psql_copy": round(second_seconds / copy_seconds, 1),
            "customer_insert_floor_seconds": floor_seconds and round(floor_seconds, 2),
            "customer_insert_floor_without_secondary_indexes_seconds": bare_floor_seconds
            and round(bare_floor_seconds, 2),
            "customer_indexes": customer_index_count(),
            "postgres": postgres_settings(),
            "target_seconds": 25,
            # Peak memory of this process (the import ran in it: reader, chunks, polars frames).
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "cpus": os.cpu_count(),
            "load_average_1_5_15_min": load,
        }
    )


if __name__ == "__main__":
    main()
