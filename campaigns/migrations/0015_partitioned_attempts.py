"""Call attempts partitioned by month of started_at (callcenter.partitions), without losing a row.

- The client tokens move to campaigns_attempttoken (token -> attempt), filled here from the
  attempts: a partitioned table admits no unique index without its partition key, so the unique
  constraint attempt_client_token goes. The attempts keep the column (which token wrote them).
- The foreign keys that point at an attempt (refusals, appointments, call events, promises to
  pay, tokens) lose their database constraint: a partitioned table can only be referenced by its
  whole primary key, (id, started_at). The code that writes them takes the id of an attempt it
  has just stored or read.
- The conversion renames the table, creates the partitioned one with the same columns, copies the
  rows (before the triggers exist: the INSERT trigger must not recompute the outcome's meaning of
  old calls from today's outcomes), carries the identity sequence on, and re-creates the indexes,
  checks, foreign keys and every trigger the table had, read from the catalog (other migrations
  change them). The trigger functions stay as they are.

Irreversible: going back would mean converting back, row by row; restore a backup instead.
"""

import django.db.models.deletion
from django.db import migrations, models

from callcenter.partitions import convert_to_partitioned

TOKENS_SQL = """
INSERT INTO campaigns_attempttoken (token, attempt_id, created_at)
SELECT client_token, id, created_at FROM campaigns_callattempt WHERE client_token IS NOT NULL
"""


def partition_attempts(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        convert_to_partitioned(cursor, "campaigns_callattempt", "started_at")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0014_attempt_erasure"),
    ]

    operations = [
        migrations.CreateModel(
            name="AttemptToken",
            fields=[
                ("token", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "attempt token",
                "verbose_name_plural": "attempt tokens",
            },
        ),
        migrations.RemoveConstraint(
            model_name="callattempt",
            name="attempt_client_token",
        ),
        migrations.AlterField(
            model_name="appointment",
            name="attempt",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointment",
                to="campaigns.callattempt",
            ),
        ),
        migrations.AlterField(
            model_name="callevent",
            name="attempt",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="call_events",
                to="campaigns.callattempt",
            ),
        ),
        migrations.AlterField(
            model_name="debt",
            name="promise_attempt",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.callattempt",
            ),
        ),
        migrations.AlterField(
            model_name="refusal",
            name="attempt",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.callattempt",
            ),
        ),
        migrations.AddField(
            model_name="attempttoken",
            name="attempt",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.callattempt",
            ),
        ),
        migrations.RunSQL(TOKENS_SQL, migrations.RunSQL.noop),
        migrations.RunPython(partition_attempts),
    ]
