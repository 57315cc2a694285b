"""The callbacks page: every waiting callback by campaign, operator and time, overdue ones marked;
a supervisor reassigns many at once or moves one in time (the calling rules still checked)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from callcenter import roles
from contacts.phones import format_national

from ..forms.callbacks import CallbackFilterForm, MoveForm, ReassignForm
from ..models import CallListEntry
from ..selectors.callbacks import SHARED, waiting_callbacks
from ..selectors.setup import operator_users
from ..services import callbacks as service
from ..services import scheduling

manage = roles.permission_required(roles.MANAGE_LISTS)


@manage
def callback_list(request):
    filters = CallbackFilterForm(request.GET or None)
    values = filters.values() if request.GET else CallbackFilterForm({}).values()
    page = Paginator(waiting_callbacks(**values), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    for entry in page:
        zone = scheduling.zone(entry.customer.time_zone)
        entry.is_overdue = entry.callback_at is not None and entry.callback_at < now
        entry.local_time = entry.callback_at.astimezone(zone) if zone and entry.callback_at else None
        entry.other_zone = entry.customer.time_zone != timezone.get_current_timezone_name()
        entry.display_phone = format_national(entry.phone) or entry.phone
    return render(
        request,
        "campaigns/callbacks/callback_list.html",
        {"filters": filters, "page": page, "reassign": ReassignForm(), "query": request.GET.urlencode()},
    )


def _back(request):
    """To the page as it was filtered."""
    query = request.POST.get("query", "")
    return redirect(reverse("campaigns:callback_list") + (f"?{query}" if query else ""))


@manage
@require_POST
def callback_reassign(request):
    form = ReassignForm(request.POST)
    ids = [int(value) for value in request.POST.getlist("entries") if value.isdigit()]
    if not ids:
        messages.error(request, _("Tick the callbacks to reassign first."))
        return _back(request)
    if not form.is_valid():
        messages.error(request, _("Choose whom to give them to."))
        return _back(request)
    choice = form.cleaned_data["operator"]
    operator = None if choice == SHARED else get_object_or_404(operator_users(), pk=int(choice))
    result = service.reassign_callbacks(entry_ids=ids, operator=operator, by=request.user)
    if result["moved"]:
        messages.success(
            request,
            ngettext("%(n)s callback reassigned.", "%(n)s callbacks reassigned.", len(result["moved"]))
            % {"n": len(result["moved"])},
        )
    for entry_id, reason in sorted(result["refused"].items()):
        messages.warning(request, _("Callback %(id)s not changed: %(reason)s") % {"id": entry_id, "reason": reason})
    return _back(request)


@manage
@require_POST
def callback_move(request, pk):
    entry = get_object_or_404(CallListEntry.objects.select_related("customer"), pk=pk, status="callback")
    form = MoveForm(request.POST, zone=scheduling.zone(entry.customer.time_zone) or timezone.get_current_timezone())
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("callback_at", [])))
        return _back(request)
    try:
        service.move_callback(entry_id=entry.pk, at=form.cleaned_data["callback_at"], by=request.user)
    except ValidationError as error:
        messages.error(request, _("Callback not moved: %(reason)s") % {"reason": " ".join(error.messages)})
    else:
        messages.success(request, _("Callback moved."))
    return _back(request)
