"""A campaign, the script variants its segments hear and the notices sent before it calls."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .policies import CallingPolicy


class Campaign(models.Model):
    class Purpose(models.TextChoices):
        SALES = "sales", _("Sales (telemarketing)")
        APPOINTMENT = "appointment", _("Appointment setting")
        INSIDE_SALES = "inside_sales", _("Inside sales")
        SURVEY = "survey", _("Phone survey")
        COLLECTIONS = "collections", _("Collections")
        REACTIVATION = "reactivation", _("Dormant customer reactivation")
        CHURN = "churn", _("Churn prevention")
        DELIVERY = "delivery", _("Delivery confirmation")
        DM_FOLLOWUP = "dm_followup", _("Direct-mail follow-up")
        ANNOUNCEMENT = "announcement", _("New product announcement")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("campaign status", "Active")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")

    name = models.CharField(_("name"), max_length=200, unique=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    description = models.TextField(_("description"), blank=True)
    # What is sold and by whom: the re-solicitation ban (特定商取引法 Art. 17) covers every campaign
    # of the same company and product (CallingPolicy.refusal_scope).
    company = models.CharField(_("selling company"), max_length=200, blank=True)
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    policy = models.ForeignKey(
        CallingPolicy,
        verbose_name=_("calling policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    script = models.ForeignKey(
        "scripts.Script",
        verbose_name=_("talk script"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("operators"), blank=True, related_name="operator_campaigns"
    )
    client_viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("client viewers"), blank=True, related_name="client_campaigns"
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    cost_per_hour = models.DecimalField(_("labour cost per operator hour"), max_digits=10, decimal_places=2, default=0)
    cost_per_minute = models.DecimalField(_("telecom cost per minute"), max_digits=10, decimal_places=2, default=0)
    fixed_cost = models.DecimalField(_("fixed cost"), max_digits=12, decimal_places=2, default=0)
    prenotice_days = models.PositiveIntegerField(
        _("pre-notice at least N days before the first call"), null=True, blank=True
    )
    # The console's softphone (when a SIP server is configured): preview (0, the operator presses
    # Call) or progressive (it dials by itself this many seconds after the card appears).
    progressive_dial_seconds = models.PositiveSmallIntegerField(
        _("progressive dialing: seconds after the card appears (0 = the operator presses Call)"),
        default=0,
        blank=True,  # left empty in a form: preview (0)
        validators=[MaxValueValidator(600)],
    )
    caller_id = models.CharField(
        _("caller ID (number shown to the customer)"),
        max_length=32,
        blank=True,
        help_text=_("Sent to the SIP server as P-Asserted-Identity; the server must be set up to trust it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name


# The terms of a campaign the compliance report judges a call by: who sells what (the refusal
# scope's keys, campaigns_refusal_key) and how early a pre-notice must go out.
TERMS_FIELDS = ("company", "product", "prenotice_days")


class CampaignTermsVersion(models.Model):
    """A campaign's TERMS_FIELDS as they were from `created_at` until the next version: immutable
    (a trigger refuses updates). Written by a trigger whenever a campaign is created or one of
    those fields changes, whatever path saves it (migration 0017_campaign_terms_versions). The
    compliance report judges each call by the terms in force at the moment it started, so a
    campaign's product or pre-notice days changed later leave past verdicts alone."""

    # Indexed by the unique (campaign, number).
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="terms_versions", db_index=False)
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("in force from"))
    company = models.CharField(_("selling company"), max_length=200, blank=True)
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    prenotice_days = models.PositiveIntegerField(_("pre-notice at least N days before the first call"), null=True)

    class Meta:
        ordering = ["campaign", "number"]
        verbose_name = _("campaign terms version")
        verbose_name_plural = _("campaign terms versions")
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="campaign_terms_number")]

    def __str__(self):
        return f"{self.campaign_id} v{self.number}"


class CampaignScriptVariant(models.Model):
    """Customers in `segment` hear `script` instead of the campaign's default script."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="script_variants")
    segment = models.ForeignKey(
        "contacts.Segment", verbose_name=_("segment"), on_delete=models.PROTECT, related_name="+"
    )
    script = models.ForeignKey(
        "scripts.Script", verbose_name=_("talk script"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "segment"], name="script_variant_once_per_segment"),
        ]
        verbose_name = _("script variant")
        verbose_name_plural = _("script variants")


class PreNotice(models.Model):
    """A direct mail / SMS notice that went out to a customer before calls for a campaign."""

    class Channel(models.TextChoices):
        DM = "dm", _("Direct mail")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    customer = models.ForeignKey("contacts.Customer", on_delete=models.CASCADE, related_name="prenotices")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="prenotices")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.DM)
    sent_on = models.DateField(_("sent on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on"]
        verbose_name = _("pre-notice")
        verbose_name_plural = _("pre-notices")
        constraints = [
            models.UniqueConstraint(fields=["customer", "campaign", "channel", "sent_on"], name="prenotice_unique")
        ]
