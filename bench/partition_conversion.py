"""The migration that partitions a history table by month (callcenter.partitions.convert_to_partitioned),
on a plain table shaped like the call attempts: N rows over a year, the attempts' nine indexes, two
foreign keys and two triggers. The tables are locked while it runs: this tells how long an upgrade
to the partitioned tables keeps them.

Prints one JSON object: rows, table size before, seconds to convert, partitions made.

    DATABASE_URL=... .venv/bin/python bench/partition_conversion.py [rows]
"""

import os
import sys

from _common import django_setup, emit, ensure_customers, log, timed

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
INDEXES = [
    "customer_id, started_at",
    "campaign_id, started_at",
    "operator_id, started_at",
    "entry_id",
    "campaign_id, disposition_id, customer_id",
    "disposition_id",
    "call_list_id",
    "script_version_id",
]


def main():
    load = os.getloadavg()[0]
    django_setup("partitions")
    ensure_customers(1)
    from django.db import connection, transaction

    from callcenter.partitions import convert_to_partitioned

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_attempts CASCADE")
        cursor.execute(
            "CREATE TABLE bench_attempts (LIKE campaigns_callattempt INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING IDENTITY)"
        )
        cursor.execute("ALTER TABLE bench_attempts ADD PRIMARY KEY (id)")
        cursor.execute("SELECT min(id) FROM contacts_customer")
        customer = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM campaigns_disposition")
        disposition = cursor.fetchone()[0]
        log(f"writing {ROWS:,} attempts over a year")
        cursor.execute(
            """
            INSERT INTO bench_attempts (campaign_id, customer_id, disposition_id, phone, attempt_number, started_at,
                ended_at, talk_seconds, hold_seconds, acw_seconds, reaction, notes, callback_personal, answers,
                created_at, is_contact, is_success, is_final, is_refusal, adds_dnc, is_callback)
            SELECT 1 + g %% 50, %s, %s, '+81312345678', 1, now() - make_interval(secs => g * 31536000.0 / %s),
                   now() - make_interval(secs => g * 31536000.0 / %s), 0, 0, 0, '', '', false, '{}', now(),
                   g %% 3 = 0, false, false, false, false, false
            FROM generate_series(1, %s) g
            """,
            [customer, disposition, ROWS, ROWS, ROWS],
        )
        for n, columns in enumerate(INDEXES):
            cursor.execute(f"CREATE INDEX bench_attempts_{n} ON bench_attempts ({columns})")
        cursor.execute("CREATE INDEX bench_attempts_started ON bench_attempts (started_at) INCLUDE (customer_id)")
        for column, table in (("customer_id", "contacts_customer"), ("disposition_id", "campaigns_disposition")):
            cursor.execute(
                f"ALTER TABLE bench_attempts ADD FOREIGN KEY ({column}) REFERENCES {table} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        cursor.execute(
            "CREATE TRIGGER attempts_are_history BEFORE UPDATE OR DELETE ON bench_attempts "
            "FOR EACH ROW EXECUTE FUNCTION campaigns_attempt_guard()"
        )
        cursor.execute(
            "CREATE TRIGGER attempt_outcome_meaning BEFORE INSERT ON bench_attempts "
            "FOR EACH ROW EXECUTE FUNCTION campaigns_attempt_meaning()"
        )
        cursor.execute("ANALYZE bench_attempts")
        cursor.execute("SELECT pg_total_relation_size('bench_attempts')")
        size = cursor.fetchone()[0]
    log("converting")
    with timed() as took, transaction.atomic(), connection.cursor() as cursor:
        result = convert_to_partitioned(cursor, "bench_attempts", "started_at")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'bench_attempts'::regclass")
        partitions = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_attempts CASCADE")
    emit(
        {
            "bench": "partition_conversion",
            "rows": result["rows"],
            "table_mb": round(size / 2**20),
            "indexes": result["indexes"],
            "triggers": result["triggers"],
            "partitions": partitions,
            "convert_seconds": round(took.seconds, 1),
            "load_average_at_start": round(load, 2),
        }
    )


if __name__ == "__main__":
    main()
