"""API tokens: issued, checked, revoked. The one place that knows a token's secret.

A secret is "cc_" + 43 random URL-safe characters; the database keeps its SHA-256 digest and its
first characters (to recognise it in a list). Personal tokens come from POST /api/v1/auth/token/
and live API_TOKEN_LIFETIME_HOURS; integration tokens are issued by a superuser, only to an
integration account (callcenter.models.IntegrationAccount), and live as long as chosen."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from ..audit import record_event
from ..models import ApiToken, IntegrationAccount

SECRET_PREFIX = "cc_"
PREFIX_LENGTH = 10
# last_used_at is written at most this often per token: not one UPDATE per API call.
LAST_USED_PRECISION = timedelta(minutes=1)

CREATED = "token.created"  # audit action
REVOKED = "token.revoked"  # audit action


class NotAnIntegrationAccount(ValueError):
    pass


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _issue(user, *, kind: str, name: str, expires_at, created_by) -> tuple[ApiToken, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        kind=kind,
        name=name[:100],
        digest=digest(secret),
        prefix=secret[:PREFIX_LENGTH],
        expires_at=expires_at,
        created_by=created_by,
    )
    record_event(
        actor=created_by or user,
        action=CREATED,
        target=token,
        summary=f"{user.get_username()} {token.prefix}…",
        kind=kind,
        expires_at=expires_at.isoformat(),
    )
    return token, secret


def issue_personal_token(user, *, name: str = "") -> tuple[ApiToken, str]:
    """A token for the user who signed in (password, and a code where two-factor applies)."""
    expires_at = timezone.now() + timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)
    return _issue(user, kind=ApiToken.Kind.PERSONAL, name=name, expires_at=expires_at, created_by=None)


@transaction.atomic
def issue_integration_token(user, *, name: str, created_by, days: int | None = None) -> tuple[ApiToken, str]:
    """A long-lived token for an integration account, issued by a superuser (created_by) or by
    manage.py (created_by None: whoever runs it has the server)."""
    if not IntegrationAccount.objects.filter(user=user).exists():
        raise NotAnIntegrationAccount(
            _("%(user)s is not an integration account: long-lived tokens are only for those.")
            % {"user": user.get_username()}
        )
    if created_by is not None and not created_by.is_superuser:
        raise PermissionError("only a superuser issues integration tokens")
    days = days if days is not None else settings.API_INTEGRATION_TOKEN_DAYS
    expires_at = timezone.now() + timedelta(days=days)
    return _issue(user, kind=ApiToken.Kind.INTEGRATION, name=name, expires_at=expires_at, created_by=created_by)


def active_tokens():
    return ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def revoke(token: ApiToken, *, by, reason: str) -> bool:
    """Revoke one token; False when it was no longer active."""
    revoked = active_tokens().filter(pk=token.pk).update(revoked_at=timezone.now())
    if revoked:
        record_event(
            actor=by,
            action=REVOKED,
            target=token,
            summary=f"{token.user.get_username()} {token.prefix}…",
            reason=reason,
        )
    return bool(revoked)


def revoke_all(user, *, by, reason: str) -> int:
    """Revoke every active token of the user (sign out everywhere, password change)."""
    tokens = list(active_tokens().filter(user=user))
    for token in tokens:
        revoke(token, by=by, reason=reason)
    return len(tokens)


def authenticate_secret(secret: str) -> ApiToken | None:
    token = active_tokens().select_related("user").filter(digest=digest(secret)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <secret>`, as with DRF's authtoken, against our hashed tokens."""

    def authenticate_credentials(self, key):
        token = authenticate_secret(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token


class RevokeTokensOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for Django's password_changed() hook, which runs
    wherever a password changes (the password page, the admin, `manage.py changepassword`):
    tokens issued under the old password stop working. It refuses no password; its help text
    tells the user so."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            revoke_all(user, by=user, reason="password changed")

    def get_help_text(self):
        return _("Changing your password revokes your API tokens.")


def delete_old_tokens(older_than: timedelta = timedelta(days=30)) -> int:
    cutoff = timezone.now() - older_than
    deleted, _ = ApiToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)).delete()
    return deleted
