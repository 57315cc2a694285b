"""attempt_campaign_time covers the stored facts of an attempt: the compliance report of a campaign
and period reads its attempts with an index-only range scan (in parallel) instead of the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_attempt_facts"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="callattempt",
            name="attempt_campaign_time",
        ),
        migrations.AddIndex(
            model_name="callattempt",
            index=models.Index(
                fields=["campaign", "started_at"],
                include=(
                    "id",
                    "customer",
                    "phone",
                    "attempt_number",
                    "is_contact",
                    "disclosure_confirmed",
                    "callback_at",
                    "policy_version",
                    "local_date",
                    "local_time",
                    "previous_call_at",
                    "next_call_at",
                    "last_contact_at",
                    "previous_callback_at",
                    "calls_in_cap_window",
                    "calls_that_day",
                    "round_position",
                ),
                name="attempt_campaign_time",
            ),
        ),
    ]
