import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _


def default_weekdays():
    return [0, 1, 2, 3, 4, 5]  # Monday..Saturday (Monday = 0)


class CallingPolicy(models.Model):
    """When and how often customers may be called. Reusable across campaigns."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    call_window_start = models.TimeField(_("calling hours from"), default=datetime.time(9, 0))
    call_window_end = models.TimeField(_("calling hours until"), default=datetime.time(20, 0))
    weekdays = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("weekdays"), default=default_weekdays)
    skip_holidays = models.BooleanField(_("no calls on public holidays"), default=True)
    holiday_country = models.CharField(_("holiday calendar"), max_length=2, default="JP")
    max_attempts = models.PositiveIntegerField(_("max attempts per entry"), default=6)
    max_attempts_per_day = models.PositiveIntegerField(_("max attempts per day"), default=2)
    min_gap_minutes = models.PositiveIntegerField(_("minimum gap between attempts (minutes)"), default=120)
    # {disposition_code: minutes}; overrides the disposition's own default retry delay.
    retry_delays = models.JSONField(_("retry delay per outcome"), default=dict, blank=True)
    cap_attempts = models.PositiveIntegerField(_("cross-campaign cap: attempts"), null=True, blank=True)
    cap_days = models.PositiveIntegerField(_("cross-campaign cap: days"), null=True, blank=True)
    cooloff_days_after_contact = models.PositiveIntegerField(
        _("cool-off after a conversation (days)"), null=True, blank=True
    )
    no_resolicit_after_refusal = models.BooleanField(_("never call again after a refusal"), default=True)
    prefer_best_hours = models.BooleanField(_("prefer the hours when customers answer"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("calling policy")
        verbose_name_plural = _("calling policies")

    def __str__(self):
        return self.name


class Disposition(models.Model):
    """The outcome of an attempt. Default set seeded by a data migration; supervisors add more."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("label (English)"), max_length=100)
    label_ja = models.CharField(_("label (Japanese)"), max_length=100)
    is_contact = models.BooleanField(_("reached the person"), default=False)
    is_success = models.BooleanField(_("success"), default=False)
    is_final = models.BooleanField(_("closes the entry"), default=False)
    is_refusal = models.BooleanField(_("refusal (no re-solicitation)"), default=False)
    adds_dnc = models.BooleanField(_("adds a do-not-call entry"), default=False)
    is_callback = models.BooleanField(_("schedules a callback"), default=False)
    retry_delay_minutes = models.PositiveIntegerField(_("default retry delay (minutes)"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")

    def __str__(self):
        return self.display_label

    @property
    def closes_entry(self) -> bool:
        """A refusal closes the entry even when its "closes the entry" box was left unticked:
        the customer is never called again by this campaign (re-solicitation ban)."""
        return self.is_final or self.is_refusal

    @property
    def display_label(self):
        return self.label_ja if (get_language() or "").startswith("ja") and self.label_ja else self.label


class OperatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator_profile")
    skills = ArrayField(models.CharField(max_length=50), verbose_name=_("skills"), default=list, blank=True)

    class Meta:
        verbose_name = _("operator profile")
        verbose_name_plural = _("operator profiles")

    def __str__(self):
        return str(self.user)


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


class CallList(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")
        FAILED = "failed", _("Failed")

    class Order(models.TextChoices):
        RECENT_PURCHASE = "recent_purchase", _("Most recent purchase first")
        HIGHEST_SPEND = "highest_spend", _("Highest total spend first")
        OLDEST_PURCHASE = "oldest_purchase", _("Longest since last purchase first")
        ATTRIBUTE = "attribute", _("Numeric attribute, highest first")
        CUSTOMER_ID = "customer_id", _("Customer ID")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="call_lists")
    name = models.CharField(_("name"), max_length=200)
    segment = models.ForeignKey(
        "contacts.Segment",
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call_lists",
    )
    criteria = models.JSONField(_("criteria used"), default=dict, blank=True)
    order_by = models.CharField(_("call order"), max_length=20, choices=Order.choices, default=Order.RECENT_PURCHASE)
    order_attribute = models.CharField(_("attribute for ordering"), max_length=100, blank=True)
    priority = models.IntegerField(_("list priority"), default=0, help_text=_("Higher is dialed first"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BUILDING, db_index=True
    )
    required_skill = models.CharField(_("required operator skill"), max_length=50, blank=True)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operators (empty = all of the campaign)"),
        blank=True,
        related_name="+",
    )
    # {"included": n, "excluded": {"dnc": n, "no_phone": n, ...}} (docs/api.md)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("build progress (%)"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")

    def __str__(self):
        return self.name


class CallListEntry(models.Model):
    """One customer to call in one list (the lead)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CALLBACK = "callback", _("Callback")
        HELD = "held", _("In progress")
        DONE = "done", _("Done")
        EXHAUSTED = "exhausted", _("Attempts used up")
        BLOCKED = "blocked", _("Do-not-call")
        CANCELLED = "cancelled", pgettext_lazy("entry status", "Cancelled")

    # Few indexes on purpose: list builds insert hundreds of thousands of rows at once, and each
    # index costs on every insert. call_list is covered by the unique (call_list, customer) and
    # (call_list, status) indexes; holds and callbacks by dispatch's partial indexes.
    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="entries", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("contacts.Customer", on_delete=models.PROTECT, related_name="call_list_entries")
    phone = models.CharField(_("phone"), max_length=32)
    rank = models.PositiveIntegerField(_("order in list"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    assigned_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal callback for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    held_until = models.DateTimeField(null=True, blank=True)
    # When the current hold began (the dispatch): the call's start for an outcome logged without
    # one, and the start of the hard ceiling that renewals of the hold never pass.
    held_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["call_list", "rank"]
        verbose_name = _("call list entry")
        verbose_name_plural = _("call list entries")
        constraints = [models.UniqueConstraint(fields=["call_list", "customer"], name="entry_unique_customer_per_list")]
        indexes = [
            models.Index(fields=["call_list", "status"], name="entry_list_status"),
            # Partial: empty on the rows a build inserts, so it costs them nothing.
            models.Index(
                fields=["assigned_operator"],
                name="entry_assigned_operator",
                condition=Q(assigned_operator__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.call_list_id}#{self.rank} {self.phone}"


class CallAttempt(models.Model):
    """One dial and its outcome. Append-only: never updated, never deleted."""

    class Reaction(models.TextChoices):
        NONE = "", _("—")
        LISTENED = "listened", _("Listened well")
        INTERESTED = "interested", _("Interested")
        NEUTRAL = "neutral", _("Neutral")
        BUSY_NOW = "busy_now", _("Busy right now")
        IRRITATED = "irritated", _("Irritated")
        HUNG_UP = "hung_up", _("Hung up abruptly")

    # Every attempt writes every index of this table: the foreign keys below are indexed by the
    # composite indexes of Meta (attempt_entry, attempt_campaign_time, ...), not twice.
    entry = models.ForeignKey(
        CallListEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="call_attempts", db_index=False
    )
    call_list = models.ForeignKey(CallList, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="attempts", db_index=False)
    customer = models.ForeignKey(
        "contacts.Customer", on_delete=models.PROTECT, related_name="call_attempts", db_index=False
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_attempts",
        db_index=False,
    )
    phone = models.CharField(_("number dialed"), max_length=32)
    attempt_number = models.PositiveIntegerField(_("attempt number"), default=1)
    started_at = models.DateTimeField(_("started"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"))
    talk_seconds = models.PositiveIntegerField(_("talk (s)"), default=0)
    hold_seconds = models.PositiveIntegerField(_("hold (s)"), default=0)
    acw_seconds = models.PositiveIntegerField(_("after-call work (s)"), default=0)
    disposition = models.ForeignKey(Disposition, verbose_name=_("outcome"), on_delete=models.PROTECT, related_name="+")
    reaction = models.CharField(_("reaction"), max_length=16, choices=Reaction.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    callback_personal = models.BooleanField(_("personal callback"), default=False)
    script_version = models.ForeignKey(
        "scripts.ScriptVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    answers = models.JSONField(_("script answers"), default=dict, blank=True)
    # Unique through attempt_client_token (a constraint: no LIKE index that nothing uses).
    # NULL (not "") when a client sent none: the unique constraint admits any number of NULLs.
    client_token = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        indexes = [
            models.Index(fields=["customer", "started_at"], name="attempt_customer_time"),
            models.Index(fields=["campaign", "started_at"], name="attempt_campaign_time"),
            models.Index(fields=["operator", "started_at"], name="attempt_operator_time"),
            models.Index(fields=["entry"], name="attempt_entry"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client_token"], name="attempt_client_token"),
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.phone} {self.disposition_id}"


class AgentStateLog(models.Model):
    """An interval an operator spent in one state; the open one has no ended_at."""

    class State(models.TextChoices):
        READY = "ready", _("Ready")
        ON_CALL = "on_call", _("On call")
        ACW = "acw", _("After-call work")
        BREAK = "break", _("Break")
        OFFLINE = "offline", _("Offline")

    # No index of its own: (operator, started_at) below serves every lookup by operator, and each
    # state change (two per call) would write one more index entry.
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="state_logs", db_index=False
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")
        indexes = [models.Index(fields=["operator", "started_at"], name="agentstate_operator_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["operator"], condition=Q(ended_at__isnull=True), name="one_open_state_per_operator"
            )
        ]


from .models_kpis import *  # noqa
