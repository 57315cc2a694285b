"""Salespeople and the appointments booked for them, with the no-double-booking constraint."""

import datetime

import django.contrib.postgres.constraints
import django.contrib.postgres.fields
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models

import campaigns.models.appointments

# A copy of the row of campaigns.dispositions.DEFAULTS as it was when appointments came.
APPOINTMENT = dict(
    code="appointment",
    label="Appointment set",
    label_ja="アポイント獲得",
    is_contact=True,
    is_success=True,
    is_final=True,
    position=100,
)


def create_appointment_disposition(apps, schema_editor):
    Disposition = apps.get_model("campaigns", "Disposition")
    fields = dict(APPOINTMENT)
    Disposition.objects.get_or_create(code=fields.pop("code"), defaults=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_attempts_are_history"),
        ("contacts", "0002_dnc_changes_only_by_revocation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The no-double-booking constraint compares the salesperson id (a plain integer) with "="
        # inside a GiST index, which needs btree_gist's operator classes.
        BtreeGistExtension(),
        migrations.CreateModel(
            name="Salesperson",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-mail for invitations")),
                ("time_zone", models.CharField(default="Asia/Tokyo", max_length=64, verbose_name="time zone")),
                ("work_start", models.TimeField(default=datetime.time(9, 0), verbose_name="working hours from")),
                ("work_end", models.TimeField(default=datetime.time(18, 0), verbose_name="working hours until")),
                (
                    "weekdays",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.PositiveSmallIntegerField(),
                        blank=True,
                        default=campaigns.models.appointments.working_weekdays,
                        size=None,
                        verbose_name="working days",
                    ),
                ),
                (
                    "prefectures",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=10),
                        blank=True,
                        default=list,
                        size=None,
                        verbose_name="areas (prefectures)",
                    ),
                ),
                (
                    "products",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=50),
                        blank=True,
                        default=list,
                        size=None,
                        verbose_name="products",
                    ),
                ),
                (
                    "appointment_minutes",
                    models.PositiveIntegerField(
                        default=60,
                        validators=[
                            django.core.validators.MinValueValidator(15),
                            django.core.validators.MaxValueValidator(480),
                        ],
                        verbose_name="appointment length (minutes)",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="takes appointments")),
                (
                    "feed_token",
                    models.CharField(
                        default=campaigns.models.appointments.new_feed_token, editable=False, max_length=64, unique=True
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="salesperson",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user (Sales role)",
                    ),
                ),
            ],
            options={
                "verbose_name": "salesperson",
                "verbose_name_plural": "salespeople",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="Appointment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("starts_at", models.DateTimeField(verbose_name="starts")),
                ("ends_at", models.DateTimeField(verbose_name="ends")),
                (
                    "mode",
                    models.CharField(
                        choices=[("visit", "Visit"), ("online", "Online")],
                        default="visit",
                        max_length=8,
                        verbose_name="where",
                    ),
                ),
                ("place", models.CharField(blank=True, max_length=300, verbose_name="place or meeting link")),
                ("notes", models.TextField(blank=True, verbose_name="notes for the salesperson")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("booked", "Booked"),
                            ("held", "Held"),
                            ("cancelled", "Cancelled"),
                            ("rescheduled", "Rescheduled"),
                            ("no_show", "No-show"),
                        ],
                        default="booked",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("status_changed_at", models.DateTimeField(blank=True, null=True)),
                ("set_at", models.DateTimeField(verbose_name="set at")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "attempt",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointment",
                        to="campaigns.callattempt",
                    ),
                ),
                (
                    "booked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="booked_appointments",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="booked by",
                    ),
                ),
                (
                    "call_list",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaigns.calllist",
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaigns.campaign",
                        verbose_name="campaign",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="contacts.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "rescheduled_from",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rescheduled_to",
                        to="campaigns.appointment",
                    ),
                ),
                (
                    "status_changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "salesperson",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="appointments",
                        to="campaigns.salesperson",
                        verbose_name="salesperson",
                    ),
                ),
            ],
            options={
                "verbose_name": "appointment",
                "verbose_name_plural": "appointments",
                "ordering": ["starts_at", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="salesperson",
            constraint=models.CheckConstraint(
                condition=models.Q(("work_end__gt", models.F("work_start"))), name="salesperson_hours_order"
            ),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["campaign", "set_at"], name="appointment_campaign_set"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["booked_by", "set_at"], name="appointment_operator_set"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["call_list", "set_at"], name="appointment_list_set"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["customer"], name="appointment_customer"),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))), name="appointment_ends_after_start"
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("status__in", ("booked", "held", "no_show"))),
                expressions=[
                    ("salesperson", "="),
                    (campaigns.models.appointments.TsTzRange("starts_at", "ends_at"), "&&"),
                ],
                name="appointment_no_double_booking",
            ),
        ),
        migrations.RunPython(create_appointment_disposition, migrations.RunPython.noop),
    ]
