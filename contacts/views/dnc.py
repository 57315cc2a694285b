"""Do-not-call registry pages: the list, adding an entry, an entry with its history, revoking,
and the registry's audit trail."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles

from .. import selectors
from ..forms import DncCreateForm, DncFilterForm, DncRevokeForm, add_service_errors
from ..models import Customer, DoNotCall
from ..phones import format_national
from ..services import dnc as dnc_service
from ..services import exports

PER_PAGE = 50


def _filtered(request):
    """(form, filter values, entries) as the list page filters them; the export uses the same."""
    form = DncFilterForm(request.GET or None)
    values = form.values() if request.GET else DncFilterForm({}).values()
    scope = values["scope"]
    entries = selectors.dnc_entries(
        q=values["q"],
        status=values["status"],
        reason=values["reason"],
        source=values["source"],
        campaign="global" if scope == "global" else None,
    )
    if scope == "campaign":
        entries = entries.filter(campaign__isnull=False)
    return form, values, entries


@roles.permission_required(roles.MANAGE_LISTS, roles.VIEW_AUDIT)
def dnc_list(request):
    form, values, entries = _filtered(request)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    for entry in page:
        entry.display_phone = format_national(entry.phone_number) if entry.phone_number else ""
    if not request.GET:
        form = DncFilterForm(initial={"status": "active"})
    return render(
        request,
        "contacts/dnc_list.html",
        {
            "form": form,
            "page": page,
            "can_manage": roles.can(request.user, roles.MANAGE_LISTS),
            "can_audit": roles.can(request.user, roles.VIEW_AUDIT),
            "can_export": roles.can(request.user, roles.EXPORT_DATA),
            "query": request.GET.urlencode(),
            "status": values["status"],
        },
    )


@roles.permission_required(roles.MANAGE_LISTS)
def dnc_create(request):
    if request.method == "POST":
        form = DncCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = dnc_service.register_dnc(
                    by=request.user,
                    phone=data["phone"],
                    customer=data["customer"],
                    campaign=data["campaign"],
                    reason=data["reason"],
                    source=data["source"],
                    expires_at=data["expires_at"],
                    note=data["note"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The entry is on the do-not-call registry. It applies at once."))
                return redirect("contacts:dnc_detail", pk=entry.pk)
    else:
        initial = {}
        customer = (
            Customer.objects.filter(pk=request.GET.get("customer") or 0).first()
            if str(request.GET.get("customer", "")).isdigit()
            else None
        )
        if customer:
            initial["customer"] = customer.external_id
        if request.GET.get("phone"):
            initial["phone"] = request.GET["phone"][:40]
        form = DncCreateForm(initial=initial)
    return render(request, "contacts/dnc_form.html", {"form": form})


@roles.permission_required(roles.MANAGE_LISTS, roles.VIEW_AUDIT)
def dnc_detail(request, pk):
    entry = get_object_or_404(
        DoNotCall.objects.select_related("customer", "campaign", "created_by", "revoked_by"), pk=pk
    )
    entry.display_phone = format_national(entry.phone_number) if entry.phone_number else ""
    return render(
        request,
        "contacts/dnc_detail.html",
        {
            "entry": entry,
            "events": selectors.dnc_audit_events(entry),
            "revoke_form": DncRevokeForm(),
            "can_manage": roles.can(request.user, roles.MANAGE_LISTS),
        },
    )


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def dnc_revoke(request, pk):
    entry = get_object_or_404(DoNotCall, pk=pk)
    form = DncRevokeForm(request.POST)
    if form.is_valid():
        try:
            dnc_service.revoke_dnc(entry=entry, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The entry was revoked. It is kept in the registry as evidence."))
        return redirect("contacts:dnc_detail", pk=entry.pk)
    entry = DoNotCall.objects.select_related("customer", "campaign", "created_by", "revoked_by").get(pk=pk)
    entry.display_phone = format_national(entry.phone_number) if entry.phone_number else ""
    return render(
        request,
        "contacts/dnc_detail.html",
        {
            "entry": entry,
            "events": selectors.dnc_audit_events(entry),
            "revoke_form": form,
            "can_manage": True,
        },
        status=400,
    )


@roles.permission_required(roles.VIEW_AUDIT)
def dnc_audit(request):
    events = selectors.dnc_audit_events()
    action = request.GET.get("action", "")
    if action in ("dnc.create", "dnc.revoke"):
        events = events.filter(action=action)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    reasons, sources = dict(DoNotCall.Reason.choices), dict(DoNotCall.Source.choices)
    customer_ids = {event.data.get("customer_id") for event in page if event.data.get("customer_id")}
    customers = Customer.objects.in_bulk([pk for pk in customer_ids if isinstance(pk, int)])
    for event in page:
        event.customer = customers.get(event.data.get("customer_id"))
        phone_number = event.data.get("phone_number") or ""
        event.display_phone = format_national(phone_number) if phone_number else ""
        event.reason_label = reasons.get(event.data.get("reason"), event.data.get("reason", ""))
        event.source_label = sources.get(event.data.get("source"), event.data.get("source", ""))
    return render(request, "contacts/dnc_audit.html", {"page": page, "action": action})


@roles.permission_required(roles.EXPORT_DATA)
def dnc_export(request):
    _form, values, entries = _filtered(request)
    chunks = exports.export_dnc_csv(entries=entries, by=request.user, filters=values)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="do-not-call-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
