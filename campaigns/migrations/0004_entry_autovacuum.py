"""Dispatch turns entries over constantly (pending → held → pending/done): every claim and every
outcome leaves a dead row version behind, and the partial indexes dispatch reads (fresh, retry,
held) keep pointing at them until VACUUM. With the default threshold (20% of the table) a
million-entry list would be vacuumed only after ~200,000 calls, and the heads of those indexes
would fill with dead entries every claim has to step over. Vacuum this table far more often.

SQL because Django has no way to declare a table's storage parameters."""

from django.db import migrations

OPTIONS = (
    "autovacuum_vacuum_scale_factor = 0.005, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02"
)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_reference_data")]

    operations = [
        migrations.RunSQL(
            sql=f"ALTER TABLE campaigns_calllistentry SET ({OPTIONS})",
            reverse_sql="ALTER TABLE campaigns_calllistentry RESET (autovacuum_vacuum_scale_factor,"
            " autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)",
        ),
    ]
