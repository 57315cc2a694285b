"""Celery tasks of operator work: thin wrappers that take ids and call a service. All of them
are idempotent (they recompute from what is recorded), so a retry or a duplicate run is safe."""

from celery import shared_task
from django.core.cache import cache

from ..services import agent_state, dispatch, scheduling

# Watermark of the re-evaluation task: the last attempt id whose effect on other campaigns'
# entries has been applied. Kept in the cache (Redis); when it is lost the task starts from the
# latest attempts again, which only means re-doing harmless work.
RESCHEDULE_WATERMARK_KEY = "console:reschedule:last-attempt-id"
RESCHEDULE_BATCH = 2000


@shared_task(acks_late=True, ignore_result=True)
def schedule_entry_retry(entry_id: int) -> str | None:
    """Compute the next attempt of one entry after an outcome."""
    entry = scheduling.schedule_retry(entry_id=entry_id)
    if entry is None or entry.next_attempt_at is None:
        return None
    return entry.next_attempt_at.isoformat()


@shared_task(acks_late=True, ignore_result=True)
def release_expired_holds() -> int:
    """Celery beat: entries whose hold expired go back in the queue."""
    return dispatch.release_expired_holds()


@shared_task(acks_late=True, ignore_result=True)
def sign_off_absent_operators() -> int:
    """Celery beat: operators not heard from for AGENT_ABSENT_MINUTES are signed off."""
    return agent_state.sign_off_absent()


@shared_task(acks_late=True, ignore_result=True)
def reschedule_entries_touched_elsewhere() -> int:
    """Celery beat: a call in one campaign can push back another campaign's entries for the
    same customer (cross-campaign cap, cool-off, minimum gap). Re-evaluate those entries."""
    from ..models import CallAttempt

    watermark = cache.get(RESCHEDULE_WATERMARK_KEY)
    if watermark is None:
        latest = CallAttempt.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        watermark = max(0, latest - RESCHEDULE_BATCH)
    entry_ids, upto = scheduling.entries_touched_by_other_campaigns(after_attempt_id=watermark, limit=RESCHEDULE_BATCH)
    for entry_id in entry_ids:
        scheduling.schedule_retry(entry_id=entry_id)
    cache.set(RESCHEDULE_WATERMARK_KEY, upto, timeout=None)
    if upto - watermark >= RESCHEDULE_BATCH:
        reschedule_entries_touched_elsewhere.delay()  # more to do: continue in a new task
    return len(entry_ids)
