"""The script walk-through panel as a preview for supervisors, with a sample customer. The same
panel in the operator console, for the call being made, is served by campaigns (which knows the
call an operator holds and the script it uses): see campaigns.views.console_walk."""

from django.shortcuts import get_object_or_404, render

from callcenter import roles
from contacts.models import Customer

from .. import selectors
from ..models import ScriptVersion


@roles.permission_required(roles.MANAGE_LISTS)
def version_preview(request, pk):
    """The operator's panel for any version (drafts too) with a chosen sample customer."""
    version = get_object_or_404(ScriptVersion.objects.select_related("script"), pk=pk)
    q = request.GET.get("q", "").strip()
    customer = None
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit():
        customer = Customer.objects.filter(pk=customer_id).first()
    # The campaigns that use this script (their relation to it), for the {{ campaign.name }} placeholder.
    campaigns = version.script.campaigns.order_by("name")
    campaign_id = request.GET.get("campaign", "")
    campaign = campaigns.filter(pk=campaign_id).first() if campaign_id.isdigit() else campaigns.first()
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
