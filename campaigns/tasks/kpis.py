"""Celery tasks of this area: thin wrappers that take ids and call a service.

Both are idempotent (the watermarks say what has been counted) and periodic (CELERY_BEAT_SCHEDULE
in callcenter/settings.py): the refresh every 30 seconds keeps the rollups at most a minute behind,
the reconciliation rebuilds them every night."""

from dataclasses import asdict

from celery import shared_task

from ..services.kpis import reconcile_kpi_rollups, refresh_kpi_rollups


@shared_task(acks_late=True, ignore_result=True)
def refresh_kpi_rollups_task():
    return asdict(refresh_kpi_rollups())


@shared_task(acks_late=True)
def reconcile_kpi_rollups_task():
    return asdict(reconcile_kpi_rollups())
