"""Bulk actions on the customer list: the ticked rows or everything the filters match; a
confirmation page says how many customers before anything is done."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles

from .. import selectors
from ..forms import CustomerFilterForm, campaign_model
from ..models import DoNotCall
from ..services import bulk, exports

ACTIONS = ("tag", "dnc", "export")


def _selection(post):
    """(customers, filters as a dict, how they were chosen) from the posted selection."""
    query = post.get("query", "").lstrip("?")
    filters = CustomerFilterForm(QueryDict(query)).filters()
    customers = selectors.customers_filtered(filters)
    described = filters.as_dict()
    if post.get("scope") != "filter":
        ids = [int(value) for value in post.getlist("ids") if value.isdigit()]
        customers = customers.filter(pk__in=ids)
        described = {**described, "ticked": len(ids)}
    return customers, described, query


@roles.permission_required(roles.MANAGE_LISTS)
@require_POST
def customer_bulk(request):
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest(_("Choose an action."))
    if action == "export" and not roles.can(request.user, roles.EXPORT_DATA):
        return HttpResponseBadRequest(_("Choose an action."))
    customers, filters, query = _selection(request.POST)
    back = reverse("contacts:customer_list") + (f"?{query}" if query else "")
    count = customers.order_by().count()
    if count == 0:
        messages.warning(request, _("No customer is selected: tick rows, or choose every customer the filters match."))
        return redirect(back)
    campaign = None
    if request.POST.get("campaign", "").isdigit():
        campaign = campaign_model().objects.filter(pk=int(request.POST["campaign"])).first()
    if request.POST.get("confirmed") != str(count):
        # Asked once more, with the number; a count that changed since (rows added or removed
        # by someone else) asks again instead of acting on a different number of customers.
        return render(
            request,
            "contacts/customer_bulk_confirm.html",
            {
                "action": action,
                "count": count,
                "post": request.POST,
                "ids": request.POST.getlist("ids"),
                "campaign": campaign,
                "reasons": DoNotCall.Reason.choices,
                "campaigns": campaign_model().objects.order_by("name"),
                "back": back,
            },
        )
    try:
        if action == "tag":
            changed = bulk.tag_customers(
                customers=customers, tag=request.POST.get("tag", ""), by=request.user, filters=filters
            )
            messages.success(request, _("Tag added to %(n)s customers.") % {"n": changed})
        elif action == "dnc":
            covered = bulk.register_dnc_for_customers(
                customers=customers,
                reason=request.POST.get("reason", ""),
                campaign=campaign,
                note=request.POST.get("note", "")[:1000],
                by=request.user,
                filters=filters,
            )
            messages.success(request, _("%(n)s customers are on the do-not-call registry.") % {"n": covered})
        else:
            description = _("Customer export (selection): %(filters)s") % {
                "filters": json.dumps(filters, ensure_ascii=False)
            }
            chunks = exports.export_customers_csv(
                customers=customers, by=request.user, filters=filters, description=description
            )
            response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{exports.export_filename()}"'
            response["Cache-Control"] = "no-store"
            return response
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)
