"""People's accounts: who may give which role to whom, passwords someone else set, deactivation.

A role ranks by what it reaches: operators, client viewers and salespeople reach their own work, managers read
everything, supervisors change everything, superusers hold every permission. Someone who is not a
superuser gives only roles up to their own rank, and changes only accounts up to their own rank:
a supervisor can make a supervisor, never a superuser, and cannot touch a superuser's account.
Integration accounts (systems, not people) are a superuser's business. Nobody deletes an account:
the calls, outcomes and audit events it made stay its own, so it is deactivated instead."""

import secrets
import string

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from . import roles
from .audit import record_event
from .models import IntegrationAccount, PasswordChangeDue, SessionCutoff
from .signin import tokens

ROLE_RANK = {roles.OPERATOR: 1, roles.CLIENT_VIEWER: 1, roles.SALES: 1, roles.MANAGER: 2, roles.SUPERVISOR: 3}
SUPERUSER_RANK = 4
# The roles an account is given on the users page and through the API, in the order shown.
ASSIGNABLE_ROLES = (roles.OPERATOR, roles.SUPERVISOR, roles.MANAGER, roles.CLIENT_VIEWER, roles.SALES)
# The role an account shows: an assignable role, or `admin` for a superuser.
ACCOUNT_ROLES = (*ASSIGNABLE_ROLES, "admin")
TEMPORARY_PASSWORD_LENGTH = 14

# Audit actions
CREATED = "user.created"
UPDATED = "user.updated"
PASSWORD_RESET = "user.password_reset"
DEACTIVATED = "user.deactivated"
REACTIVATED = "user.reactivated"
IMPORTED = "users.imported"
# Set in the session at sign-in when the password was set by someone else: the middleware reads it
# without a query per request (a reset ends the user's sessions, so none outlives the flag).
PASSWORD_CHANGE_DUE_SESSION_KEY = "password_change_due"


class NotAllowed(PermissionError):
    """The actor may not do this to this account (the message says why, for people)."""


def role_of(user) -> str | None:
    """The account's highest product role, "admin" for a superuser, None without a role."""
    if user.is_superuser:
        return roles.ADMIN
    held = [role for role in roles.roles_of(user) if role in ROLE_RANK]
    return max(held, key=ROLE_RANK.__getitem__, default=None)


def rank_of(user) -> int:
    if user.is_superuser or IntegrationAccount.objects.filter(user_id=user.pk).exists():
        return SUPERUSER_RANK
    role = role_of(user)
    return ROLE_RANK.get(role, 0)


def may_manage_users(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or roles.can(user, roles.MANAGE_LISTS))


def may_grant(actor, role: str) -> bool:
    return actor.is_superuser or ROLE_RANK[role] <= rank_of(actor)


def may_change(actor, user) -> bool:
    return actor.is_superuser or rank_of(user) <= rank_of(actor)


def check_may_grant(actor, role: str) -> None:
    if not may_grant(actor, role):
        raise NotAllowed(_("You cannot give a role above your own."))


def check_may_change(actor, user) -> None:
    if not may_change(actor, user):
        raise NotAllowed(_("You cannot change an account with more rights than your own."))


def temporary_password() -> str:
    """A password to hand over once; its owner chooses their own at the first sign-in."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def split_name(name: str) -> tuple[str, str]:
    """ "鈴木 一郎" (a full-width space too) → ("鈴木", "一郎"): family name first, as written."""
    parts = name.replace("\u3000", " ").strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def full_name(user) -> str:
    return f"{user.last_name} {user.first_name}".strip()


def set_role(user, role: str) -> None:
    """Exactly one product role; groups that are not product roles (composed by an admin) stay."""
    role_groups = Group.objects.filter(name__in=roles.ROLE_GROUPS.values())
    current = set(user.groups.filter(pk__in=role_groups).values_list("name", flat=True))
    wanted = roles.ROLE_GROUPS[role]
    if current == {wanted}:
        return
    stale = [g for g in role_groups if g.name in current and g.name != wanted]
    if stale:
        user.groups.remove(*stale)
    if wanted not in current:
        user.groups.add(Group.objects.get(name=wanted))


def require_password_change(user, *, by) -> None:
    PasswordChangeDue.objects.update_or_create(user=user, defaults={"set_by": by if by and by.pk else None})


def password_change_due(user) -> bool:
    return user.is_authenticated and PasswordChangeDue.objects.filter(user_id=user.pk).exists()


def password_changed_by_owner(user, session=None) -> None:
    PasswordChangeDue.objects.filter(user_id=user.pk).delete()
    if session is not None:
        session.pop(PASSWORD_CHANGE_DUE_SESSION_KEY, None)


@receiver(user_logged_in, dispatch_uid="callcenter.people.note_password_change_due")
def note_password_change_due(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session") and password_change_due(user):
        request.session[PASSWORD_CHANGE_DUE_SESSION_KEY] = True


def end_sessions_and_tokens(user, *, by, reason: str) -> int:
    """Every browser session of the user ends at its next request, every token stops working."""
    SessionCutoff.objects.update_or_create(user=user, defaults={"not_before": timezone.now()})
    return tokens.revoke_all(user, by=by, reason=reason)


@transaction.atomic
def set_password_for(user, *, by, password: str | None = None) -> str:
    """Give the user a password someone else knows (the one given, or a new temporary one): they
    must choose their own at the next sign-in; their sessions and tokens end. Returns it."""
    check_may_change(by, user)
    password = password or temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    require_password_change(user, by=by)
    end_sessions_and_tokens(user, by=by, reason="password reset")
    record_event(actor=by, action=PASSWORD_RESET, target=user, summary=user.get_username())
    return password


@transaction.atomic
def set_active(user, *, by, active: bool) -> bool:
    """Deactivate (or reactivate) an account; False when it already was. A deactivated user's
    sessions and tokens stop at once (a deactivated user is not authenticated by either, and both
    are ended so that reactivating does not bring them back)."""
    check_may_change(by, user)
    if active is False and user.pk == by.pk:
        raise NotAllowed(_("You cannot deactivate your own account."))
    changed = get_user_model().objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
    user.is_active = active
    if not changed:
        return False
    if not active:
        end_sessions_and_tokens(user, by=by, reason="deactivated")
    record_event(actor=by, action=REACTIVATED if active else DEACTIVATED, target=user, summary=user.get_username())
    return True
