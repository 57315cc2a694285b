"""An operator's own figures in the console: today and this week (from Monday), read from the KPI
rollups as the dashboard reads them (the operator's KPI scope: their own figures only)."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.selectors.kpis.figures import Figures, KpiFilter
from campaigns.selectors.kpis.tables import kpi_totals


@dataclass
class OwnPeriod:
    label: str
    figures: Figures

    @property
    def talk_display(self) -> str:
        minutes = self.figures.talk_seconds // 60
        return f"{minutes // 60}:{minutes % 60:02d}"


def own_figures(operator, *, today: dt.date | None = None) -> list[OwnPeriod]:
    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    return [
        OwnPeriod(_("Today"), kpi_totals(KpiFilter(date_from=today, date_to=today, operator_id=operator.pk))),
        OwnPeriod(_("This week"), kpi_totals(KpiFilter(date_from=monday, date_to=today, operator_id=operator.pk))),
    ]
