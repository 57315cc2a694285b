"""The uploaded file of an import is personal data kept for a while after the run
(UPLOAD_RETENTION_DAYS): the daily task deletes the files of imports finished longer ago, and the
job keeps its summary and its error report."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from callcenter.models import AuditEvent
from contacts.models import ImportJob
from contacts.services import imports
from contacts.tasks.imports import delete_expired_uploads
from contacts.tests.factories_imports import csv_file, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.UPLOAD_RETENTION_DAYS = 30
    with translation.override("en"):
        yield


def finished_days_ago(job: ImportJob, days: int) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=days))
    job.refresh_from_db()
    return job


def test_files_of_imports_finished_past_the_retention_are_deleted_and_the_jobs_keep_their_summary(supervisor):
    bad_row = [["顧客ID", "氏名", "電話番号"], ["OLD-1", "古い 太郎", "090-1111-0001"], ["OLD-2", "", "not a number"]]
    old = finished_days_ago(run_import(supervisor, csv_file(bad_row, name="old.csv")), 31)
    recent = finished_days_ago(run_import(supervisor, csv_file(name="recent.csv")), 29)
    failed = run_import(supervisor, csv_file(name="failed.csv"))
    ImportJob.objects.filter(pk=failed.pk).update(status=ImportJob.Status.FAILED)
    failed = finished_days_ago(failed, 40)
    queued = run_import(supervisor, csv_file(name="queued.csv"))
    ImportJob.objects.filter(pk=queued.pk).update(status=ImportJob.Status.QUEUED, finished_at=None)
    pending = imports.receive_upload(uploaded_file=csv_file(name="mapping.csv"), kind="customers")
    old_name, errors = old.file.name, list(old.row_errors.values_list("line", "value"))
    assert old.failed_count == 1 and errors and default_storage.exists(old_name)

    assert delete_expired_uploads() == {"deleted": 2}

    assert not default_storage.exists(old_name) and not default_storage.exists(failed.file.name)
    for kept in (recent, queued):
        assert default_storage.exists(kept.file.name)
    assert default_storage.exists(pending.path)  # still in the mapping step: the stale-upload task's
    old.refresh_from_db()
    assert (old.file.name, old.original_name, old.created_count, old.failed_count) == ("", "old.csv", 1, 1)
    assert list(old.row_errors.values_list("line", "value")) == errors
    event = AuditEvent.objects.get(action="import.files_deleted")
    assert sorted(event.data["jobs"]) == sorted([old.pk, failed.pk]) and event.data["retention_days"] == 30
    # nothing more to do the next day
    assert imports.delete_expired_uploads() == 0
    assert AuditEvent.objects.filter(action="import.files_deleted").count() == 1


def test_the_retention_is_a_setting(supervisor, settings):
    job = finished_days_ago(run_import(supervisor, csv_file()), 3)
    settings.UPLOAD_RETENTION_DAYS = 7
    assert imports.delete_expired_uploads() == 0
    settings.UPLOAD_RETENTION_DAYS = 2
    assert imports.delete_expired_uploads() == 1
    assert not default_storage.exists(job.file.name)


def test_the_task_runs_daily_on_the_imports_queue(settings):
    from callcenter.celery import route_by_kind

    entry = settings.CELERY_BEAT_SCHEDULE["imports-delete-expired-uploads"]
    assert entry["task"] == delete_expired_uploads.name
    assert route_by_kind(delete_expired_uploads.name, (), {}, {})["queue"].endswith(".imports")
