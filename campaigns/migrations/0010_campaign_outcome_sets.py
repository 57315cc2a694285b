"""Each campaign gets its own outcome set, each outcome on a key that stays with it; outcome
labels become unique in each language.

The data step (a copy of what campaigns.services.outcome_sets does at a campaign's creation, as a
migration must not import the app's code): the default outcomes get their usual keys (1-9, 0 in
display order); labels used twice (case-insensitive) are told apart by their code; and every
existing campaign gets the default set (a collections campaign the promise to pay too) plus the
other active outcomes its calls were logged with, on the next free keys, up to what the console
grid holds. The unique indexes on the labels come after that step."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

DEFAULT_KEYS = {
    "no_answer": "1",
    "busy": "2",
    "voicemail": "3",
    "invalid_number": "4",
    "wrong_person": "5",
    "callback": "6",
    "refused": "7",
    "success": "8",
    "dnc_request": "9",
    "hung_up": "0",
    "appointment": "A",
}
PURPOSE_KEYS = {"collections": {"promise_to_pay": "P"}}
OUTCOME_KEYS = "1234567890" + "".join(letter for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if letter not in "ABCDEHMNR")
MAX_CAMPAIGN_OUTCOMES = 12


def give_campaigns_their_outcome_sets(apps, schema_editor):
    Disposition = apps.get_model("campaigns", "Disposition")
    Campaign = apps.get_model("campaigns", "Campaign")
    CampaignOutcome = apps.get_model("campaigns", "CampaignOutcome")
    CallAttempt = apps.get_model("campaigns", "CallAttempt")

    for code, key in DEFAULT_KEYS.items():
        Disposition.objects.filter(code=code).update(default_key=key)
    for field in ("label", "label_ja"):
        seen = set()
        for disposition in Disposition.objects.order_by("id"):
            value = getattr(disposition, field)
            if value.lower() in seen:
                setattr(disposition, field, f"{value} ({disposition.code})"[:100])
                disposition.save(update_fields=[field])
            seen.add(getattr(disposition, field).lower())

    defaults = list(Disposition.objects.exclude(default_key="").filter(active=True))
    for campaign in Campaign.objects.all():
        rows = {d.pk: d.default_key for d in defaults}
        extra = PURPOSE_KEYS.get(campaign.purpose, {})
        for disposition in Disposition.objects.filter(active=True, default_key="", code__in=list(extra)):
            if extra[disposition.code] not in rows.values():
                rows[disposition.pk] = extra[disposition.code]
        used = (
            CallAttempt.objects.filter(campaign=campaign, disposition__active=True)
            .exclude(disposition_id__in=list(rows))
            .values_list("disposition_id", flat=True)
            .distinct()
        )
        free = [key for key in OUTCOME_KEYS if key not in rows.values()]
        for disposition_id in sorted(used):
            if len(rows) >= MAX_CAMPAIGN_OUTCOMES or not free:
                break
            rows[disposition_id] = free.pop(0)
        CampaignOutcome.objects.bulk_create(
            [CampaignOutcome(campaign=campaign, disposition_id=pk, key=key) for pk, key in rows.items()],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0009_presets_blackouts_disclosure_debts"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignOutcome",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=1, verbose_name="key")),
            ],
            options={
                "verbose_name": "campaign outcome",
                "verbose_name_plural": "campaign outcomes",
            },
        ),
        migrations.AddField(
            model_name="disposition",
            name="default_key",
            field=models.CharField(
                blank=True,
                help_text="New campaigns start with the outcomes that have a key here, on that key. "
                "Empty: not in the default set.",
                max_length=1,
                verbose_name="key in the default set",
            ),
        ),
        migrations.AddConstraint(
            model_name="disposition",
            constraint=models.UniqueConstraint(
                condition=models.Q(("default_key", ""), _negated=True),
                fields=("default_key",),
                name="disposition_default_key_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="disposition",
            constraint=models.CheckConstraint(
                condition=models.Q(("default_key", ""), ("default_key__regex", "^[0-9A-Z]$"), _connector="OR"),
                name="disposition_default_key_shape",
            ),
        ),
        migrations.AddField(
            model_name="campaignoutcome",
            name="campaign",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="outcomes", to="campaigns.campaign"
            ),
        ),
        migrations.AddField(
            model_name="campaignoutcome",
            name="disposition",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="campaign_outcomes",
                to="campaigns.disposition",
                verbose_name="outcome",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignoutcome",
            constraint=models.UniqueConstraint(fields=("campaign", "disposition"), name="campaign_outcome_once"),
        ),
        migrations.AddConstraint(
            model_name="campaignoutcome",
            constraint=models.UniqueConstraint(fields=("campaign", "key"), name="campaign_outcome_key_once"),
        ),
        migrations.AddConstraint(
            model_name="campaignoutcome",
            constraint=models.CheckConstraint(
                condition=models.Q(("key__regex", "^[0-9A-Z]$")), name="campaign_outcome_key_shape"
            ),
        ),
        migrations.RunPython(give_campaigns_their_outcome_sets, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="disposition",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("label"), name="disposition_label_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="disposition",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("label_ja"), name="disposition_label_ja_unique"
            ),
        ),
    ]
