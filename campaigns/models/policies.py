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
