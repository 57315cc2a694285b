"""KPI rollup tables (docs/architecture.md#kpis-dashboard-and-wallboard; definitions in docs/api.md#kpis).

They are derived data: `campaigns.services.kpis` keeps them current from CallAttempt (watermark on
the attempt id, INSERT … ON CONFLICT DO UPDATE) and AgentStateLog (the operator-hours touched since
the last run), and rebuilds them from scratch every night. Days and hours are the call center's
local time (settings.TIME_ZONE). Nothing here is ever edited by hand."""

from django.conf import settings
from django.db import models


class _KpiSums(models.Model):
    """The sums every attempt rollup carries."""

    dials = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    # Handled calls: attempts with talk time (the person was on the line).
    handled = models.PositiveIntegerField(default=0)
    talk_seconds = models.BigIntegerField(default=0)
    hold_seconds = models.BigIntegerField(default=0)
    acw_seconds = models.BigIntegerField(default=0)
    # talk + hold + after-call work of the handled calls (numerator of AHT).
    handle_seconds = models.BigIntegerField(default=0)
    # Dials answered (by a person or a machine: answered_at set), dials timed by their call events
    # (ring time recorded) and that ring time. All three are written with the attempt and never
    # change after (attempts are append-only), so the incremental refresh by id counts them. A
    # default in the database too: a worker still on the code before them can add rows meanwhile.
    answered = models.PositiveIntegerField(default=0, db_default=0)
    rung = models.PositiveIntegerField(default=0, db_default=0)
    ring_seconds = models.BigIntegerField(default=0, db_default=0)
    # This row's share of the operator-hour's logged-in and productive (ready, on call, after-call
    # work) time: the hour's time × this row's dials ÷ the operator's dials in that hour.
    logged_in_seconds = models.BigIntegerField(default=0)
    productive_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class KpiHourly(_KpiSums):
    """Attempts summed per local day × hour × campaign × call list × operator.

    Call list and operator may be empty (an attempt logged through the API without a list or an
    operator); the unique key treats empty values as equal so ON CONFLICT finds the row."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    call_list = models.ForeignKey("campaigns.CallList", null=True, on_delete=models.CASCADE, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "hour", "campaign", "call_list", "operator"],
                name="kpihourly_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "day"], name="kpihourly_campaign_day"),
            models.Index(fields=["operator", "day"], name="kpihourly_operator_day"),
            models.Index(fields=["call_list", "day"], name="kpihourly_list_day"),
        ]


class KpiDaily(_KpiSums):
    """KpiHourly summed over the hours of a day: what tables by day, campaign, list, segment,
    operator and weekday read (a twelfth of the rows)."""

    day = models.DateField()
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    call_list = models.ForeignKey("campaigns.CallList", null=True, on_delete=models.CASCADE, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "campaign", "call_list", "operator"], name="kpidaily_key", nulls_distinct=False
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "day"], name="kpidaily_campaign_day"),
            models.Index(fields=["operator", "day"], name="kpidaily_operator_day"),
        ]


class KpiHourProfile(_KpiSums):
    """KpiHourly summed over the operators: what tables by hour of day and the weekday × hour heat
    maps read when no operator is chosen."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    call_list = models.ForeignKey("campaigns.CallList", null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "hour", "campaign", "call_list"], name="kpihourprofile_key", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["campaign", "day"], name="kpihourprofile_campaign_day")]


class KpiOperatorHour(models.Model):
    """One operator's time per local day × hour, cut from AgentStateLog intervals (whole seconds),
    and the operator's dials in that hour across all campaigns (to share the time out between the
    campaigns dialed in that hour)."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    logged_in_seconds = models.BigIntegerField(default=0)  # every state but offline
    ready_seconds = models.BigIntegerField(default=0)  # waiting for a call
    on_call_seconds = models.BigIntegerField(default=0)  # talk + hold
    acw_seconds = models.BigIntegerField(default=0)
    break_seconds = models.BigIntegerField(default=0)
    dials = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "hour", "operator"], name="kpioperatorhour_key")]
        indexes = [
            models.Index(fields=["operator", "day"], name="kpioperatorhour_operator_day"),
            # the pages read a period of every operator: an index-only scan with this
            models.Index(
                fields=["day"],
                name="kpioperatorhour_day_cover",
                include=["hour", "operator", "logged_in_seconds", "ready_seconds", "on_call_seconds", "acw_seconds"],
            ),
        ]


class KpiWatermark(models.Model):
    """How far the rollups have read: one row per source ("attempts", "agent_states")."""

    source = models.CharField(max_length=20, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_time = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    reconciled_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"{self.source} ≤ {self.last_id}"
