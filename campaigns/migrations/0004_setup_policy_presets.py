"""The two shipped calling-policy presets (Japan standard, US collections Reg F 7-in-7), and the
indexes the list build and the policy rules read through."""

from django.db import migrations

from campaigns.services.policies import ensure_preset_policies


def seed(apps, schema_editor):
    ensure_preset_policies(apps.get_model("campaigns", "CallingPolicy"))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_default_dispositions")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        # Rolling-window rules (cap, cool-off) read the attempts of the last days of every
        # campaign: an index-only range scan instead of a scan of the whole history.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS setup_attempt_started_customer ON campaigns_callattempt "
            "(started_at) INCLUDE (customer_id, disposition_id)",
            "DROP INDEX IF EXISTS setup_attempt_started_customer",
        ),
        # Re-solicitation: the refusals of one campaign, without reading its whole history.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS setup_attempt_campaign_disposition ON campaigns_callattempt "
            "(campaign_id, disposition_id, customer_id)",
            "DROP INDEX IF EXISTS setup_attempt_campaign_disposition",
        ),
    ]
