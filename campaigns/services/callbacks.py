"""A supervisor's hand on scheduled callbacks: give them to another operator or to everyone
(shared), or move one to another time, which the calling rules must still allow
(outcomes.callback_problems, the check an operator's callback passes). Only entries still waiting
as callbacks are touched: one being dialed (held) is left to its call."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from campaigns.models import CallListEntry
from campaigns.services.outcomes import callback_problems

Status = CallListEntry.Status
REASSIGNED = "callback.reassigned"  # audit action
MOVED = "callback.moved"  # audit action


def _display(user) -> str:
    return (f"{user.last_name} {user.first_name}".strip() or user.get_username()) if user else ""


@transaction.atomic
def reassign_callbacks(*, entry_ids: list[int], operator, by) -> dict:
    """Give the callbacks to `operator` (a personal callback) or to nobody (None: shared, any
    operator of the campaign takes it). Returns {"moved": [ids], "refused": {id: reason}}."""
    entries = list(
        CallListEntry.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(pk__in=entry_ids)
        .order_by("pk")
    )
    moved, refused = [], {}
    allowed_campaigns = set()
    if operator is not None:
        allowed_campaigns = set(operator.operator_campaigns.values_list("pk", flat=True))
    for entry in entries:
        if entry.status != Status.CALLBACK:
            refused[entry.pk] = _("No longer a waiting callback (being called or done).")
            continue
        if operator is not None and entry.campaign_id not in allowed_campaigns:
            refused[entry.pk] = _("%(name)s does not work the campaign %(campaign)s.") % {
                "name": _display(operator),
                "campaign": entry.campaign.name,
            }
            continue
        if entry.assigned_operator_id == (operator.pk if operator else None):
            continue
        previous = entry.assigned_operator_id
        entry.assigned_operator = operator
        entry.save(update_fields=["assigned_operator", "updated_at"])
        moved.append(entry.pk)
        record_event(
            actor=by,
            action=REASSIGNED,
            target=entry,
            summary=f"{entry.campaign.name}: → {_display(operator) or _('shared')}",
            previous_operator=previous,
            operator=operator.pk if operator else None,
        )
    for missing in set(entry_ids) - {entry.pk for entry in entries}:
        refused[missing] = _("No such callback.")
    return {"moved": moved, "refused": refused}


@transaction.atomic
def move_callback(*, entry_id: int, at: dt.datetime, by, now=None) -> CallListEntry:
    """Move a waiting callback to `at`; ValidationError with the rule it would break."""
    now = now or timezone.now()
    entry = (
        CallListEntry.objects.select_for_update(of=("self",))
        .select_related("campaign__policy", "customer")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or entry.status != Status.CALLBACK:
        raise ValidationError(_("No longer a waiting callback (being called or done)."))
    problems = callback_problems(entry=entry, at=at, now=now)
    if problems:
        raise ValidationError(problems)
    previous = entry.callback_at
    entry.callback_at = at
    entry.next_attempt_at = at
    entry.save(update_fields=["callback_at", "next_attempt_at", "updated_at"])
    record_event(
        actor=by,
        action=MOVED,
        target=entry,
        summary=f"{entry.campaign.name}: {timezone.localtime(previous):%Y-%m-%d %H:%M} → "
        f"{timezone.localtime(at):%Y-%m-%d %H:%M}",
        previous=previous.isoformat() if previous else None,
        callback_at=at.isoformat(),
    )
    return entry
