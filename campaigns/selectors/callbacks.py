"""The callbacks page: every callback waiting to be made, personal and shared, by time."""

import datetime as dt

from django.utils import timezone

from campaigns.models import CallListEntry

SHARED = "shared"


def waiting_callbacks(*, campaign_id: int | None = None, operator: str = "", day_from=None, day_to=None, overdue=False):
    """Waiting callbacks, the earliest first, with `is_overdue`. `operator`: a user id, "shared"
    (no owner) or "" (all); days in the server's time zone, both included."""
    now = timezone.now()
    entries = (
        CallListEntry.objects.filter(status=CallListEntry.Status.CALLBACK)
        .select_related("campaign", "call_list", "customer", "assigned_operator")
        .order_by("callback_at", "id")
    )
    if campaign_id:
        entries = entries.filter(campaign_id=campaign_id)
    if operator == SHARED:
        entries = entries.filter(assigned_operator__isnull=True)
    elif operator.isdigit():
        entries = entries.filter(assigned_operator_id=int(operator))
    tz = timezone.get_current_timezone()
    if day_from:
        entries = entries.filter(callback_at__gte=dt.datetime.combine(day_from, dt.time(0), tzinfo=tz))
    if day_to:
        entries = entries.filter(
            callback_at__lt=dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        )
    if overdue:
        entries = entries.filter(callback_at__lt=now)
    return entries
