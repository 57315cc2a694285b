"""The rollup tasks through a real Celery worker process and the real Redis broker."""

import datetime
import time

import pytest

from campaigns.models import KpiHourly
from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.tables import GROUPINGS, kpi_tables
from campaigns.tasks.kpis import reconcile_kpi_rollups_task, refresh_kpi_rollups_task
from campaigns.tests.factories_kpis import DAY, at, hand_dataset, make_attempt

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
NOW = at(DAY, 23)


def rolled_up_dials() -> int:
    return sum(KpiHourly.objects.values_list("dials", flat=True))


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def assert_rollup_equals_raw():
    kpi_filter = KpiFilter(date_from=DAY - datetime.timedelta(days=1), date_to=DAY)
    rollup = kpi_tables(kpi_filter, list(GROUPINGS), source="rollup", now=NOW)
    raw = kpi_tables(kpi_filter, list(GROUPINGS), source="raw", now=NOW)
    for grouping in GROUPINGS:
        assert [(r.key, r.figures) for r in rollup[grouping]] == [(r.key, r.figures) for r in raw[grouping]], grouping


def test_rollups_refresh_and_reconcile_in_the_worker(celery_worker_process, reference_data):
    data = hand_dataset()
    refresh_kpi_rollups_task.delay()
    assert wait_for(lambda: rolled_up_dials() == 8)
    assert_rollup_equals_raw()

    make_attempt(campaign=data.x, operator=data.b, started_at=at(DAY, 12), disposition="success", talk=30)
    refresh_kpi_rollups_task.delay()
    assert wait_for(lambda: rolled_up_dials() == 9)
    assert_rollup_equals_raw()

    KpiHourly.objects.all().delete()  # wrecked: only the nightly rebuild brings it back
    result = reconcile_kpi_rollups_task.delay().get(timeout=60)
    assert result["corrected"] >= 1
    assert rolled_up_dials() == 9
    assert_rollup_equals_raw()
