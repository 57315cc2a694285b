"""The appointments' salesperson foreign key loses its own index: the no-double-booking constraint's GiST
index leads with the salesperson and serves its lookups."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0010_campaign_outcome_sets"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appointment",
            name="salesperson",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointments",
                to="campaigns.salesperson",
                verbose_name="salesperson",
            ),
        ),
    ]
