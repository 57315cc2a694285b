"""attempt_customer_time carries is_contact: the cool-off's probe of one customer's conversations
of the last days is index-only on it, so a prepared statement's generic plan no longer prefers
the time-only index (setup_attempt_started_customer), which reads every call of those days per
claim once the window bounds started_at itself (as partition pruning needs)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0015_partitioned_attempts"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="callattempt",
            name="attempt_customer_time",
        ),
        migrations.AddIndex(
            model_name="callattempt",
            index=models.Index(
                fields=["customer", "started_at"], include=("is_contact",), name="attempt_customer_time"
            ),
        ),
    ]
