"""Lockout after failed sign-ins (django-axes, with our handler).

Two rules, each against one kind of attack:
- guessing one person's password: the username is locked *from the address that failed*
  (AXES_LOCKOUT_PARAMETERS = username + ip_address) after AXES_FAILURE_LIMIT failures. Whoever
  types a colleague's name at another desk, or from outside, does not lock the colleague out;
- password spraying (a few guesses for many usernames): an address that failed for
  AXES_IP_USERNAME_LIMIT different usernames within the cool-off is refused for every username.
Both end AXES_COOLOFF_MINUTES after the last failure; a successful sign-in clears the user's own
failures from that address."""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings


def usernames_failed_from(ip_address: str, since) -> int:
    return (
        AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since)
        .values("username")
        .distinct()
        .count()
    )


class LockoutHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.is_spraying(request)

    def is_spraying(self, request) -> bool:
        ip_address = getattr(request, "axes_ip_address", None)
        if not ip_address:
            return False
        since = get_cool_off_threshold(request)
        return usernames_failed_from(ip_address, since) >= settings.AXES_IP_USERNAME_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure that reaches the spraying limit refuses this request already, as the
        # username limit does (the API answers 429, the login page its lockout page).
        if request is not None and not getattr(request, "axes_locked_out", False) and self.is_spraying(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
