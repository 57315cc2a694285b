"""Roles are Django groups carrying the permissions of callcenter.Access.

Views and the API check capabilities (permissions), never group names, so a superuser passes
everything and a custom group can be composed by an admin."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

SUPERVISOR = "supervisor"
OPERATOR = "operator"
MANAGER = "manager"
CLIENT_VIEWER = "client_viewer"
SALES = "sales"
ADMIN = "admin"

# Group name -> role slug (the slug is what the API reports in /api/v1/me/).
GROUP_NAMES = {
    "Supervisor": SUPERVISOR,
    "Operator": OPERATOR,
    "Manager": MANAGER,
    "Client viewer": CLIENT_VIEWER,
    "Sales": SALES,
}
ROLE_GROUPS = {slug: name for name, slug in GROUP_NAMES.items()}

# Role -> codenames of callcenter.Access permissions (callcenter migrations 0002_role_groups and
# 0004_sales_role have copies).
ROLE_PERMISSIONS = {
    SUPERVISOR: ["manage_lists", "view_customers", "view_dashboard", "export_data", "view_audit"],
    OPERATOR: ["use_console"],
    MANAGER: ["view_customers", "view_dashboard", "export_data", "view_audit"],
    CLIENT_VIEWER: ["view_client_kpis"],
    SALES: ["work_appointments"],
}

MANAGE_LISTS = "callcenter.manage_lists"
USE_CONSOLE = "callcenter.use_console"
VIEW_CUSTOMERS = "callcenter.view_customers"
VIEW_DASHBOARD = "callcenter.view_dashboard"
VIEW_CLIENT_KPIS = "callcenter.view_client_kpis"
EXPORT_DATA = "callcenter.export_data"
VIEW_AUDIT = "callcenter.view_audit"
# A salesperson's own appointments: their calendar, marking each held, cancelled, rescheduled or
# no-show, and their own appointments through the API.
WORK_APPOINTMENTS = "callcenter.work_appointments"

# Campaign costs (labour per hour, telecom per minute, fixed) and the figures made of them are for
# the people who run campaigns and for the client who pays for them; an operator's own cost figure
# would tell the hourly rate.
SEE_COSTS = (MANAGE_LISTS, VIEW_DASHBOARD, VIEW_CLIENT_KPIS)


def sync_role_groups(Group, Permission, ContentType) -> None:
    """Create the role groups with their permissions; idempotent. Test fixtures call it after a
    flush; a new database gets the groups from callcenter migration 0002_role_groups."""
    from .models import Access

    content_type, _ = ContentType.objects.get_or_create(app_label="callcenter", model="access")
    perms = {}
    for codename, name in Access._meta.permissions:
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": str(name)}
        )
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[role])
        group.permissions.add(*(perms[c] for c in codenames))


def roles_of(user) -> list[str]:
    if not user.is_authenticated:
        return []
    names = user.groups.values_list("name", flat=True)
    roles = sorted({GROUP_NAMES[name] for name in names if name in GROUP_NAMES})
    if user.is_superuser:
        roles.append(ADMIN)
    return roles


def can(user, *perms: str) -> bool:
    """True when the user holds any of the given permissions."""
    return user.is_authenticated and any(user.has_perm(perm) for perm in perms)


def permission_required(*perms: str):
    """View decorator: anonymous users go to the login page, others without the permission
    get the 403 page (never a crash, never a redirect loop)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, *perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class PermissionRequiredMixin:
    """Class-based view counterpart of permission_required: set `required_perms`."""

    required_perms: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can(request.user, *self.required_perms):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def api_permission(*perms: str):
    """DRF permission class allowing users that hold any of `perms`."""

    class HasProductPermission(BasePermission):
        def has_permission(self, request, view):
            return can(request.user, *perms)

    HasProductPermission.__name__ = "Has_" + "_or_".join(p.split(".")[-1] for p in perms)
    return HasProductPermission


def home_url_name(user) -> str:
    """Where a user lands after login: the main page of their role."""
    if can(user, MANAGE_LISTS):
        return "contacts:customer_list"
    if can(user, USE_CONSOLE):
        return "campaigns:console"
    if can(user, VIEW_DASHBOARD):
        return "campaigns:dashboard"
    if can(user, VIEW_CLIENT_KPIS):
        return "campaigns:client_kpis"
    if can(user, WORK_APPOINTMENTS):
        return "campaigns:appointment_calendar"
    return "no_role"
