"""The script walk-through panel: in the operator console for the call being made, and as a
preview for supervisors with a sample customer.

The console panel is the one place where scripts reaches up to campaigns: its URL contract takes a
CallListEntry id, and the variant choice lives in campaigns.services.script_choice. The entry is
read through the app registry and the choice function imported inside the view, so importing the
scripts app never imports campaigns."""

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from callcenter import roles
from contacts.models import Customer

from .. import selectors
from ..models import ScriptVersion

PANEL = "scripts/walk/panel.html"
UNAVAILABLE = "scripts/walk/unavailable.html"


def _unavailable(request, message, status):
    return render(request, UNAVAILABLE, {"message": message}, status=status)


def console_walk(request, entry_id):
    """The panel for the entry the operator holds (hx-get from the console page)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not roles.can(request.user, roles.USE_CONSOLE):
        return _unavailable(request, _("Only operators can walk through scripts in the console."), 403)
    from campaigns.selectors.console import held_entry

    entry = held_entry(request.user, entry_id=entry_id)
    if entry is None:
        return _unavailable(request, _("This call is no longer yours: take the next call."), 409)
    from campaigns.services.script_choice import choose_script_version

    version = choose_script_version(campaign=entry.campaign, customer=entry.customer)
    context = {"entry": entry, "preview": False, "customer": entry.customer, "campaign": entry.campaign}
    if version is not None:
        context["panel"] = selectors.walk_panel(
            version=version, customer=entry.customer, campaign=entry.campaign, operator=request.user
        )
    template = PANEL if request.headers.get("HX-Request") else "scripts/walk/page.html"
    return render(request, template, context)


@roles.permission_required(roles.MANAGE_LISTS)
def version_preview(request, pk):
    """The operator's panel for any version (drafts too) with a chosen sample customer."""
    version = get_object_or_404(ScriptVersion.objects.select_related("script"), pk=pk)
    q = request.GET.get("q", "").strip()
    customer = None
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit():
        customer = Customer.objects.filter(pk=customer_id).first()
    Campaign = apps.get_model("campaigns", "Campaign")
    campaigns = Campaign.objects.order_by("name")
    campaign = None
    campaign_id = request.GET.get("campaign", "")
    if campaign_id.isdigit():
        campaign = campaigns.filter(pk=campaign_id).first()
    elif version.script.campaigns.exists():
        campaign = version.script.campaigns.order_by("name").first()
    return render(
        request,
        "scripts/preview.html",
        {
            "version": version,
            "script": version.script,
            "panel": selectors.walk_panel(version=version, customer=customer, campaign=campaign, operator=request.user),
            "preview": True,
            "customer": customer,
            "campaign": campaign,
            "campaigns": campaigns,
            "candidates": selectors.search_customers(q) if q else selectors.search_customers("", limit=10),
            "q": q,
        },
    )
