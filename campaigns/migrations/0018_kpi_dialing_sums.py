"""The attempt rollups carry the dialing sums (dials answered, dials with ring time, ring seconds),
so the KPI pages read them from there instead of from the period's attempts.

The existing rollup rows are filled set-based from the attempts they already count (ids up to the
attempt watermark), months moved to the archive schema included: the nightly reconciliation
rebuilds only the months still in the live table. The daily and hour-profile rows are then summed
from the hourly ones, as the refresh does. The columns keep a default of 0 in the database, so a
worker still running the code before them goes on adding rows during the deployment; the dialing
sums of the attempts such a worker counts are set right by the next nightly reconciliation."""

from django.conf import settings
from django.db import migrations, models

ATTEMPT_TABLE = "campaigns_callattempt"
ARCHIVE_SCHEMA = "archive"
DIALING = ("answered", "rung", "ring_seconds")


def _attempts_sql(cursor) -> str:
    """The live attempts and those of the archived months, with the columns the fill reads."""
    columns = "id, started_at, campaign_id, call_list_id, operator_id, answered_at, ring_seconds"
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname LIKE %s AND c.relkind = 'r' ORDER BY 1",
        [ARCHIVE_SCHEMA, f"{ATTEMPT_TABLE}\\_p%"],
    )
    archived = [f'SELECT {columns} FROM {ARCHIVE_SCHEMA}."{name}"' for (name,) in cursor.fetchall()]
    return " UNION ALL ".join([f"SELECT {columns} FROM {ATTEMPT_TABLE}", *archived])


def _key_matches(key: list[str]) -> str:
    # empty list and operator compare as equal, as in the unique keys
    return " AND ".join(
        f"coalesce(r.{k}, 0) = coalesce(b.{k}, 0)" if k.endswith("_id") else f"r.{k} = b.{k}" for k in key
    )


def _update_sql(table: str, key: list[str], sums: str) -> str:
    assignments = ", ".join(f"{m} = b.{m}" for m in DIALING)
    return f"""
        UPDATE {table} r SET {assignments}
        FROM ({sums}) b
        WHERE {_key_matches(key)}"""


def fill_dialing_sums(apps, schema_editor):
    hourly_key = ["day", "hour", "campaign_id", "call_list_id", "operator_id"]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT last_id FROM campaigns_kpiwatermark WHERE source = 'attempts'")
        row = cursor.fetchone()
        if row is None:
            return  # the rollups were never built: the first refresh counts everything
        cursor.execute(
            _update_sql(
                "campaigns_kpihourly",
                hourly_key,
                f"""
                SELECT (a.started_at AT TIME ZONE %(tz)s)::date AS day,
                       EXTRACT(HOUR FROM a.started_at AT TIME ZONE %(tz)s)::smallint AS hour,
                       a.campaign_id, a.call_list_id, a.operator_id,
                       count(*) FILTER (WHERE a.answered_at IS NOT NULL) AS answered,
                       count(*) FILTER (WHERE a.ring_seconds > 0) AS rung,
                       coalesce(sum(a.ring_seconds), 0) AS ring_seconds
                FROM ({_attempts_sql(cursor)}) a
                WHERE a.id <= %(counted)s AND (a.answered_at IS NOT NULL OR a.ring_seconds > 0)
                GROUP BY 1, 2, 3, 4, 5""",
            ),
            {"tz": settings.TIME_ZONE, "counted": row[0]},
        )
        derived = {
            "campaigns_kpidaily": ["day", "campaign_id", "call_list_id", "operator_id"],
            "campaigns_kpihourprofile": ["day", "hour", "campaign_id", "call_list_id"],
        }
        for table, key in derived.items():
            cursor.execute(
                _update_sql(
                    table,
                    key,
                    f"""
                    SELECT {", ".join(key)}, {", ".join(f"sum({m}) AS {m}" for m in DIALING)}
                    FROM campaigns_kpihourly
                    WHERE answered > 0 OR rung > 0
                    GROUP BY {", ".join(key)}""",
                )
            )
        for table in ("campaigns_kpihourly", "campaigns_kpidaily", "campaigns_kpihourprofile"):
            cursor.execute(f"ANALYZE {table}")


def _dialing_fields(model_name: str) -> list:
    return [
        migrations.AddField(
            model_name=model_name, name="answered", field=models.PositiveIntegerField(db_default=0, default=0)
        ),
        migrations.AddField(
            model_name=model_name, name="rung", field=models.PositiveIntegerField(db_default=0, default=0)
        ),
        migrations.AddField(
            model_name=model_name, name="ring_seconds", field=models.BigIntegerField(db_default=0, default=0)
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0017_campaign_terms_versions"),
    ]

    operations = [
        *_dialing_fields("kpihourly"),
        *_dialing_fields("kpidaily"),
        *_dialing_fields("kpihourprofile"),
        migrations.RunPython(fill_dialing_sums, migrations.RunPython.noop),
    ]
