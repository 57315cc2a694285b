"""Celery tasks of this area: thin wrappers that take ids and call a service."""

from celery import shared_task

from ..services import imports, upload_erasure


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> dict:
    """Run one queued import. Idempotent: a finished job is left alone (see run_import)."""
    job = imports.run_import(job_id=job_id)
    return {"job": job_id, "status": job.status if job else "skipped"}


@shared_task
def discard_stale_uploads() -> dict:
    """Delete uploads abandoned in the mapping step (scheduled daily in CELERY_BEAT_SCHEDULE)."""
    return {"removed": imports.discard_stale_uploads()}


@shared_task
def delete_expired_uploads() -> dict:
    """Delete the uploaded files of imports finished more than UPLOAD_RETENTION_DAYS ago
    (scheduled daily in CELERY_BEAT_SCHEDULE)."""
    return {"deleted": imports.delete_expired_uploads()}


@shared_task(acks_late=True)
def erase_from_kept_uploads(customer_id: int) -> dict:
    """An erased customer's rows out of the kept files of past imports (queued by the erasure once
    it committed; running it again changes nothing)."""
    return upload_erasure.erase_from_kept_uploads(customer_id=customer_id)
