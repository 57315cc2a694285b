"""Each call attempt keeps the meaning of its outcome at the moment it was logged, and refusals get
a table of their own, by customer and scope.

- six flags on the attempt, copied from the disposition by a trigger on INSERT (and when a
  history change re-points an attempt to another disposition), so editing an outcome's flags later
  changes only later calls; the existing attempts get the flags their disposition has now;
- campaigns_refusal: one row per customer and scope key (the campaign, the company and product it
  sells, the company; SQL function campaigns_refusal_key), written by a trigger when a refusal
  attempt is inserted, in the same transaction; filled here from the existing refusals;
- the company and product a campaign sells, and the policy's refusal scope.

SQL because Django has no way to declare functions and triggers. Attempts are guarded history: the
fill runs inside the transaction-local history_change setting (callcenter.history).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MEANING_SQL = """
CREATE FUNCTION campaigns_refusal_norm(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT lower(btrim(regexp_replace(normalize(coalesce(value, ''), NFKC), '\\s+', ' ', 'g')))
$$;

-- The key a refusal is filed under for one scope. A campaign that names no product (or company)
-- falls back to the campaign itself.
CREATE FUNCTION campaigns_refusal_key(scope text, campaign_id bigint, company text, product text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN scope = 'company' AND campaigns_refusal_norm(company) <> ''
            THEN 'company:' || campaigns_refusal_norm(company)
        WHEN scope = 'product' AND campaigns_refusal_norm(product) <> ''
            THEN 'product:' || campaigns_refusal_norm(company) || chr(31) || campaigns_refusal_norm(product)
        ELSE 'campaign:' || campaign_id
    END
$$;

CREATE FUNCTION campaigns_attempt_meaning() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT d.is_contact, d.is_success, d.is_final, d.is_refusal, d.adds_dnc, d.is_callback
      INTO NEW.is_contact, NEW.is_success, NEW.is_final, NEW.is_refusal, NEW.adds_dnc, NEW.is_callback
      FROM campaigns_disposition d WHERE d.id = NEW.disposition_id;
    RETURN NEW;
END $$;
CREATE TRIGGER attempt_outcome_meaning BEFORE INSERT OR UPDATE OF disposition_id ON campaigns_callattempt
    FOR EACH ROW EXECUTE FUNCTION campaigns_attempt_meaning();

CREATE FUNCTION campaigns_attempt_refusal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaigns_refusal (customer_id, scope_key, campaign_id, attempt_id, refused_at)
    SELECT DISTINCT NEW.customer_id, campaigns_refusal_key(s.scope, k.id, k.company, k.product),
           NEW.campaign_id, NEW.id, NEW.started_at
    FROM campaigns_campaign k CROSS JOIN (VALUES ('campaign'), ('product'), ('company')) s(scope)
    WHERE k.id = NEW.campaign_id
    ON CONFLICT (customer_id, scope_key) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER attempt_refusal AFTER INSERT OR UPDATE OF disposition_id ON campaigns_callattempt
    FOR EACH ROW WHEN (NEW.is_refusal) EXECUTE FUNCTION campaigns_attempt_refusal();
"""

DROP_MEANING_SQL = """
DROP TRIGGER attempt_refusal ON campaigns_callattempt;
DROP FUNCTION campaigns_attempt_refusal();
DROP TRIGGER attempt_outcome_meaning ON campaigns_callattempt;
DROP FUNCTION campaigns_attempt_meaning();
DROP FUNCTION campaigns_refusal_key(text, bigint, text, text);
DROP FUNCTION campaigns_refusal_norm(text);
"""

FILL_SQL = """
SELECT set_config('callcenter.history_change', 'migration: store the meaning of each outcome', true);
UPDATE campaigns_callattempt a
   SET is_contact = d.is_contact, is_success = d.is_success, is_final = d.is_final,
       is_refusal = d.is_refusal, adds_dnc = d.adds_dnc, is_callback = d.is_callback
  FROM campaigns_disposition d
 WHERE d.id = a.disposition_id
   AND (d.is_contact OR d.is_success OR d.is_final OR d.is_refusal OR d.adds_dnc OR d.is_callback);
SELECT set_config('callcenter.history_change', '', true);
INSERT INTO campaigns_refusal (customer_id, scope_key, campaign_id, attempt_id, refused_at)
SELECT DISTINCT ON (a.customer_id, key.scope_key) a.customer_id, key.scope_key, a.campaign_id, a.id, a.started_at
FROM campaigns_callattempt a
JOIN campaigns_campaign k ON k.id = a.campaign_id
CROSS JOIN LATERAL (
    SELECT campaigns_refusal_key(s.scope, k.id, k.company, k.product) AS scope_key
    FROM (VALUES ('campaign'), ('product'), ('company')) s(scope)
) key
WHERE a.is_refusal
ORDER BY a.customer_id, key.scope_key, a.started_at, a.id
ON CONFLICT (customer_id, scope_key) DO NOTHING;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0006_appointments"),
        ("contacts", "0002_dnc_changes_only_by_revocation"),
        ("scripts", "0002_version_guards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Refusal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scope_key", models.CharField(max_length=520)),
                ("refused_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "refusal",
                "verbose_name_plural": "refusals",
            },
        ),
        migrations.RemoveIndex(
            model_name="callattempt",
            name="setup_attempt_started_customer",
        ),
        migrations.AddField(
            model_name="callattempt",
            name="adds_dnc",
            field=models.BooleanField(default=False, editable=False, verbose_name="adds a do-not-call entry"),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="is_callback",
            field=models.BooleanField(default=False, editable=False, verbose_name="schedules a callback"),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="is_contact",
            field=models.BooleanField(default=False, editable=False, verbose_name="reached the person"),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="is_final",
            field=models.BooleanField(default=False, editable=False, verbose_name="closes the entry"),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="is_refusal",
            field=models.BooleanField(default=False, editable=False, verbose_name="refusal"),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="is_success",
            field=models.BooleanField(default=False, editable=False, verbose_name="success"),
        ),
        migrations.AddField(
            model_name="callingpolicy",
            name="refusal_scope",
            field=models.CharField(
                choices=[
                    ("campaign", "the same campaign"),
                    ("product", "every campaign of the same company and product"),
                    ("company", "every campaign of the same company"),
                ],
                default="product",
                max_length=8,
                verbose_name="a refusal blocks",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="company",
            field=models.CharField(blank=True, max_length=200, verbose_name="selling company"),
        ),
        migrations.AddField(
            model_name="campaign",
            name="product",
            field=models.CharField(blank=True, max_length=200, verbose_name="product or service"),
        ),
        migrations.AddField(
            model_name="refusal",
            name="attempt",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.callattempt",
            ),
        ),
        migrations.AddField(
            model_name="refusal",
            name="campaign",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="campaigns.campaign"
            ),
        ),
        migrations.AddField(
            model_name="refusal",
            name="customer",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contacts.customer"
            ),
        ),
        migrations.AddIndex(
            model_name="refusal",
            index=models.Index(fields=["scope_key", "customer"], name="refusal_scope_customer"),
        ),
        migrations.AddConstraint(
            model_name="refusal",
            constraint=models.UniqueConstraint(fields=("customer", "scope_key"), name="refusal_customer_scope"),
        ),
        migrations.RunSQL(MEANING_SQL, DROP_MEANING_SQL),
        migrations.RunSQL(FILL_SQL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="callattempt",
            index=models.Index(
                fields=["started_at"], include=("customer", "is_contact"), name="setup_attempt_started_customer"
            ),
        ),
    ]
