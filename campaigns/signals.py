"""Signal receivers of the campaigns app."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils import timezone

from .services import agent_state


@receiver(user_logged_out, dispatch_uid="campaigns.sign_off_at_logout")
def sign_off_at_logout(sender, request, user, **kwargs):
    """Logging out ends the operator's working time (a held call keeps its hold until it expires
    or a supervisor releases it)."""
    if user is not None and user.is_authenticated:
        agent_state.sign_off(operator_id=user.pk, at=timezone.now(), action=agent_state.SIGNED_OFF_AT_LOGOUT, by=user)
