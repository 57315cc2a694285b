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
            ("work_appointments", _("See and update one's own appointments (sales)")),
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


class ApiToken(models.Model):
    """A secret that signs API requests in as its user, until it expires or is revoked.

    Only the SHA-256 digest of the secret is stored: someone who reads the table (a backup, a
    replica, a support query) cannot sign in with it. The secret is shown once, when issued."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("personal")
        INTEGRATION = "integration", _("integration")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSONAL)
    name = models.CharField(_("name"), max_length=100, blank=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.user} {self.prefix}… ({self.get_kind_display()})"


class IntegrationAccount(models.Model):
    """Marks a user as a system that calls the API (a CRM sync, a dialer), not a person: it has no
    password to sign in with and is the only kind of user that holds long-lived tokens."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="integration_account",
    )
    note = models.CharField(_("what it is for"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration account")
        verbose_name_plural = _("integration accounts")

    def __str__(self):
        return str(self.user)


class SessionCutoff(models.Model):
    """ "Sign out everywhere": the user's browser sessions that began before `not_before` are over
    (the session middleware checks it on each request)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="session_cutoff"
    )
    not_before = models.DateTimeField()


class PasswordChangeDue(models.Model):
    """The user signs in with a password someone else set (a reset, a new account, an import) and
    must choose their own before doing anything else (callcenter.signin.middleware)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="password_change_due"
    )
    since = models.DateTimeField(auto_now_add=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("password change due")
        verbose_name_plural = _("password changes due")
