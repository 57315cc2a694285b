"""Uploads in an S3-compatible object store (STORAGE_URL), against a real one: moto's server,
started as a process of its own on a free port. A file uploaded through the web process is read by
a Celery worker that shares no disk with it, and nothing lands under MEDIA_ROOT."""

import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage

from callcenter.celery import app, queue_name
from callcenter.env import storage_from_url
from callcenter.testing.servers import S3_TEST_CREDENTIALS, s3_server
from conftest import running_celery_worker
from contacts.models import Customer, ImportJob
from contacts.services import imports
from contacts.tests.factories_imports import csv_file, run_import

BUCKET = "callcenter-uploads"


@pytest.fixture(scope="module")
def object_store():
    with s3_server() as endpoint:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_boto_credentials())
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client


def _boto_credentials() -> dict:
    return {
        "aws_access_key_id": S3_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture
def storage_url(object_store, settings, monkeypatch, tmp_path):
    """STORAGE_URL of a fresh prefix in the store, in force for this test; MEDIA_ROOT an empty folder."""
    endpoint, _client = object_store
    url = f"s3://{BUCKET}/test-{uuid.uuid4().hex[:8]}?endpoint_url={endpoint}&region=us-east-1"
    for name, value in S3_TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": storage_from_url(url)}
    return url


def stored_names(client, url: str) -> list[str]:
    prefix = url.split(f"{BUCKET}/", 1)[1].split("?", 1)[0]
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
    return sorted(item["Key"].removeprefix(prefix + "/") for item in listing.get("Contents", []))


def test_storage_url_names_bucket_prefix_endpoint_and_region():
    assert storage_from_url("")["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    s3 = storage_from_url("s3://uploads/center-a?endpoint_url=https%3A%2F%2Fs3.example.jp&region=ap-northeast-1")
    assert s3 == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "uploads",
            "location": "center-a",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "endpoint_url": "https://s3.example.jp",
            "region_name": "ap-northeast-1",
        },
    }
    for bad in ("https://uploads/x", "s3://key:secret@uploads/x", "s3://uploads/x?acl=public"):
        with pytest.raises(ImproperlyConfigured):
            storage_from_url(bad)


@pytest.mark.django_db
def test_an_import_is_stored_in_and_read_from_the_object_store(storage_url, object_store, supervisor, settings):
    _endpoint, client = object_store
    job = run_import(supervisor, csv_file())
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 3)
    assert stored_names(client, storage_url) == [job.file.name]
    assert job.file.name.startswith(f"{imports.UPLOAD_DIR}/")
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing on the local disk


@pytest.mark.django_db
def test_abandoned_uploads_are_deleted_from_the_object_store_and_imported_ones_kept(
    storage_url, object_store, supervisor
):
    _endpoint, client = object_store
    job = run_import(supervisor, csv_file())
    abandoned = imports.receive_upload(uploaded_file=csv_file(name="later.csv"), kind="customers")
    assert imports.discard_stale_uploads() == 0  # both younger than a day
    assert imports.discard_stale_uploads(older_than=timedelta(0)) == 1
    assert not default_storage.exists(abandoned.path)
    assert stored_names(client, storage_url) == [job.file.name]


@pytest.mark.worker
@pytest.mark.slow
def test_a_worker_sharing_no_disk_with_the_web_process_reads_the_upload(
    storage_url, object_store, supervisor, transactional_db, tmp_path
):
    base = f"test-{uuid.uuid4().hex[:8]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = base
    worker_environment = {"STORAGE_URL": storage_url, "MEDIA_ROOT": str(tmp_path / "worker-disk")}
    worker_environment |= S3_TEST_CREDENTIALS
    try:
        with running_celery_worker(
            base_queue=base, queues=[queue_name("imports", base)], name=f"{base}-s3", environment=worker_environment
        ):
            upload = imports.receive_upload(uploaded_file=csv_file(), kind="customers")
            job = imports.start_import(upload=upload, mapping=None, by=supervisor)  # queued for the worker
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                job.refresh_from_db()
                if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_default_queue = previous_queue
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 3), job.message
    assert Customer.objects.count() == 3
    assert not (tmp_path / "worker-disk").exists()


@pytest.mark.django_db
def test_files_of_imports_past_the_retention_are_deleted_from_the_object_store(
    storage_url, object_store, supervisor, settings
):
    from django.utils import timezone

    _endpoint, client = object_store
    settings.UPLOAD_RETENTION_DAYS = 30
    old, recent = run_import(supervisor, csv_file(name="old.csv")), run_import(supervisor, csv_file(name="recent.csv"))
    ImportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))
    assert imports.delete_expired_uploads() == 1
    assert stored_names(client, storage_url) == [recent.file.name]
    old.refresh_from_db()
    assert (old.file.name, old.created_count) == ("", 3)
