"""The accounts on the users page and in GET /api/v1/users/: search, role and state filters."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from callcenter import roles
from callcenter.models import PasswordChangeDue

STATES = ("active", "inactive")
ROLE_FILTERS = (*roles.ROLE_GROUPS, roles.ADMIN)


def accounts(*, q: str = "", role: str = "", state: str = ""):
    """Accounts ordered by username, with `password_change_pending`; unknown filter values are the
    caller's to refuse (the page ignores them, the API answers 400)."""
    users = (
        get_user_model()
        .objects.annotate(password_change_pending=Exists(PasswordChangeDue.objects.filter(user=OuterRef("pk"))))
        .prefetch_related("groups", "operator_campaigns", "client_campaigns")
        .select_related("operator_profile")
        .order_by("username", "id")
    )
    q = q.strip()
    if q:
        words = q.replace("\u3000", " ").split()
        for word in words:
            users = users.filter(
                Q(username__icontains=word) | Q(last_name__icontains=word) | Q(first_name__icontains=word)
            )
    if role == roles.ADMIN:
        users = users.filter(is_superuser=True)
    elif role in roles.ROLE_GROUPS:
        users = users.filter(groups__name=roles.ROLE_GROUPS[role]).distinct()
    if state == "active":
        users = users.filter(is_active=True)
    elif state == "inactive":
        users = users.filter(is_active=False)
    return users
