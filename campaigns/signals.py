"""Signal receivers of the campaigns app."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from callcenter.audit import m2m_change, record_event
from callcenter.audit_context import current_actor

from .models import Campaign
from .services import agent_state


@receiver(user_logged_out, dispatch_uid="campaigns.sign_off_at_logout")
def sign_off_at_logout(sender, request, user, **kwargs):
    """Logging out ends the operator's working time (a held call keeps its hold until it expires
    or a supervisor releases it)."""
    if user is not None and user.is_authenticated:
        agent_state.sign_off(operator_id=user.pk, at=timezone.now(), action=agent_state.SIGNED_OFF_AT_LOGOUT, by=user)


@receiver(m2m_changed, sender=Campaign.client_viewers.through, dispatch_uid="campaigns.audit_client_viewers")
def audit_client_viewers(sender, instance, action, reverse, pk_set, **kwargs):
    """Who may see a campaign's figures from outside the center is evidence for the client."""
    verb = m2m_change(action, pk_set)
    if verb is None:
        return
    if reverse:  # user.client_campaigns.add(...)
        pairs = [(campaign, [instance.get_username()]) for campaign in Campaign.objects.filter(pk__in=pk_set or [])]
    else:
        names = list(get_user_model().objects.filter(pk__in=pk_set or []).values_list("username", flat=True))
        pairs = [(instance, names)]
    for campaign, usernames in pairs:
        record_event(
            actor=current_actor(),
            action="campaign.client_viewers_changed",
            target=campaign,
            summary=f"{campaign.name}: {verb} {', '.join(usernames)}".strip(),
            change=verb,
            users=usernames,
        )
