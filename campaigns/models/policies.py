"""When and how often customers may be called."""

import datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_weekdays():
    return [0, 1, 2, 3, 4, 5]  # Monday..Saturday (Monday = 0)


class CallingPolicy(models.Model):
    """When and how often customers may be called. Reusable across campaigns."""

    class RefusalScope(models.TextChoices):
        CAMPAIGN = "campaign", _("the same campaign")
        PRODUCT = "product", _("every campaign of the same company and product")
        COMPANY = "company", _("every campaign of the same company")

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
    # A campaign without a product (or company) falls back to the campaign scope.
    refusal_scope = models.CharField(
        _("a refusal blocks"), max_length=8, choices=RefusalScope.choices, default=RefusalScope.PRODUCT
    )
    prefer_best_hours = models.BooleanField(_("prefer the hours when customers answer"), default=False)
    # Days off on top of the public holiday calendar: [{"from": "12-29", "to": "01-03", "label": "年末年始"}]
    # ("MM-DD" repeats every year, a range may run over the new year) or one-off
    # {"from": "2026-08-13", "to": "2026-08-16", "label": "お盆"}. Read by scheduling.is_day_allowed
    # and, in SQL, by scheduling.blackout_day_sql.
    blackout_dates = models.JSONField(_("blackout dates"), default=list, blank=True)
    disclosure_required = models.BooleanField(_("mandatory disclosure at the start of every call"), default=False)
    no_workplace_calls_rule = models.BooleanField(
        _("never call the workplace number of a customer who asked not to be called there"), default=False
    )
    # The preset (campaigns.presets) this policy was created from, and its version then.
    preset_key = models.CharField(_("created from preset"), max_length=40, blank=True)
    preset_version = models.PositiveIntegerField(_("preset version"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("calling policy")
        verbose_name_plural = _("calling policies")

    def __str__(self):
        return self.name


# The fields of a policy that decide whether a call was allowed: a CallingPolicyVersion keeps them.
VERSIONED_FIELDS = (
    "call_window_start",
    "call_window_end",
    "weekdays",
    "skip_holidays",
    "holiday_country",
    "max_attempts",
    "max_attempts_per_day",
    "min_gap_minutes",
    "retry_delays",
    "cap_attempts",
    "cap_days",
    "cooloff_days_after_contact",
    "no_resolicit_after_refusal",
    "refusal_scope",
    "blackout_dates",
    "disclosure_required",
    "no_workplace_calls_rule",
)


class CallingPolicyVersion(models.Model):
    """A policy's rules as they were from `created_at` until the next version: immutable (a
    trigger refuses updates). Written by a trigger whenever a policy is created or one of
    VERSIONED_FIELDS changes, whatever path saves it (migration 0012_attempt_facts); each call
    attempt records the version in force when it was logged, and the compliance report judges the
    call by it. Read it like a CallingPolicy (scheduling.is_day_allowed takes either)."""

    # Indexed by the unique (policy, number).
    policy = models.ForeignKey(CallingPolicy, on_delete=models.CASCADE, related_name="versions", db_index=False)
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("in force from"))
    call_window_start = models.TimeField(_("calling hours from"))
    call_window_end = models.TimeField(_("calling hours until"))
    weekdays = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("weekdays"))
    skip_holidays = models.BooleanField(_("no calls on public holidays"))
    holiday_country = models.CharField(_("holiday calendar"), max_length=2)
    max_attempts = models.PositiveIntegerField(_("max attempts per entry"))
    max_attempts_per_day = models.PositiveIntegerField(_("max attempts per day"))
    min_gap_minutes = models.PositiveIntegerField(_("minimum gap between attempts (minutes)"))
    retry_delays = models.JSONField(_("retry delay per outcome"), default=dict)
    cap_attempts = models.PositiveIntegerField(_("cross-campaign cap: attempts"), null=True)
    cap_days = models.PositiveIntegerField(_("cross-campaign cap: days"), null=True)
    cooloff_days_after_contact = models.PositiveIntegerField(_("cool-off after a conversation (days)"), null=True)
    no_resolicit_after_refusal = models.BooleanField(_("never call again after a refusal"))
    refusal_scope = models.CharField(_("a refusal blocks"), max_length=8, choices=CallingPolicy.RefusalScope.choices)
    blackout_dates = models.JSONField(_("blackout dates"), default=list)
    disclosure_required = models.BooleanField(_("mandatory disclosure at the start of every call"))
    no_workplace_calls_rule = models.BooleanField(
        _("never call the workplace number of a customer who asked not to be called there")
    )

    class Meta:
        ordering = ["policy", "number"]
        verbose_name = _("calling policy version")
        verbose_name_plural = _("calling policy versions")
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number")]

    def __str__(self):
        return f"{self.policy_id} v{self.number}"
