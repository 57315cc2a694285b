from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Access(models.Model):
    """Holds the product's permissions; roles (groups) are granted these.

    Unmanaged: it has no table, only the permission rows that views and the API check."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("manage_lists", _("Manage customers, DNC, segments, campaigns, lists and scripts")),
            ("use_console", _("Work the operator call console")),
            ("view_customers", _("View customers")),
            ("view_dashboard", _("View KPI dashboards of all campaigns")),
            ("view_client_kpis", _("View KPIs of own campaigns (client viewer)")),
            ("export_data", _("Export customers and reports")),
            ("view_audit", _("View the audit trail")),
        ]


class AuditEvent(models.Model):
    """Who did what, when: DNC changes, exports, imports, campaign changes, sign-ins, admin changes.
    Append-only: the database refuses UPDATE and DELETE (a trigger; see callcenter.history)."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The audit page's keyset pages: newest first, (created_at, id) after a cursor.
            models.Index(fields=["-created_at", "-id"], name="audit_keyset"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
