"""A supervisor's hand on scheduled callbacks: give them to another operator or to everyone
(shared), or move one to another time, which the calling rules must still allow
(outcomes.callback_problems, the check an operator's callback passes). Only entries still waiting
as callbacks are touched: one being dialed (held) is left to its call."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from callcenter.models import AuditEvent
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
    operator of the campaign takes it). Returns {"moved": [ids], "refused": {id: reason}}.

    Set-based: the entries are read and locked in one statement, the ones that may move are
    changed in one UPDATE … RETURNING, and their audit events written in one INSERT."""
    operator_id = operator.pk if operator is not None else None
    entries = list(
        CallListEntry.objects.select_for_update(of=("self",))
        .filter(pk__in=entry_ids)
        .order_by("pk")
        .values_list("pk", "status", "campaign_id", "campaign__name", "assigned_operator_id")
    )
    refused = {}
    allowed_campaigns = set()
    if operator is not None:
        allowed_campaigns = set(operator.operator_campaigns.values_list("pk", flat=True))
    to_move = {}
    for pk, status, campaign_id, campaign_name, assigned in entries:
        if status != Status.CALLBACK:
            refused[pk] = _("No longer a waiting callback (being called or done).")
        elif operator is not None and campaign_id not in allowed_campaigns:
            refused[pk] = _("%(name)s does not work the campaign %(campaign)s.") % {
                "name": _display(operator),
                "campaign": campaign_name,
            }
        elif assigned != operator_id:
            to_move[pk] = (campaign_name, assigned)
    moved = []
    if to_move:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {CallListEntry._meta.db_table} SET assigned_operator_id = %s, updated_at = %s"
                " WHERE id = ANY(%s) RETURNING id",
                [operator_id, timezone.now(), list(to_move)],
            )
            moved = sorted(row[0] for row in cursor.fetchall())
    actor = by if by is not None and by.is_authenticated else None
    label = _display(operator) or _("shared")
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                action=REASSIGNED,
                object_type=CallListEntry._meta.label_lower,
                object_id=str(pk),
                summary=f"{to_move[pk][0]}: → {label}"[:500],
                data={"previous_operator": to_move[pk][1], "operator": operator_id},
            )
            for pk in moved
        ]
    )
    for missing in set(entry_ids) - {entry[0] for entry in entries}:
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
