"""Demo KPIs: once the demo call history is in (campaigns.demo.history), build the rollups from it
so the dashboard, the wallboard and the client page show figures at once, without waiting for the
Celery beat. Idempotent: the reconciliation makes the rollups equal to the raw tables, so a second
run changes nothing."""

from django.utils import timezone

from ..services.kpis import COMMIT_GRACE, reconcile_kpi_rollups


def seed(*, users: dict, stdout) -> None:
    # The demo rows are committed by now, so no insert is in flight: read up to this very moment.
    result = reconcile_kpi_rollups(now=timezone.now() + COMMIT_GRACE)
    stdout.write(
        f"KPI rollups: {result.hourly_rows} hourly rows, {result.operator_hours} operator-hours "
        f"({result.corrected} changed)"
    )
