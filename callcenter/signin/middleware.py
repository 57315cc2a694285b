"""The sign-in rules in front of every request made with a browser session (API calls signed
with a token are authenticated inside DRF and not concerned: a token has its own lifetime)."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import people
from . import sessions, two_factor

EXPIRED_MESSAGES = {
    "absolute": lambda: _("Your session has ended after %(hours)s hours: please sign in again."),
    "idle": lambda: _("You were signed out after %(minutes)s minutes without activity: please sign in again."),
    "signed_out": lambda: _("You signed out on every device: please sign in again."),
}

# Pages a signed-in user reaches before giving the second factor.
BEFORE_SECOND_FACTOR = {
    "two_factor_verify",
    "two_factor_setup",
    "logout",
    "set_language",
    "healthz",
    "login",
    "api_token",  # asks for the code itself
}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _send_to(request, url: str):
    """Send the browser to a sign-in page; an htmx request gets an HX-Redirect (a redirect would
    be swapped into the page's fragment)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class SessionExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        now = time.time()
        reason = sessions.expiry_reason(request.session, user, now)
        if reason is None:
            if not sessions.is_timer_request(request):
                sessions.note_use(request.session, now)
            return None
        logout(request)
        if _is_api(request):
            return None  # answered as the anonymous request it now is (401, or a token request)
        message = EXPIRED_MESSAGES[reason]() % {
            "hours": settings.SESSION_ABSOLUTE_HOURS,
            "minutes": settings.SESSION_IDLE_MINUTES,
        }
        messages.info(request, message)
        login_url = reverse("login") + "?" + urlencode({"next": request.get_full_path()})
        return _send_to(request, login_url)


class TwoFactorMiddleware:
    """A session signed in with a password only, for a user who enrolled or must enrol, reaches
    nothing but the code page (or the enrolment page), logout and the language switch."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in BEFORE_SECOND_FACTOR:
            return None
        if two_factor.is_enrolled(user):
            target, detail = "two_factor_verify", _("Enter your two-factor code first.")
        elif two_factor.is_required(user):
            target, detail = "two_factor_setup", _("Set up two-factor sign-in first.")
        else:
            return None
        if _is_api(request):
            return JsonResponse({"detail": detail}, status=403)
        return _send_to(request, reverse(target) + "?" + urlencode({"next": request.get_full_path()}))


# Pages a user whose password someone else set reaches before choosing their own.
BEFORE_OWN_PASSWORD = BEFORE_SECOND_FACTOR | {"password_change", "password_change_done"}


class PasswordChangeDueMiddleware:
    """A user signed in with a password someone else set (a new account, a reset, an import)
    chooses their own before anything else: every page leads to the password page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in BEFORE_OWN_PASSWORD:
            return None
        if not request.session.get(people.PASSWORD_CHANGE_DUE_SESSION_KEY):
            return None
        detail = _("Choose your own password first.")
        if _is_api(request):
            return JsonResponse({"detail": detail}, status=403)
        messages.info(request, detail)
        return _send_to(request, reverse("password_change"))
