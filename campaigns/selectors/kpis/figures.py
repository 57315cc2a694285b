"""What a KPI query counts over (KpiFilter) and the figures of one row (Figures): the ratios of
the package's definitions, None when the denominator is zero."""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

# The days a KPI period may cover. Periods become timestamps (the day after `to`, the hours of
# each day) and a comparison reaches back one period: near year 1 or 9999 that overflows.
KPI_FIRST_DAY = datetime.date(1900, 1, 1)
KPI_LAST_DAY = datetime.date(2999, 12, 31)


def kpi_day_validators() -> list:
    """Validators of a KPI date (Django's, so forms and DRF serializers both take them)."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    return [MinValueValidator(KPI_FIRST_DAY), MaxValueValidator(KPI_LAST_DAY)]


@dataclass(frozen=True)
class KpiFilter:
    """What to count: a date range (local days, both included) and optional restrictions.
    `campaign_ids` None means every campaign; a tuple limits to those (a client viewer's scope)."""

    date_from: datetime.date
    date_to: datetime.date
    campaign_ids: tuple[int, ...] | None = None
    operator_id: int | None = None
    call_list_id: int | None = None
    segment_id: int | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def campaign_scoped(self) -> bool:
        return self.campaign_ids is not None or self.call_list_id is not None or self.segment_id is not None

    def row_conditions(self, params: dict, *, operator_column: str) -> list[str]:
        """SQL conditions for the campaigns, operator, list and segment of the filter, on rows `a`
        whose call list is joined as `cl` (the appointment figures); fills `params`."""
        conditions = []
        if self.campaign_ids is not None:
            conditions.append("a.campaign_id = ANY(%(campaign_ids)s)")
            params["campaign_ids"] = list(self.campaign_ids)
        if self.operator_id is not None:
            conditions.append(f"{operator_column} = %(operator_id)s")
            params["operator_id"] = self.operator_id
        if self.call_list_id is not None:
            conditions.append("a.call_list_id = %(call_list_id)s")
            params["call_list_id"] = self.call_list_id
        if self.segment_id is not None:
            conditions.append("cl.segment_id = %(segment_id)s")
            params["segment_id"] = self.segment_id
        return conditions

    def previous(self) -> "KpiFilter":
        """The period of the same length just before this one."""
        return replace(
            self,
            date_from=self.date_from - datetime.timedelta(days=self.days),
            date_to=self.date_from - datetime.timedelta(days=1),
        )


def ratio(numerator, denominator):
    if not denominator:
        return None
    return float(numerator) / float(denominator)


@dataclass
class Figures:
    """Sums for one row of a KPI table; the KPIs are computed from them."""

    dials: int = 0
    contacts: int = 0
    successes: int = 0
    handled: int = 0
    talk_seconds: int = 0
    hold_seconds: int = 0
    acw_seconds: int = 0
    handle_seconds: int = 0
    logged_in_seconds: int = 0
    productive_seconds: int = 0
    labour_cost: Decimal = field(default_factory=Decimal)
    telecom_cost: Decimal = field(default_factory=Decimal)
    fixed_cost: Decimal = field(default_factory=Decimal)
    # Appointments handed to sales, by the moment the call set them (selectors/kpis/appointments.py).
    appointments_set: int = 0
    appointments_held: int = 0
    appointments_no_show: int = 0
    appointments_cancelled: int = 0
    # Dialing: dials answered, and the ring time of the dials timed by their call events (summed
    # with the other attempt measures: sql.attempt_buckets_sql, kept in the rollups).
    answered: int = 0
    rung: int = 0
    ring_seconds: int = 0

    @property
    def contact_rate(self):
        return ratio(self.contacts, self.dials)

    @property
    def success_rate(self):
        return ratio(self.successes, self.dials)

    @property
    def success_per_contact(self):
        return ratio(self.successes, self.contacts)

    @property
    def att(self):
        return ratio(self.talk_seconds, self.handled)

    @property
    def acw(self):
        return ratio(self.acw_seconds, self.dials)

    @property
    def aht(self):
        return ratio(self.handle_seconds, self.handled)

    @property
    def utilization(self):
        return ratio(self.productive_seconds, self.logged_in_seconds)

    @property
    def cost(self) -> Decimal:
        return self.labour_cost + self.telecom_cost + self.fixed_cost

    @property
    def cpc(self):
        return ratio(self.cost, self.dials)

    @property
    def cph(self):
        return ratio(self.dials * 3600, self.logged_in_seconds)

    @property
    def appointments_per_hour(self):
        """Appointments set per logged-in hour."""
        return ratio(self.appointments_set * 3600, self.logged_in_seconds)

    @property
    def appointments_settled(self) -> int:
        """Appointments whose outcome is known: held, no-show or cancelled (the rates' denominator;
        appointments still ahead do not dilute them)."""
        return self.appointments_held + self.appointments_no_show + self.appointments_cancelled

    @property
    def held_rate(self):
        return ratio(self.appointments_held, self.appointments_settled)

    @property
    def no_show_rate(self):
        return ratio(self.appointments_no_show, self.appointments_settled)

    @property
    def asr(self):
        """Answer-seizure ratio: dials answered (by anyone or anything) per dial."""
        return ratio(self.answered, self.dials)

    @property
    def avg_ring(self):
        """Average ring time of the dials timed by their call events."""
        return ratio(self.ring_seconds, self.rung)

    @property
    def logged_in_hours(self) -> float:
        return self.logged_in_seconds / 3600

    def as_dict(self) -> dict:
        """The row of docs/api.md#kpis (without key), plus a few extra figures."""
        return {
            "dials": self.dials,
            "contacts": self.contacts,
            "successes": self.successes,
            "contact_rate": self.contact_rate,
            "success_rate": self.success_rate,
            "success_per_contact": self.success_per_contact,
            "talk_seconds": self.talk_seconds,
            "att": self.att,
            "acw": self.acw,
            "aht": self.aht,
            "utilization": self.utilization,
            "logged_in_seconds": self.logged_in_seconds,
            "cost": round(float(self.cost), 2),
            "cpc": None if self.cpc is None else round(self.cpc, 2),
            "cph": self.cph,
            "appointments_set": self.appointments_set,
            "appointments_per_hour": self.appointments_per_hour,
            "appointments_held": self.appointments_held,
            "appointments_no_show": self.appointments_no_show,
            "appointments_cancelled": self.appointments_cancelled,
            "held_rate": self.held_rate,
            "no_show_rate": self.no_show_rate,
            "answered": self.answered,
            "asr": self.asr,
            "avg_ring_seconds": self.avg_ring,
        }


@dataclass
class KpiRow:
    key: object
    figures: Figures
    label: str = ""
