"""Celery tasks of this area: thin wrappers that take ids and call a service."""

from celery import shared_task

from ..services import imports


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
