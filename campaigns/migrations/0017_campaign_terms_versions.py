"""A campaign keeps the history of the terms the compliance report judges a call by: its selling
company and product (the keys of the refusal scope) and its pre-notice days.

campaigns_campaigntermsversion: immutable rows; a trigger writes one when a campaign is created and
whenever one of those fields changes, whatever path saves it. Every existing campaign gets its
version 1 here, as it is now: the report applies a campaign's first version to every call before it
(campaigns kept no history before). SQL because Django has no way to declare triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

TERMS = "company, product, prenotice_days"

TERMS_SQL = f"""
CREATE FUNCTION campaigns_terms_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaigns_campaigntermsversion (campaign_id, number, created_at, {TERMS})
    SELECT NEW.id,
           coalesce((SELECT max(v.number) FROM campaigns_campaigntermsversion v WHERE v.campaign_id = NEW.id), 0) + 1,
           clock_timestamp(), NEW.company, NEW.product, NEW.prenotice_days;
    RETURN NULL;
END $$;
CREATE TRIGGER campaign_terms_created AFTER INSERT ON campaigns_campaign
    FOR EACH ROW EXECUTE FUNCTION campaigns_terms_version();
CREATE TRIGGER campaign_terms_changed AFTER UPDATE ON campaigns_campaign
    FOR EACH ROW WHEN ((OLD.company, OLD.product, OLD.prenotice_days)
                       IS DISTINCT FROM (NEW.company, NEW.product, NEW.prenotice_days))
    EXECUTE FUNCTION campaigns_terms_version();

CREATE FUNCTION campaigns_terms_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'campaign terms versions are history: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER campaign_terms_are_history BEFORE UPDATE ON campaigns_campaigntermsversion
    FOR EACH ROW EXECUTE FUNCTION campaigns_terms_version_guard();

INSERT INTO campaigns_campaigntermsversion (campaign_id, number, created_at, {TERMS})
SELECT c.id, 1, now(), {TERMS} FROM campaigns_campaign c;
"""

DROP_TERMS_SQL = """
DROP TRIGGER campaign_terms_are_history ON campaigns_campaigntermsversion;
DROP FUNCTION campaigns_terms_version_guard();
DROP TRIGGER campaign_terms_changed ON campaigns_campaign;
DROP TRIGGER campaign_terms_created ON campaigns_campaign;
DROP FUNCTION campaigns_terms_version();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0016_attempt_customer_time_covers_contact"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignTermsVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(verbose_name="version")),
                ("created_at", models.DateTimeField(verbose_name="in force from")),
                ("company", models.CharField(blank=True, max_length=200, verbose_name="selling company")),
                ("product", models.CharField(blank=True, max_length=200, verbose_name="product or service")),
                (
                    "prenotice_days",
                    models.PositiveIntegerField(
                        null=True, verbose_name="pre-notice at least N days before the first call"
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="terms_versions",
                        to="campaigns.campaign",
                    ),
                ),
            ],
            options={
                "verbose_name": "campaign terms version",
                "verbose_name_plural": "campaign terms versions",
                "ordering": ["campaign", "number"],
                "constraints": [models.UniqueConstraint(fields=("campaign", "number"), name="campaign_terms_number")],
            },
        ),
        migrations.RunSQL(TERMS_SQL, DROP_TERMS_SQL),
    ]
