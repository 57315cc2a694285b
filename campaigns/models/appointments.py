"""Appointments handed to sales: the salespeople who take them and the appointments operators
book for them during a call (docs/rules.md#appointments)."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from .attempts import CallAttempt
from .campaigns import Campaign
from .lists import CallList


def working_weekdays():
    return [0, 1, 2, 3, 4]


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class Salesperson(models.Model):
    """Someone who visits customers or meets them online: a user with the Sales role, or a
    resource without a login (then only the e-mail and the calendar feed reach them)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user (Sales role)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="salesperson",
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("e-mail for invitations"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    work_start = models.TimeField(_("working hours from"), default=dt.time(9, 0))
    work_end = models.TimeField(_("working hours until"), default=dt.time(18, 0))
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(), verbose_name=_("working days"), default=working_weekdays, blank=True
    )
    # Empty: every prefecture / any product.
    prefectures = ArrayField(
        models.CharField(max_length=10), verbose_name=_("areas (prefectures)"), default=list, blank=True
    )
    products = ArrayField(models.CharField(max_length=50), verbose_name=_("products"), default=list, blank=True)
    appointment_minutes = models.PositiveIntegerField(
        _("appointment length (minutes)"), default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    active = models.BooleanField(_("takes appointments"), default=True)
    # The secret part of the calendar feed's address; a new one cuts off every old subscription.
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("salesperson")
        verbose_name_plural = _("salespeople")
        constraints = [
            models.CheckConstraint(condition=Q(work_end__gt=models.F("work_start")), name="salesperson_hours_order"),
        ]

    def __str__(self):
        return self.name


# The statuses that occupy the salesperson's time: a cancelled or rescheduled appointment frees
# its slot.
OCCUPYING_STATUSES = ("booked", "held", "no_show")


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Appointment(models.Model):
    """A meeting of a salesperson with a customer, booked by an operator in a call."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        NO_SHOW = "no_show", _("No-show")

    class Mode(models.TextChoices):
        VISIT = "visit", _("Visit")
        ONLINE = "online", _("Online")

    # No index of its own: the GiST index of appointment_no_double_booking leads with it.
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
    )
    customer = models.ForeignKey(
        "contacts.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="appointments"
    )
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+")
    call_list = models.ForeignKey(CallList, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # No database constraint: attempts are partitioned (see CallAttempt); booking takes the
    # attempt it has just stored.
    attempt = models.OneToOneField(
        CallAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="appointment", db_constraint=False
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booked_appointments",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    mode = models.CharField(_("where"), max_length=8, choices=Mode.choices, default=Mode.VISIT)
    place = models.CharField(_("place or meeting link"), max_length=300, blank=True)
    notes = models.TextField(_("notes for the salesperson"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )
    # When the call set it; a rescheduled appointment's successor keeps the moment of the original,
    # so the KPIs count each appointment once, with the outcome of its last version.
    set_at = models.DateTimeField(_("set at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            # KPIs count appointments by the moment they were set, per campaign, operator and list.
            models.Index(fields=["campaign", "set_at"], name="appointment_campaign_set"),
            models.Index(fields=["booked_by", "set_at"], name="appointment_operator_set"),
            models.Index(fields=["call_list", "set_at"], name="appointment_list_set"),
            models.Index(fields=["customer"], name="appointment_customer"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"),
            # No slot is ever booked twice: two occupying appointments of one salesperson never
            # overlap. Also serves the calendar's (salesperson, time range) reads.
            ExclusionConstraint(
                name="appointment_no_double_booking",
                expressions=[
                    ("salesperson", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=OCCUPYING_STATUSES),
            ),
        ]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.salesperson_id} {self.customer_id}"

    @property
    def ics_uid(self) -> str:
        return f"appointment-{self.pk}@callcenter"
