"""The outcomes an attempt can end with."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The outcome that books an appointment for sales: choosing it opens the console's booking panel.
APPOINTMENT_CODE = "appointment"


class Disposition(models.Model):
    """The outcome of an attempt. The default set (campaigns.dispositions) is seeded by a data migration;
    supervisors add more."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("label (English)"), max_length=100)
    label_ja = models.CharField(_("label (Japanese)"), max_length=100)
    is_contact = models.BooleanField(_("reached the person"), default=False)
    is_success = models.BooleanField(_("success"), default=False)
    is_final = models.BooleanField(_("closes the entry"), default=False)
    is_refusal = models.BooleanField(_("refusal (no re-solicitation)"), default=False)
    adds_dnc = models.BooleanField(_("adds a do-not-call entry"), default=False)
    is_callback = models.BooleanField(_("schedules a callback"), default=False)
    # 支払約束: the operator records the promised date and amount; the entry rests until the day
    # after that date (campaigns.services.debts).
    is_promise_to_pay = models.BooleanField(_("promise to pay"), default=False, db_default=False)
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
    def books_appointment(self) -> bool:
        return self.code == APPOINTMENT_CODE

    @property
    def display_label(self):
        return self.label_ja if (get_language() or "").startswith("ja") and self.label_ja else self.label
