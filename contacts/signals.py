"""Signal receivers of the contacts app."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from callcenter.audit_context import current_actor

from .models import DoNotCall, PhoneNumber
from .services.erasure import block_erased_numbers, is_hashed


@receiver(post_save, sender=PhoneNumber, dispatch_uid="contacts.block_returning_erased_numbers")
def block_returning_erased_number(sender, instance, raw=False, update_fields=None, **kwargs):
    """A number saved one at a time by any path (the admin site's phone rows included) is checked
    against the erased numbers' hashes, as the services and imports check theirs: one that was
    erased on request gets a plain do-not-call entry, so list builds and dispatch block it with the
    registry's ordinary rule. Costs one index probe while no erased number exists."""
    if raw or not instance.number or is_hashed(instance.number):
        return
    if update_fields is not None and "number" not in update_fields:
        return  # the number did not change (kind, validity or the primary flag did)
    block_erased_numbers([instance.number], by=current_actor(), source=DoNotCall.Source.SUPERVISOR)
