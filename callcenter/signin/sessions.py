"""When a browser session ends: SESSION_ABSOLUTE_HOURS after sign-in for everyone,
SESSION_IDLE_MINUTES after the last use for users who see customer data (shared floor PCs), and
at once for sessions begun before the user's "sign out everywhere".

The session holds two timestamps (seconds since the epoch): when the user signed in, and when
they last used it. "Used" means a request the person made: the pages' own timers (the console's
presence ping, the boards refreshing themselves) keep nothing alive."""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from .. import roles
from ..audit import record_event
from ..models import SessionCutoff
from . import tokens

SIGNED_IN_AT = "signed_in_at"
LAST_USED_AT = "last_used_at"
# The last-use stamp is rewritten at most this often: not a session write on every request.
LAST_USED_PRECISION_SECONDS = 60

# Requests made by a page's timer rather than by the person: these views asked by htmx or the
# console's script (both send HX-Request). The same board opened by the person counts as use.
TIMER_VIEWS = {
    "campaigns:console_presence",
    "campaigns:console_board",
    "campaigns:wallboard_panel",
    "campaigns:list_progress",
    "contacts:import_progress",
}

SIGNED_OUT_EVERYWHERE = "auth.signed_out_everywhere"  # audit action


@receiver(user_logged_in, dispatch_uid="callcenter.signin.sessions.stamp_sign_in")
def stamp_sign_in(sender, request, user, **kwargs):
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_USED_AT] = now


def sees_customer_data(user) -> bool:
    # A salesperson's calendar carries their customers' names, numbers and addresses.
    return roles.can(
        user, roles.USE_CONSOLE, roles.VIEW_CUSTOMERS, roles.MANAGE_LISTS, roles.EXPORT_DATA, roles.WORK_APPOINTMENTS
    )


def expiry_reason(session, user, now: float) -> str | None:
    """ "absolute", "idle", "signed_out" or None while the session may go on."""
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is None:  # begun before these rules: counted from now
        session[SIGNED_IN_AT] = session[LAST_USED_AT] = signed_in_at = now
    if now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
        return "absolute"
    last_used_at = session.get(LAST_USED_AT, signed_in_at)
    if now - last_used_at > settings.SESSION_IDLE_MINUTES * 60 and sees_customer_data(user):
        return "idle"
    cutoff = SessionCutoff.objects.filter(user_id=user.pk).values_list("not_before", flat=True).first()
    if cutoff is not None and signed_in_at < cutoff.timestamp():
        return "signed_out"
    return None


def is_timer_request(request) -> bool:
    match = request.resolver_match
    return match is not None and match.view_name in TIMER_VIEWS and bool(request.headers.get("HX-Request"))


def note_use(session, now: float) -> None:
    if now - session.get(LAST_USED_AT, 0) >= LAST_USED_PRECISION_SECONDS:
        session[LAST_USED_AT] = now


@transaction.atomic
def sign_out_everywhere(user) -> int:
    """End every browser session of the user (the current one included: the caller logs it out)
    and revoke their API tokens. Returns how many tokens were revoked."""
    SessionCutoff.objects.update_or_create(user=user, defaults={"not_before": timezone.now()})
    revoked = tokens.revoke_all(user, by=user, reason="signed out everywhere")
    record_event(actor=user, action=SIGNED_OUT_EVERYWHERE, target=user, summary=user.get_username(), tokens=revoked)
    return revoked
