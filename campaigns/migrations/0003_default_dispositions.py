"""The default disposition set (campaigns/dispositions.py)."""

from django.db import migrations

from campaigns.dispositions import ensure_default_dispositions


def seed(apps, schema_editor):
    ensure_default_dispositions(apps.get_model("campaigns", "Disposition"))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
