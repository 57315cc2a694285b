from django.conf import settings
from django.db import migrations, models


def backfill_sql():
    # Holds taken before this column existed began DISPATCH_HOLD_MINUTES before they expire.
    minutes = int(getattr(settings, "DISPATCH_HOLD_MINUTES", 15))
    return (
        f"UPDATE campaigns_calllistentry SET held_at = held_until - make_interval(mins => {minutes})"
        " WHERE status = 'held' AND held_until IS NOT NULL"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0013_attempt_index_diet"),
    ]

    operations = [
        migrations.AddField(
            model_name="calllistentry",
            name="held_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(backfill_sql(), migrations.RunSQL.noop),
    ]
