"""Integration accounts: users that are systems (a CRM sync, a dialer), with no password, the only
users that hold long-lived API tokens (callcenter.signin.tokens.issue_integration_token)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from ..audit import record_event
from ..models import IntegrationAccount

CREATED = "integration.created"  # audit action


@transaction.atomic
def create_integration_account(username: str, *, groups=(), note: str = "", by=None) -> IntegrationAccount:
    user = get_user_model()(username=username)
    user.set_unusable_password()  # it never signs in on a page, and so never needs a second factor
    user.save()
    user.groups.set(groups)
    account = IntegrationAccount.objects.create(user=user, note=note)
    record_event(
        actor=by,
        action=CREATED,
        target=user,
        summary=username,
        groups=sorted(group.name for group in groups),
        via="admin" if by is not None else "manage.py",
    )
    return account
