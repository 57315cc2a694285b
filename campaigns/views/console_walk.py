"""The talk-script panel of the operator console: the scripts app's walk-through for the call the
operator holds. Campaigns knows the hold and which script variant this customer hears; scripts
builds and renders the panel from what is passed to it (version, customer, campaign, operator)."""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _

from callcenter import roles
from scripts import selectors as script_selectors

from ..selectors.console import held_entry
from ..services.script_choice import choose_script_version

PANEL = "scripts/walk/panel.html"
PAGE = "scripts/walk/page.html"
UNAVAILABLE = "scripts/walk/unavailable.html"


def _unavailable(request, message, status):
    return render(request, UNAVAILABLE, {"message": message}, status=status)


def console_walk(request, entry_id):
    """The panel for the entry the operator holds (hx-get from the console page); opened directly,
    a page of its own."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not roles.can(request.user, roles.USE_CONSOLE):
        return _unavailable(request, _("Only operators can walk through scripts in the console."), 403)
    entry = held_entry(request.user, entry_id=entry_id)
    if entry is None:
        return _unavailable(request, _("This call is no longer yours: take the next call."), 409)
    version = choose_script_version(campaign=entry.campaign, customer=entry.customer)
    context = {"entry": entry, "preview": False, "customer": entry.customer, "campaign": entry.campaign}
    if version is not None:
        context["panel"] = script_selectors.walk_panel(
            version=version, customer=entry.customer, campaign=entry.campaign, operator=request.user
        )
    return render(request, PANEL if request.headers.get("HX-Request") else PAGE, context)
