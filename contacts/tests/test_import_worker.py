"""An import through the real Celery worker and Redis: 202 → the worker runs it → done."""

import time

import pytest
from django.core.files.storage import default_storage
from django.utils import translation

from contacts.models import Customer, ImportJob
from contacts.tests.factories_imports import HEADER, ROWS, csv_file


@pytest.mark.worker
def test_import_runs_in_the_real_worker(transactional_db, celery_worker_process, api_as, supervisor):
    # The worker is another process with its own settings, so the upload goes to the real
    # MEDIA_ROOT here; the file is deleted at the end.
    api = api_as(supervisor)
    rows = [HEADER, *ROWS, ["C0001", "重複", "", "", "", "", "", "", "", "", ""]]
    with translation.override("en"):
        response = api.post("/api/v1/imports/", {"file": csv_file(rows)}, format="multipart")
    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            detail = api.get(f"/api/v1/imports/{job.pk}/").json()
            if detail["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert detail["status"] == "done", detail
        assert (detail["created"], detail["failed"]) == (3, 1)
        assert detail["errors"][0]["line"] == 5
        assert Customer.objects.filter(external_id__in=["C0001", "C0002", "C0003"]).count() == 3
        # The worker ran it, not this process: the job went through the broker.
        assert ImportJob.objects.get(pk=job.pk).started_at is not None
    finally:
        default_storage.delete(job.file.name)
