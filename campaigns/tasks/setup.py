"""Celery tasks of this area: thin wrappers that take ids and call a service."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def build_call_list_task(call_list_id: int):
    """Build a call list created by the supervisor (idempotent: a built list is left alone)."""
    from campaigns.services.lists import run_call_list_build

    run_call_list_build(call_list_id=call_list_id)


@shared_task(acks_late=True, ignore_result=True)
def apply_campaign_dates_task():
    """Start and finish campaigns on their dates (Celery beat, every minute)."""
    from campaigns.services.campaigns import apply_campaign_dates

    apply_campaign_dates()
