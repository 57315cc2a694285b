"""What a collections campaign collects: one debt per customer, and the promise to pay made on it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign


class Debt(models.Model):
    """The amount a customer owes, as a collections campaign calls about it (imports, API). A
    promise to pay (支払約束) logged on a call rests the customer's entries in the campaign until the
    day after the promised date, unless a supervisor or an import marks it paid or broken."""

    class Promise(models.TextChoices):
        NONE = "", _("No promise")
        OPEN = "open", _("Promised")
        PAID = "paid", _("Paid")
        BROKEN = "broken", _("Broken")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="debts", db_index=False)
    customer = models.ForeignKey("contacts.Customer", on_delete=models.CASCADE, related_name="debts")
    amount_due = models.DecimalField(_("amount due"), max_digits=14, decimal_places=0)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    account_reference = models.CharField(_("account reference"), max_length=64, blank=True)
    promise_status = models.CharField(
        _("promise to pay"), max_length=8, choices=Promise.choices, blank=True, default=Promise.NONE
    )
    promised_on = models.DateField(_("promised payment date"), null=True, blank=True)
    promised_amount = models.DecimalField(_("promised amount"), max_digits=14, decimal_places=0, null=True, blank=True)
    # No database constraint: attempts are partitioned (see CallAttempt); set from the attempt
    # the promise was made on.
    promise_attempt = models.ForeignKey(
        "campaigns.CallAttempt",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    promise_resolved_at = models.DateTimeField(_("promise resolved"), null=True, blank=True)
    promise_resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "customer"]
        verbose_name = _("debt")
        verbose_name_plural = _("debts")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="debt_once_per_campaign"),
            models.CheckConstraint(
                condition=~Q(promise_status="open") | Q(promised_on__isnull=False), name="debt_open_promise_has_date"
            ),
        ]

    def __str__(self):
        return f"{self.account_reference or self.customer_id}: {self.amount_due}"
