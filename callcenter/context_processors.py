from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import roles

# (label, url name, icon, permissions that may see it)
NAV_ITEMS = [
    (_("Console"), "campaigns:console", "telephone", (roles.USE_CONSOLE,)),
    (_("Customers"), "contacts:customer_list", "people", (roles.VIEW_CUSTOMERS,)),
    (_("Imports"), "contacts:import_list", "upload", (roles.MANAGE_LISTS,)),
    (_("Do-not-call"), "contacts:dnc_list", "telephone-x", (roles.MANAGE_LISTS, roles.VIEW_AUDIT)),
    (_("Segments"), "contacts:segment_list", "funnel", (roles.MANAGE_LISTS,)),
    (_("Campaigns"), "campaigns:campaign_list", "megaphone", (roles.MANAGE_LISTS,)),
    (_("Policies"), "campaigns:policy_list", "shield-check", (roles.MANAGE_LISTS,)),
    (_("Scripts"), "scripts:script_list", "journal-text", (roles.MANAGE_LISTS,)),
    (
        _("Appointments"),
        "campaigns:appointment_calendar",
        "calendar-week",
        (roles.MANAGE_LISTS, roles.WORK_APPOINTMENTS),
    ),
    (_("Dashboard"), "campaigns:dashboard", "graph-up", (roles.VIEW_DASHBOARD,)),
    (_("Wallboard"), "campaigns:wallboard", "display", (roles.VIEW_DASHBOARD,)),
    (_("Live board"), "campaigns:console_board", "people-fill", (roles.MANAGE_LISTS, roles.VIEW_DASHBOARD)),
    (_("KPIs"), "campaigns:client_kpis", "bar-chart", (roles.VIEW_CLIENT_KPIS,)),
    (
        _("Compliance"),
        "campaigns:compliance_index",
        "patch-check",
        (roles.MANAGE_LISTS, roles.VIEW_DASHBOARD, roles.VIEW_CLIENT_KPIS),
    ),
    (_("Audit"), "audit_list", "clipboard-check", (roles.VIEW_AUDIT,)),
]


def _before_second_factor(request, user) -> bool:
    """On the code and set-up pages of a user who still owes the second factor, the menu would
    only lead back there."""
    from .signin import middleware, two_factor

    match = getattr(request, "resolver_match", None)
    return (
        match is not None
        and match.view_name in middleware.BEFORE_SECOND_FACTOR
        and hasattr(user, "is_verified")
        and not user.is_verified()
        and two_factor.must_verify(user)
    )


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or _before_second_factor(request, user):
        return {"nav_items": []}
    items = []
    path = request.path
    for label, url_name, icon, perms in NAV_ITEMS:
        if not roles.can(user, *perms):
            continue
        url = reverse(url_name)
        items.append({"label": label, "url": url, "icon": icon, "active": path.startswith(url)})
    return {"nav_items": items, "user_roles": roles.roles_of(user)}
