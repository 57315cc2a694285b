"""The call attempts: one row per dial and its outcome."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign
from .dispositions import Disposition
from .lists import CallList, CallListEntry


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
            # Rolling-window rules (cap, cool-off) read the attempts of the last days of every
            # campaign: an index-only range scan instead of a scan of the whole history.
            models.Index(
                fields=["started_at"], include=["customer", "disposition"], name="setup_attempt_started_customer"
            ),
            # Re-solicitation: the refusals of one campaign, without reading its whole history.
            models.Index(fields=["campaign", "disposition", "customer"], name="attempt_campaign_disposition"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client_token"], name="attempt_client_token"),
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.phone} {self.disposition_id}"
