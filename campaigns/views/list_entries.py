"""One entry of a call list by hand: add a customer (the build's exclusion checks, with the reason
when refused), remove an entry (cancelled, never deleted)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from contacts.models import Customer

from ..models import CallList, CallListEntry
from ..services import list_entries as service

manage = roles.permission_required(roles.MANAGE_LISTS)


@manage
@require_POST
def list_entry_add(request, pk):
    call_list = get_object_or_404(CallList, pk=pk)
    external_id = request.POST.get("customer", "").strip()
    customer = Customer.objects.filter(external_id=external_id).first() if external_id else None
    if customer is None:
        messages.error(request, _("No customer has the customer ID %(id)s.") % {"id": external_id or "—"})
        return redirect("campaigns:list_detail", pk=call_list.pk)
    try:
        service.add_customer(call_list=call_list, customer=customer, by=request.user)
    except service.EntryRefused as refusal:
        messages.error(request, f"{customer.name} ({customer.external_id}): {refusal}")
    else:
        messages.success(request, _("%(name)s is added at the end of the list.") % {"name": customer.name})
    return redirect("campaigns:list_detail", pk=call_list.pk)


@manage
@require_POST
def list_entry_cancel(request, pk, entry_id):
    entry = get_object_or_404(CallListEntry, pk=entry_id, call_list_id=pk)
    try:
        service.cancel_entry(entry_id=entry.pk, by=request.user)
    except service.EntryRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The entry is removed from the list (cancelled; its calls stay on record)."))
    return redirect("campaigns:list_detail", pk=pk)
