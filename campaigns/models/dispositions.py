"""The outcomes an attempt can end with, and the set of them each campaign's console offers."""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign

# The outcome that books an appointment for sales: choosing it opens the console's booking panel.
APPOINTMENT_CODE = "appointment"

# The keys an outcome can be given in a campaign's console: 1-9, 0, then letters. The console
# keeps some letters for itself (N next call, C connected, H hold, E hang up, M notes, R reaction,
# B callback time, D the do-not-call outcome, A the appointment outcome): an outcome can never take
# one of those, except the outcome a letter picks anyway (A for the appointment).
OUTCOME_DIGIT_KEYS = "1234567890"
CONSOLE_KEYS = "ABCDEHMNR"
KEY_OWNERS = {"A": APPOINTMENT_CODE}
OUTCOME_KEYS = OUTCOME_DIGIT_KEYS + "".join(
    letter for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if letter not in CONSOLE_KEYS or letter in KEY_OWNERS
)
# What the console's outcome grid holds without scrolling (three rows of four).
MAX_CAMPAIGN_OUTCOMES = 12


def key_rank(key: str) -> int:
    """Where an outcome with `key` sits in the console grid (the order the keys are typed in)."""
    return OUTCOME_KEYS.index(key) if len(key) == 1 and key in OUTCOME_KEYS else len(OUTCOME_KEYS)


class Disposition(models.Model):
    """The outcome of an attempt: what it means (contact, success, closes the entry, ...) and its
    labels, shared by every campaign so the figures of all campaigns add up per outcome. The
    default set (campaigns.dispositions) is seeded by a data migration; supervisors add more.
    Labels are unique (case-insensitive) in each language: an operator never sees two outcomes
    with the same name."""

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
    default_key = models.CharField(
        _("key in the default set"),
        max_length=1,
        blank=True,
        help_text=_(
            "New campaigns start with the outcomes that have a key here, on that key. Empty: not in the default set."
        ),
    )

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")
        constraints = [
            models.UniqueConstraint(Lower("label"), name="disposition_label_unique"),
            models.UniqueConstraint(Lower("label_ja"), name="disposition_label_ja_unique"),
            models.UniqueConstraint(
                fields=["default_key"], condition=~models.Q(default_key=""), name="disposition_default_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(default_key="") | models.Q(default_key__regex=r"^[0-9A-Z]$"),
                name="disposition_default_key_shape",
            ),
        ]

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


class CampaignOutcome(models.Model):
    """One outcome of a campaign's own set, on the key its operators press for it. A campaign
    starts with a copy of the default set (campaigns.services.outcome_sets); a key stays with its
    outcome until the supervisor changes it, whatever is added or removed around it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="outcomes")
    disposition = models.ForeignKey(
        Disposition, verbose_name=_("outcome"), on_delete=models.PROTECT, related_name="campaign_outcomes"
    )
    key = models.CharField(_("key"), max_length=1)

    class Meta:
        verbose_name = _("campaign outcome")
        verbose_name_plural = _("campaign outcomes")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "disposition"], name="campaign_outcome_once"),
            models.UniqueConstraint(fields=["campaign", "key"], name="campaign_outcome_key_once"),
            models.CheckConstraint(condition=models.Q(key__regex=r"^[0-9A-Z]$"), name="campaign_outcome_key_shape"),
        ]

    def __str__(self):
        return f"{self.key} {self.disposition}"
