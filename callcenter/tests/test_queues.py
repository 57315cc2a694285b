"""Queues per kind of work: the routing of every task, and two real workers each consuming the
queues of one kind, each running only the tasks routed to it."""

import time
import uuid

import pytest
from django.conf import settings

from callcenter.celery import app, kind_of_work, queue_name, route_by_kind
from campaigns.tasks.kpis import reconcile_kpi_rollups_task
from conftest import running_celery_worker
from contacts.tasks.imports import discard_stale_uploads

EXPECTED_KIND = {
    "contacts.tasks.imports.run_import_job": "imports",
    "contacts.tasks.imports.discard_stale_uploads": "imports",
    "contacts.tasks.imports.delete_expired_uploads": "imports",
    "contacts.tasks.imports.erase_from_kept_uploads": "imports",
    "campaigns.tasks.setup.build_call_list_task": "lists",
    "campaigns.tasks.setup.apply_campaign_dates_task": "scheduling",
    "campaigns.tasks.console.schedule_entry_retry": "scheduling",
    "campaigns.tasks.console.release_expired_holds": "scheduling",
    "campaigns.tasks.console.sign_off_absent_operators": "scheduling",
    "campaigns.tasks.console.reschedule_entries_touched_elsewhere": "scheduling",
    "campaigns.tasks.kpis.refresh_kpi_rollups_task": "kpis",
    "campaigns.tasks.kpis.reconcile_kpi_rollups_task": "kpis",
    "campaigns.tasks.mail.send_appointment_invitation": "mail",
    "campaigns.tasks.mail.send_appointment_cancellation": "mail",
    "callcenter.tasks.ping": None,
    "callcenter.tasks.delete_old_api_tokens": None,
    "callcenter.tasks.create_partitions_ahead": None,
}


def test_every_task_of_the_product_has_its_kind_of_work():
    app.loader.import_default_modules()  # every app's tasks module, as a worker does at start
    product_tasks = {name for name in app.tasks if name.split(".")[0] in {"callcenter", "contacts", "campaigns"}}
    # A new task must be placed here on purpose: in a kind's queue, or in the general one.
    assert product_tasks == set(EXPECTED_KIND)
    for name, kind in EXPECTED_KIND.items():
        assert kind_of_work(name) == kind, name
        assert route_by_kind(name, (), {}, {}) == {"queue": queue_name(kind, app.conf.task_default_queue)}


def test_the_queues_a_plain_worker_consumes_are_every_kind_and_the_general_one():
    names = {queue.name for queue in app.conf.task_queues}
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    assert names == {base, *(f"{base}.{kind}" for kind in ("imports", "lists", "scheduling", "kpis", "mail"))}


def test_a_beat_entry_goes_to_the_queue_of_its_kind():
    entry = settings.CELERY_BEAT_SCHEDULE["kpis-refresh-rollups"]
    assert route_by_kind(entry["task"], (), {}, {})["queue"].endswith(".kpis")


def _task_lines(log_path, task_id: str) -> list[str]:
    return [line for line in log_path.read_text().splitlines() if task_id in line]


def _logged_success(log_path, task_id: str, timeout: float = 15) -> bool:
    """The worker stores the result before it logs the success: the caller's get() can return
    while the log line is still on its way."""
    deadline = time.monotonic() + timeout
    while not any("succeeded" in line for line in _task_lines(log_path, task_id)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.worker
@pytest.mark.slow
def test_two_workers_on_different_queues_each_run_only_their_kind(transactional_db):
    base = f"test-{uuid.uuid4().hex[:8]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = base
    try:
        with (
            running_celery_worker(base_queue=base, queues=[queue_name("imports", base)], name=f"{base}-imports") as (
                _imports_worker,
                imports_log,
            ),
            running_celery_worker(base_queue=base, queues=[queue_name("kpis", base)], name=f"{base}-kpis") as (
                _kpis_worker,
                kpis_log,
            ),
        ):
            import_result = discard_stale_uploads.delay()
            kpi_result = reconcile_kpi_rollups_task.delay()
            assert import_result.get(timeout=60) == {"removed": 0}
            assert kpi_result.get(timeout=60) == {"hourly_rows": 0, "operator_hours": 0, "corrected": 0}
            # Each task was received and run by the worker of its queue, and never seen by the other.
            assert _logged_success(imports_log, import_result.id)
            assert _logged_success(kpis_log, kpi_result.id)
            assert _task_lines(kpis_log, import_result.id) == []
            assert _task_lines(imports_log, kpi_result.id) == []
    finally:
        app.conf.task_default_queue = previous_queue
