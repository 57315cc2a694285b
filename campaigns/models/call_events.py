"""The events of a call in progress (dialing, ringing, answered, held, resumed, hung up, failed),
kept on the server as they happen: the console's state after a reload, a second window, the
live board and the attempt's stored timings all come from them, never from a browser tab."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .attempts import CallAttempt
from .lists import CallListEntry


class CallEvent(models.Model):
    class Kind(models.TextChoices):
        DIALING = "dialing", _("Dialing")
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        HELD = "held", _("On hold")
        RESUMED = "resumed", _("Resumed")
        HUNG_UP = "hung_up", _("Hung up")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        CONSOLE = "console", _("Console buttons")
        SOFTPHONE = "softphone", _("Softphone")
        API = "api", _("API")

    entry = models.ForeignKey(CallListEntry, on_delete=models.CASCADE, related_name="call_events", db_index=False)
    # The hold the event belongs to (the entry's held_at when it was recorded): one entry is
    # dialed again in later holds, each its own call.
    held_at = models.DateTimeField()
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Set when the outcome is logged: the events the attempt's timings were computed from.
    # No database constraint: attempts are partitioned (see CallAttempt); set by the outcome
    # service from the attempt it has just stored.
    attempt = models.ForeignKey(
        CallAttempt,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="call_events",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    sip_status = models.PositiveSmallIntegerField(_("SIP status"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        indexes = [
            models.Index(fields=["entry", "held_at", "at"], name="call_event_hold"),
            models.Index(fields=["attempt"], name="call_event_attempt", condition=models.Q(attempt__isnull=False)),
        ]

    def __str__(self):
        return f"{self.entry_id} {self.kind} {self.at:%H:%M:%S}"
