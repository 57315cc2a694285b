"""An erasure removes the customer's rows from the files of past imports still kept (within
UPLOAD_RETENTION_DAYS): through the storage API, every other line byte for byte as uploaded (its
encoding and line ends), after the erasure committed, audited."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from callcenter.celery import app
from callcenter.models import AuditEvent
from contacts.models import Customer, ImportJob
from contacts.services.erasure import erase_customer
from contacts.services.upload_erasure import erase_from_kept_uploads
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import run_import, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = "顧客ID,氏名,電話番号\r\n"
FIRST = 'E-1,"山田 太郎",090-1111-0001\r\n'
ERASED = "E-2,消去 希望子,090-1234-0001\r\n"
QUOTED = 'E-3,"佐藤\r\n花子","090-3333-0003"\r\n'  # a quoted cell over two lines
LAST = "E-4,鈴木 一郎,090-4444-0004"  # no line end at the end of the file


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


def stored(job: ImportJob) -> bytes:
    job.refresh_from_db()
    with default_storage.open(job.file.name, "rb") as file:
        return file.read()


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-16"])
def test_the_erased_customers_row_leaves_a_kept_upload_and_the_other_lines_stay_byte_identical(
    encoding, supervisor, monkeypatch, django_capture_on_commit_callbacks
):
    original = (HEADER + FIRST + ERASED + QUOTED + LAST).encode(encoding)
    job = run_import(supervisor, SimpleUploadedFile("customers.csv", original), encoding=encoding)
    assert job.status == ImportJob.Status.DONE and stored(job) == original
    customer = Customer.objects.get(external_id="E-2")
    other_job = run_import(supervisor, SimpleUploadedFile("others.csv", (HEADER + FIRST).encode("utf-8")))

    # the task is queued once the erasure committed, and runs on a worker (here: in this process)
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        erase_customer(customer=customer, by=supervisor, reason="削除依頼")
    assert callbacks

    assert stored(job) == (HEADER + FIRST + QUOTED + LAST).encode(encoding)
    if encoding == "cp932":
        assert "消去".encode() not in stored(job) and "消去".encode("cp932") not in stored(job)
    assert stored(other_job) == (HEADER + FIRST).encode("utf-8")  # nothing of the person there
    event = AuditEvent.objects.get(action="uploads.erased", object_id=str(customer.pk))
    assert (event.data["jobs_rewritten"], event.data["jobs_deleted"], event.data["rows"]) == ([job.pk], [], 1)
    assert "消去" not in event.summary + str(event.data)
    # again: nothing left to remove
    assert erase_from_kept_uploads(customer_id=customer.pk) == {"rewritten": [], "deleted": [], "rows": 0}


def test_a_do_not_call_list_loses_the_erased_number_but_keeps_a_households_number(supervisor):
    customer = CustomerFactory(phones=["090-1234-0001", "03-1234-0002"])
    CustomerFactory(phones=["03-1234-0002"])  # the household's line, still someone else's
    original = "電話番号\n090-1234-0001\n03-1234-0002\n090-9999-0009\n".encode()
    job = run_import(supervisor, SimpleUploadedFile("dnc.csv", original), kind="dnc")
    assert job.status == ImportJob.Status.DONE
    erase_customer(customer=customer, by=supervisor, reason="削除依頼")

    assert erase_from_kept_uploads(customer_id=customer.pk)["rows"] == 1
    assert stored(job) == "電話番号\n03-1234-0002\n090-9999-0009\n".encode()


def test_a_workbook_holding_the_erased_customer_is_deleted_and_the_job_keeps_its_summary(supervisor):
    workbook = xlsx_bytes(
        [["顧客ID", "氏名", "電話番号"], ["X-1", "消去 希望子", "090-1234-0001"], ["X-2", "他人", "090-2222-0002"]]
    )
    job = run_import(supervisor, SimpleUploadedFile("customers.xlsx", workbook))
    name = job.file.name
    customer = Customer.objects.get(external_id="X-1")
    erase_customer(customer=customer, by=supervisor, reason="削除依頼")

    assert erase_from_kept_uploads(customer_id=customer.pk) == {"rewritten": [], "deleted": [job.pk], "rows": 1}
    assert not default_storage.exists(name)
    job.refresh_from_db()
    assert (job.file.name, job.original_name, job.created_count) == ("", "customers.xlsx", 2)


def test_a_customer_not_erased_is_left_alone(supervisor):
    original = (HEADER + ERASED).encode()
    job = run_import(supervisor, SimpleUploadedFile("customers.csv", original))
    customer = Customer.objects.get(external_id="E-2")
    assert erase_from_kept_uploads(customer_id=customer.pk)["rows"] == 0
    assert stored(job) == original
