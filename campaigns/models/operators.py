"""The people who work the console: their skills and the states they spend their time in."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OperatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator_profile")
    skills = ArrayField(models.CharField(max_length=50), verbose_name=_("skills"), default=list, blank=True)

    class Meta:
        verbose_name = _("operator profile")
        verbose_name_plural = _("operator profiles")

    def __str__(self):
        return str(self.user)


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
        indexes = [
            models.Index(fields=["operator", "started_at"], name="agentstate_operator_time"),
            # The incremental KPI refresh of agent time reads the intervals that ended since its last run.
            models.Index(fields=["ended_at"], name="kpis_agentstate_ended"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["operator"], condition=Q(ended_at__isnull=True), name="one_open_state_per_operator"
            )
        ]
