"""Call lists and their entries (the leads dispatch hands out)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .campaigns import Campaign
from .dispositions import Disposition


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
    # (call_list, status) indexes; holds and callbacks by dispatch's partial indexes (Meta).
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
            # Next-call dispatch (campaigns.services.dispatch): one partial index per candidate
            # tier, in the order dispatch reads it, holding only the rows that tier can return.
            # Fresh entries (never tried in this round), in list order.
            models.Index(
                fields=["call_list", "rank", "id"],
                condition=Q(status="pending") & Q(attempts=0),
                name="entry_dispatch_fresh",
            ),
            # Retries, the longest-due first.
            models.Index(
                fields=["call_list", "next_attempt_at", "id"],
                condition=Q(status="pending") & Q(attempts__gt=0),
                name="entry_dispatch_retry",
            ),
            # Callbacks by due time, and per owner (personal first, then shared: no owner).
            models.Index(fields=["callback_at", "id"], condition=Q(status="callback"), name="entry_dispatch_callback"),
            models.Index(
                fields=["assigned_operator", "callback_at", "id"],
                condition=Q(status="callback"),
                name="entry_dispatch_callback_owner",
            ),
            # Holds: the operator's current entry, and expiry for the release job.
            models.Index(fields=["held_by", "held_until"], condition=Q(status="held"), name="entry_dispatch_held"),
            # Held entries per customer (the "customer held elsewhere" check).
            models.Index(fields=["customer"], condition=Q(status="held"), name="entry_held_customer"),
        ]

    def __str__(self):
        return f"{self.call_list_id}#{self.rank} {self.phone}"
