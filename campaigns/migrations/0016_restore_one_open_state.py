"""Migration 0015 (the operator column losing its plain index) also dropped the unique partial
index behind the `one_open_state_per_operator` constraint: Django's AlterField removes every
single-column index of the field that is not in Meta.indexes, and a conditional UniqueConstraint
is such an index on PostgreSQL. Without it nothing stopped a second open interval, and finding an
operator's open interval (two state changes per call) scanned every interval ever opened.

Put it back. Intervals opened twice in the meantime are closed first: all but the newest open
one of an operator end where the newest began (the operator's time stays counted once)."""

from django.db import migrations

CLOSE_DUPLICATES = """
    UPDATE campaigns_agentstatelog l SET ended_at = GREATEST(newest.started_at, l.started_at)
      FROM (SELECT DISTINCT ON (operator_id) id, operator_id, started_at FROM campaigns_agentstatelog
             WHERE ended_at IS NULL ORDER BY operator_id, started_at DESC, id DESC) newest
     WHERE l.operator_id = newest.operator_id AND l.ended_at IS NULL AND l.id <> newest.id
"""
CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS one_open_state_per_operator"
    " ON campaigns_agentstatelog (operator_id) WHERE ended_at IS NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0015_agent_state_index_diet"),
    ]

    # The migration state has the constraint all along (0002); only the database lost it.
    operations = [
        migrations.RunSQL(CLOSE_DUPLICATES, migrations.RunSQL.noop),
        migrations.RunSQL(CREATE, migrations.RunSQL.noop),
    ]
