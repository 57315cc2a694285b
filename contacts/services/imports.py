"""Imports of customers and do-not-call numbers: receive a file, map its columns, run it.

    upload = receive_upload(uploaded_file=f, kind="customers")         # checks the file, stores it
    job = start_import(upload=upload, mapping={...}, by=user)         # queues the Celery task
    run_import(job_id=job.pk)                                          # the task's work

A bad file is refused before anything is queued (ImportFileError); a bad row fails alone and is
reported with its line number, the good rows still load. Nothing of a run is written until its
last step, which is one transaction, so a run that fails loads nothing."""

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from callcenter.audit import record_event

from ..imports import fields
from ..imports.loaders import CustomerLoader, DncLoader
from ..imports.pipeline import run_pipeline
from ..imports.reading import ImportFileError, Inspection, inspect_file, normalise_encoding, read_rows
from ..locks import lock_import_start, lock_kept_uploads, try_lock_import_run, unlock_import_run
from ..models import DoNotCall, ImportJob
from ..phones import normalize_phone_kind

logger = logging.getLogger(__name__)

UPLOAD_DIR = "imports/uploads"
KINDS = (ImportJob.Kind.CUSTOMERS, ImportJob.Kind.DNC)

__all__ = [
    "ImportFileError",
    "Upload",
    "receive_upload",
    "inspect_upload",
    "upload_state",
    "upload_from_state",
    "start_import",
    "run_import",
    "discard_upload",
    "discard_stale_uploads",
    "delete_expired_uploads",
]


@dataclass
class Upload:
    """A stored file waiting for its column mapping."""

    path: str  # name in default_storage, under UPLOAD_DIR
    original_name: str
    kind: str
    encoding: str  # chosen by the user; "" = detected
    inspection: Inspection


def receive_upload(*, uploaded_file, kind: str, encoding: str = "") -> Upload:
    """Check an uploaded file and store it under MEDIA_ROOT. Raises ImportFileError for a file
    that cannot be imported (too large, empty, binary, no header, wrong delimiter, …)."""
    if kind not in KINDS:
        raise ImportFileError(_("Unknown import kind."))
    encoding = _encoding(encoding)
    original_name = PurePath(uploaded_file.name or "upload.csv").name
    size = uploaded_file.size
    inspection = inspect_file(uploaded_file, name=original_name, size=size, kind=kind, encoding=encoding)
    uploaded_file.seek(0)
    safe_name = get_valid_filename(original_name) or "upload.csv"
    path = default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}/{safe_name}", uploaded_file)
    return Upload(path=path, original_name=original_name, kind=kind, encoding=encoding, inspection=inspection)


def inspect_upload(*, path: str, original_name: str, kind: str, encoding: str = "") -> Upload:
    """Read a stored upload again (e.g. with another encoding) for the mapping step."""
    _check_upload_path(path)
    if not default_storage.exists(path):
        raise ImportFileError(_("The uploaded file is no longer available; upload it again."))
    encoding = _encoding(encoding)
    with default_storage.open(path, "rb") as stored:
        inspection = inspect_file(
            stored, name=original_name, size=default_storage.size(path), kind=kind, encoding=encoding
        )
    return Upload(path=path, original_name=original_name, kind=kind, encoding=encoding, inspection=inspection)


def upload_state(upload: Upload) -> dict:
    """What the mapping step needs of a checked upload (its inspection: encoding, delimiter,
    header, preview, row estimate), JSON-safe, so the step's later requests can rebuild the
    Upload with upload_from_state instead of reading a file of up to IMPORT_MAX_BYTES again."""
    return {
        "path": upload.path,
        "original_name": upload.original_name,
        "kind": upload.kind,
        "encoding": upload.encoding,
        "inspection": asdict(upload.inspection),
    }


def upload_from_state(state: dict, *, encoding: str = "") -> Upload | None:
    """The Upload that upload_state described, without reading the file; None when it was
    inspected with another encoding than `encoding` (the caller inspects it again). Raises
    ImportFileError when the file is gone (discarded, or removed as stale)."""
    if _encoding(encoding) != state["encoding"]:
        return None
    _check_upload_path(state["path"])
    if not default_storage.exists(state["path"]):
        raise ImportFileError(_("The uploaded file is no longer available; upload it again."))
    inspection = dict(state["inspection"])
    inspection["preview"] = [(line, list(cells)) for line, cells in inspection.get("preview", [])]
    return Upload(
        path=state["path"],
        original_name=state["original_name"],
        kind=state["kind"],
        encoding=state["encoding"],
        inspection=Inspection(**inspection),
    )


def start_import(
    *,
    upload: Upload,
    mapping: dict[str, str] | None,
    by,
    reason: str = "",
    campaign_id: int | None = None,
    note: str = "",
) -> ImportJob:
    """Queue an import of a checked upload. `mapping` is {header: target} (None: the recognised
    headers). Raises ValidationError {"mapping": [...]} / {"reason": [...]} for a mapping or
    options that cannot run."""
    inspection = upload.inspection
    if mapping is None:
        mapping = fields.suggest_mapping(inspection.headers, upload.kind)
        if upload.kind == ImportJob.Kind.DNC and not inspection.has_header and inspection.headers:
            mapping[inspection.headers[0]] = "phone"
    errors = fields.validate_mapping(mapping, headers=inspection.headers, kind=upload.kind)
    if errors:
        raise ValidationError({"mapping": errors})
    dnc = {}
    if upload.kind == ImportJob.Kind.DNC:
        dnc = _dnc_options(reason=reason, campaign_id=campaign_id, note=note)
    with transaction.atomic():
        # One job per upload: a double click on "start" (or a retried request) gets the job the
        # first one queued, instead of a second run of the same file.
        lock_import_start(upload.path)
        started = ImportJob.objects.filter(file=upload.path).order_by("pk").first()
        if started is not None:
            return started
        job = ImportJob.objects.create(
            kind=upload.kind,
            file=upload.path,
            original_name=upload.original_name[:255],
            encoding=inspection.encoding,
            mapping={
                "columns": {header: mapping.get(header, "") for header in inspection.headers},
                "source": inspection.as_options(),
                "dnc": dnc,
                "language": translation.get_language() or settings.LANGUAGE_CODE,
            },
            status=ImportJob.Status.QUEUED,
            total_rows=max(inspection.estimated_rows or 0, 0),
            created_by=by if by is not None and by.is_authenticated else None,
        )
        record_event(
            actor=by,
            action="import.start",
            target=job,
            summary=f"{job.get_kind_display()}: {job.original_name}",
            file=job.original_name,
            kind=job.kind,
            encoding=job.encoding,
            columns={h: t for h, t in job.mapping["columns"].items() if t},
            dnc=dnc,
        )
        from ..tasks.imports import run_import_job

        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def discard_upload(*, path: str) -> None:
    """Delete an upload that was never imported (the user cancelled the mapping step)."""
    _check_upload_path(path)
    if not ImportJob.objects.filter(file=path).exists() and default_storage.exists(path):
        default_storage.delete(path)


def discard_stale_uploads(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete uploads left in the mapping step for longer than `older_than`. Files of imports
    that ran are kept until UPLOAD_RETENTION_DAYS after the run (delete_expired_uploads)."""
    try:
        # Not exists(UPLOAD_DIR): an object store has no folders, only names with a prefix.
        folders, _files = default_storage.listdir(UPLOAD_DIR)
    except FileNotFoundError:
        return 0
    used = set(ImportJob.objects.filter(file__startswith=UPLOAD_DIR).values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    removed = 0
    for folder in folders:
        base = f"{UPLOAD_DIR}/{folder}"
        for name in default_storage.listdir(base)[1]:
            path = f"{base}/{name}"
            if path not in used and default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                removed += 1
    return removed


def delete_expired_uploads(*, now=None) -> int:
    """Delete the uploaded files of imports that finished (done or failed) more than
    UPLOAD_RETENTION_DAYS ago: a customer list holds personal data, kept only as long as a
    question about the run may come (was this row in the file?). The job keeps its summary (file
    name, counts, message) and its error report, which an erasure redacts; its file name is
    emptied, so the file is not looked for again. One `import.files_deleted` event says which jobs
    lost their file. Returns how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=max(int(settings.UPLOAD_RETENTION_DAYS), 0))
    expired = (
        ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED], finished_at__lt=cutoff)
        .exclude(file="")
        .order_by("pk")
        .values_list("pk", "file")
    )
    deleted = []
    with transaction.atomic():
        lock_kept_uploads()  # not while an erasure rewrites one of them (contacts/locks.py)
        for job_id, name in expired:
            if default_storage.exists(name):
                default_storage.delete(name)
            ImportJob.objects.filter(pk=job_id, file=name).update(file="")
            deleted.append(job_id)
        if deleted:
            record_event(
                actor=None,
                action="import.files_deleted",
                summary=f"{len(deleted)} (UPLOAD_RETENTION_DAYS={settings.UPLOAD_RETENTION_DAYS})",
                jobs=deleted,
                retention_days=settings.UPLOAD_RETENTION_DAYS,
            )
    return len(deleted)


def _check_upload_path(path: str) -> None:
    parts = PurePath(path).parts
    if not path.startswith(UPLOAD_DIR + "/") or ".." in parts:
        raise ImportFileError(_("The uploaded file is no longer available; upload it again."))


def _encoding(encoding: str) -> str:
    try:
        return normalise_encoding(encoding)
    except ValueError:
        raise ImportFileError(_("Unknown encoding “%(encoding)s”.") % {"encoding": encoding}) from None


def _dnc_options(*, reason: str, campaign_id, note: str) -> dict:
    reason = reason or DoNotCall.Reason.CUSTOMER_REQUEST
    if reason not in DoNotCall.Reason.values:
        raise ValidationError({"reason": [_("Unknown reason.")]})
    if campaign_id not in (None, ""):
        campaign_model = DoNotCall._meta.get_field("campaign").related_model
        try:
            campaign_id = int(campaign_id)
        except (TypeError, ValueError):
            raise ValidationError({"campaign": [_("Unknown campaign.")]}) from None
        if not campaign_model.objects.filter(pk=campaign_id).exists():
            raise ValidationError({"campaign": [_("Unknown campaign.")]})
    else:
        campaign_id = None
    return {"reason": reason, "campaign": campaign_id, "note": (note or "").strip()}


# ---------------------------------------------------------------- the run (Celery)


def run_import(*, job_id: int) -> ImportJob | None:
    """Run a queued import end to end. Safe to call twice: a finished job is left alone, a job
    another worker is running right now too (Celery redelivers an unacknowledged task: acks_late),
    and a job whose worker died half way starts over (nothing of it was committed)."""
    if not try_lock_import_run(job_id):
        return None
    try:
        return _run_claimed_import(job_id)
    finally:
        if not unlock_import_run(job_id):  # the connection is gone, and its lock with it
            logger.warning("Import %s: could not release the running lock", job_id)


def _run_claimed_import(job_id: int) -> ImportJob | None:
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_rows=0, message="")
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with translation.override(job.mapping.get("language") or settings.LANGUAGE_CODE):
        try:
            with job.file.open("rb") as stored:
                return run_pipeline(
                    loader=_loader_for(job),
                    rows=read_rows(stored, _inspection_of(job)),
                    on_progress=lambda rows: _save_progress(job.pk, rows),
                    finish=lambda counts: _finish(job.pk, counts),
                )
        except ImportFileError as error:
            return _fail(job, error.message)
        except Exception:
            logger.exception("Import %s failed", job_id)
            return _fail(
                job,
                _(
                    "The import stopped because of an unexpected error; nothing was loaded. Check the file and try "
                    "again, or ask an administrator."
                ),
            )


def _loader_for(job: ImportJob):
    source = job.mapping.get("source", {})
    common = dict(
        job_id=job.pk,
        mapping=job.mapping.get("columns", {}),
        headers=source.get("headers", []),
        time_zone=settings.TIME_ZONE,
        normalize_phone=partial(normalize_phone_kind, region=settings.PHONE_DEFAULT_REGION),
        phone_region=settings.PHONE_DEFAULT_REGION,
        expected_rows=job.total_rows,  # the upload's estimate: decides a bulk load's index rebuild
    )
    if job.kind == ImportJob.Kind.DNC:
        dnc = job.mapping.get("dnc", {})
        return DncLoader(
            reason=dnc.get("reason") or DoNotCall.Reason.CUSTOMER_REQUEST,
            campaign_id=dnc.get("campaign"),
            note=dnc.get("note", ""),
            created_by_id=job.created_by_id,
            **common,
        )
    return CustomerLoader(**common)


def _inspection_of(job: ImportJob) -> Inspection:
    source = job.mapping.get("source", {})
    return Inspection(
        format=source.get("format", "csv"),
        encoding=job.encoding,
        delimiter=source.get("delimiter", ","),
        has_header=source.get("has_header", True),
        header_line=source.get("header_line", 1),
        headers=source.get("headers", []),
    )


def _save_progress(job_id: int, rows: int) -> None:
    """Rows read so far. Runs in the reader thread, on its own (autocommit) connection, so the
    page sees it while the import's transaction is still open."""
    ImportJob.objects.filter(pk=job_id).update(processed_rows=rows, total_rows=Greatest("total_rows", Value(rows)))


def _finish(job_id: int, counts) -> ImportJob:
    """Last step of the import's transaction: counts, status and audit. A job finished meanwhile
    by another run (a redelivered task) keeps that run's result and this one rolls back."""
    job = ImportJob.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.RUNNING:
        transaction.set_rollback(True)
        return job
    job.status = ImportJob.Status.DONE
    job.total_rows = job.processed_rows = counts.total
    job.created_count = counts.created
    job.updated_count = counts.updated
    job.unchanged_count = counts.unchanged
    job.failed_count = counts.failed
    job.finished_at = timezone.now()
    job.message = ""
    if counts.invalid_phones:
        job.message = ngettext(
            "%(count)s phone number is not a valid number: it was kept, marked invalid, and will never be dialed.",
            "%(count)s phone numbers are not valid numbers: they were kept, marked invalid, and will never be dialed.",
            counts.invalid_phones,
        ) % {"count": counts.invalid_phones}
    job.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "failed_count",
            "finished_at",
            "message",
        ]
    )
    record_event(
        actor=job.created_by,
        action="import.done",
        target=job,
        summary=(
            f"{job.original_name}: {counts.total} rows, {counts.created} created, {counts.updated} updated, "
            f"{counts.unchanged} unchanged, {counts.failed} failed"
        ),
        file=job.original_name,
        kind=job.kind,
        total=counts.total,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        failed=counts.failed,
        invalid_phones=counts.invalid_phones,
    )
    return job


def _fail(job: ImportJob, message: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        message=message,
        finished_at=timezone.now(),
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        failed_count=0,
    )
    job.refresh_from_db()
    record_event(
        actor=job.created_by,
        action="import.failed",
        target=job,
        summary=f"{job.original_name}: {message}",
        file=job.original_name,
        kind=job.kind,
        message=message,
    )
    return job
