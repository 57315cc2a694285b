"""Saving a row with a unique name when another request may take the same name meanwhile.

A form or serializer checks that the name is free, but two supervisors (or a double click) can
both pass that check before either commits; the database's unique index then refuses the second
INSERT/UPDATE. That is the user's mistake to hear about, not a server error."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


def save_keeping_unique(instance, *, field: str, message: str, **save) -> None:
    """instance.save(**save) in a savepoint; when `field`'s value turns out to be taken by another
    row, raise ValidationError({field: [message]}) (nothing saved). Other integrity errors pass."""
    try:
        with transaction.atomic():
            instance.save(**save)
    except IntegrityError:
        taken = type(instance)._default_manager.filter(**{field: getattr(instance, field)})
        if instance.pk is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            raise ValidationError({field: [message]}) from None
        raise
