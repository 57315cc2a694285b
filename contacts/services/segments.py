"""Saving segments: named criteria, validated by contacts.segments before they are stored."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..models import Segment
from ..segments import validate_criteria


def _check_name(name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the segment a name.")]})
    taken = Segment.objects.filter(name=name)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": [_("A segment with this name already exists.")]})
    return name


def _criteria(criteria) -> dict:
    try:
        return validate_criteria(criteria)
    except ValidationError as error:
        raise ValidationError({"criteria": error.messages})


def create_segment(*, by, name: str, criteria, description: str = "") -> Segment:
    name = _check_name(name)
    criteria = _criteria(criteria)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                name=name,
                criteria=criteria,
                description=description,
                created_by=by if by is not None and by.is_authenticated else None,
            )
            record_event(actor=by, action="segment.create", target=segment, summary=name, criteria=criteria)
    except IntegrityError:  # the same name saved at the same moment by someone else
        raise ValidationError({"name": [_("A segment with this name already exists.")]})
    return segment


def update_segment(
    *, segment: Segment, by, name: str | None = None, criteria=None, description: str | None = None
) -> Segment:
    """Rename and/or change the criteria or description."""
    changed = []
    if name is not None and name.strip() != segment.name:
        segment.name = _check_name(name, exclude_pk=segment.pk)
        changed.append("name")
    if criteria is not None:
        criteria = _criteria(criteria)
        if criteria != segment.criteria:
            segment.criteria = criteria
            changed.append("criteria")
    if description is not None and description != segment.description:
        segment.description = description
        changed.append("description")
    if not changed:
        return segment
    try:
        with transaction.atomic():
            segment.save(update_fields=[*changed, "updated_at"])
            record_event(
                actor=by,
                action="segment.update",
                target=segment,
                summary=segment.name,
                fields=changed,
                criteria=segment.criteria,
            )
    except IntegrityError:
        raise ValidationError({"name": [_("A segment with this name already exists.")]})
    return segment


def duplicate_segment(*, segment: Segment, by, name: str | None = None) -> Segment:
    """A copy with the same criteria, named "<name> (copy)", "(copy 2)", … unless a name is given."""
    if not name:
        base = _("%(name)s (copy)") % {"name": segment.name}
        name, number = base, 2
        while Segment.objects.filter(name=name).exists():
            name = _("%(name)s (copy %(number)s)") % {"name": segment.name, "number": number}
            number += 1
    return create_segment(by=by, name=name[:200], criteria=segment.criteria, description=segment.description)


def delete_segment(*, segment: Segment, by) -> None:
    """Delete a saved segment. Lists built from it keep their entries; a segment still used by a
    campaign's script variant cannot be deleted (ValidationError)."""
    from django.db.models import ProtectedError

    name, pk = segment.name, segment.pk
    try:
        with transaction.atomic():
            segment.delete()
            record_event(actor=by, action="segment.delete", summary=name, segment_id=pk)
    except ProtectedError:
        raise ValidationError(_("This segment is used by a campaign and cannot be deleted."))
