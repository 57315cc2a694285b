"""Sign-in pages: password (then the second factor), the code page, two-factor set-up, the
user's API tokens and "sign out everywhere". The rules are in two_factor, tokens and sessions."""

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from .. import people
from ..models import ApiToken
from . import sessions, tokens, two_factor
from .forms import CodeForm


def _next_url(request, default: str = "") -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or reverse("home")


def second_factor_url(user, next_url: str) -> str | None:
    """Where a user signed in with a password goes next: the code page, the set-up page, or
    nowhere (None) when two-factor sign-in does not apply."""
    if two_factor.is_enrolled(user):
        name = "two_factor_verify"
    elif two_factor.is_required(user):
        name = "two_factor_setup"
    else:
        return None
    return reverse(name) + "?" + urlencode({"next": next_url})


class SignInView(LoginView):
    redirect_authenticated_user = True

    def get_success_url(self):
        next_url = super().get_success_url()
        return second_factor_url(self.request.user, next_url) or next_url


class OwnPasswordChangeView(PasswordChangeView):
    """Django's password page; a password someone else set is one's own once changed here."""

    def form_valid(self, form):
        response = super().form_valid(form)
        people.password_changed_by_owner(self.request.user, self.request.session)
        return response


@never_cache
@login_required
def two_factor_verify(request):
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not two_factor.is_enrolled(user):
        return redirect(second_factor_url(user, next_url) or next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            request.session.cycle_key()  # a new session id once fully signed in
            if device.name == two_factor.RECOVERY_NAME:
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(count)s remain. Make new ones on the two-factor page.")
                    % {"count": two_factor.remaining_recovery_codes(user)},
                )
            return redirect(next_url)
        form.add_error(
            "code", _("This code is wrong or was already used. After several wrong codes, wait a moment between tries.")
        )
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


@never_cache
@login_required
def two_factor_setup(request):
    """Set up the authenticator (QR code, then a code from it); once set up, the page shows the
    state and makes new recovery codes."""
    user = request.user
    next_url = _next_url(request)
    if two_factor.is_enrolled(user):
        if not user.is_verified():
            return redirect(second_factor_url(user, next_url))
        if request.method == "POST" and request.POST.get("action") == "renew_codes":
            codes = two_factor.renew_recovery_codes(user)
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": next_url})
        return render(
            request,
            "registration/two_factor_status.html",
            {
                "required": two_factor.is_required(user),
                "remaining": two_factor.remaining_recovery_codes(user),
                "recovery_count": two_factor.RECOVERY_CODE_COUNT,
            },
        )
    device = two_factor.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor.confirm_enrolment(user, form.cleaned_data["code"])
        if confirmed is not None:
            device, codes = confirmed
            otp_login(request, device)
            request.session.cycle_key()
            return render(request, "registration/two_factor_codes.html", {"codes": codes, "next": next_url})
        form.add_error("code", _("This code does not match: check the phone's clock and type the code it shows now."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 (our own SVG, no user text)
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": two_factor.is_required(user),
        },
    )


@never_cache
@login_required
def api_tokens(request):
    """The user's API tokens: which are active, when each expires and was last used."""
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")[:100]
    active_ids = set(tokens.active_tokens().filter(user=request.user).values_list("pk", flat=True))
    for row in rows:
        row.is_active = row.pk in active_ids
    return render(
        request,
        "callcenter/api_tokens.html",
        {"tokens": rows, "lifetime_hours": settings.API_TOKEN_LIFETIME_HOURS},
    )


@require_POST
@login_required
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only one's own: 404 otherwise
    if tokens.revoke(token, by=request.user, reason="revoked by its owner"):
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("api_tokens")


@require_POST
@login_required
def sign_out_everywhere(request):
    sessions.sign_out_everywhere(request.user)
    logout(request)
    messages.info(request, _("You are signed out on every device, and your API tokens are revoked."))
    return redirect("login")
