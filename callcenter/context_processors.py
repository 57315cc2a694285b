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
    (_("Callbacks"), "campaigns:callback_list", "telephone-forward", (roles.MANAGE_LISTS,)),
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


# The menu groups pages so the bar fits one row at 1366 px whatever a role sees: a group is a
# dropdown in the bar where its first page stands, or a plain link when the user sees only one of
# its pages. A page not named here is a link of its own. New pages join a group here.
NAV_GROUPS = [
    (
        _("Customers"),
        "people",
        ["contacts:customer_list", "contacts:import_list", "contacts:dnc_list", "contacts:segment_list"],
    ),
    (
        _("Campaigns"),
        "megaphone",
        [
            "campaigns:campaign_list",
            "campaigns:policy_list",
            "scripts:script_list",
            "campaigns:callback_list",
            "campaigns:appointment_calendar",
        ],
    ),
    (
        _("Monitoring"),
        "graph-up",
        [
            "campaigns:dashboard",
            "campaigns:wallboard",
            "campaigns:console_board",
            "campaigns:compliance_index",
            "audit_list",
        ],
    ),
]
_GROUP_OF = {url_name: index for index, (_label, _icon, names) in enumerate(NAV_GROUPS) for url_name in names}


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
    """`nav_items`: the pages the user may open; `nav_entries`: the same as the bar shows them,
    each a link ({label, url, icon, active}) or a group ({label, icon, active, children})."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or _before_second_factor(request, user):
        return {"nav_items": [], "nav_entries": []}
    items = []
    path = request.path
    for label, url_name, icon, perms in NAV_ITEMS:
        if not roles.can(user, *perms):
            continue
        url = reverse(url_name)
        items.append(
            {"label": label, "url": url, "icon": icon, "active": path.startswith(url), "group": _GROUP_OF.get(url_name)}
        )
    return {"nav_items": items, "nav_entries": _entries(items), "user_roles": roles.roles_of(user)}


def _entries(items: list[dict]) -> list[dict]:
    entries, groups = [], {}
    for item in items:
        index = item["group"]
        if index is None:
            entries.append(item)
        elif index in groups:
            groups[index]["children"].append(item)
        else:
            label, icon, _names = NAV_GROUPS[index]
            groups[index] = {"label": label, "icon": icon, "children": [item], "group": index}
            entries.append(groups[index])
    shown = []
    for entry in entries:
        if "children" in entry and len(entry["children"]) == 1:
            entry = entry["children"][0]  # one page of the group: a plain link
        elif "children" in entry:
            entry["active"] = any(item["active"] for item in entry["children"])
        shown.append(entry)
    return shown
