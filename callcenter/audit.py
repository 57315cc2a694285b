"""The one way to write the audit trail."""
from .models import AuditEvent


def record_event(*, actor, action: str, target=None, summary: str = "", **data) -> AuditEvent:
    """Append an audit event. `target` is any model instance the event is about."""
    object_type = object_id = ""
    if target is not None:
        object_type = target._meta.label_lower
        object_id = str(target.pk)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=data,
    )
