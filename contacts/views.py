"""Pages of the customer database, the do-not-call registry and segments."""

import json
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles

from . import selectors
from .forms import CustomerFilterForm, DncCreateForm, DncFilterForm, DncRevokeForm, SegmentForm
from .models import Customer, DoNotCall, Segment
from .phones import format_national
from .segments import builder_schema, customers_matching, describe_criteria, validate_criteria
from .services import dnc as dnc_service
from .services import exports
from .services import segments as segment_service

PER_PAGE = 50
COUNT_LIMIT = 10_000
# Below this many customers the unfiltered list shows an exact count instead of an estimate.
EXACT_TOTAL_BELOW = 50_000


# ---------------------------------------------------------------- customers


@dataclass
class ListPage:
    """One page of a list whose total may be capped: like Django's Page, without COUNT(*) over
    every match on each filter change."""

    object_list: list
    number: int
    per_page: int
    has_next: bool
    total: int
    total_exact: bool
    total_estimated: bool = False

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self):
        return (self.number - 1) * self.per_page + len(self.object_list)

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def num_pages(self):
        if not self.total_exact:
            return None
        return max(1, -(-self.total // self.per_page))


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100_000))
    except (TypeError, ValueError):
        return 1


def _customer_page(request, customers, *, filtered: bool) -> ListPage:
    number = _page_number(request)
    offset = (number - 1) * PER_PAGE
    rows = selectors.list_rows(customers, offset=offset, limit=PER_PAGE + 1)
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    if not filtered:
        total = selectors.estimated_customer_total()
        if total < EXACT_TOTAL_BELOW:
            return ListPage(rows, number, PER_PAGE, has_next, customers.count(), True)
        return ListPage(rows, number, PER_PAGE, has_next, total, False, total_estimated=True)
    if not has_next and (rows or number == 1):
        return ListPage(rows, number, PER_PAGE, False, offset + len(rows), True)
    total, exact = selectors.count_up_to(customers, COUNT_LIMIT)
    return ListPage(rows, number, PER_PAGE, has_next, total, exact)


@roles.permission_required(roles.VIEW_CUSTOMERS)
def customer_list(request):
    form = CustomerFilterForm(request.GET)
    filters = form.filters()
    customers = selectors.customers_filtered(filters)
    page = _customer_page(request, customers, filtered=form.is_filtered())
    for customer in page.object_list:
        phones = list(customer.phones.all())
        primary = next((p for p in phones if p.is_primary), phones[0] if phones else None)
        customer.display_phone = format_national(primary.number) if primary else ""
        customer.display_phone_valid = bool(primary and primary.is_valid)
    tags = selectors.known_tags()
    if filters.tag and filters.tag not in tags:  # a tag newer than the cached menu stays selected
        tags = [filters.tag, *tags]
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "prefectures": selectors.known_prefectures(),
        "tags": tags,
        "can_export": roles.can(request.user, roles.EXPORT_DATA),
        "can_manage": roles.can(request.user, roles.MANAGE_LISTS),
        "query": request.GET.urlencode(),
    }
    template = "contacts/customer_list.html"
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "customer-results":
        template = "contacts/_customer_results.html"
    return render(request, template, context)


@roles.permission_required(roles.VIEW_CUSTOMERS)
def customer_detail(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    phones = selectors.customer_phones(customer)
    blocked = selectors.blocked_numbers(customer)
    for phone in phones:
        phone.display = format_national(phone.number)
        phone.blocked = phone.number in blocked
    history = list(selectors.customer_dnc_history(customer))
    for entry in history:
        entry.display_phone = format_national(entry.phone_number) if entry.phone_number else ""
    attempts = list(selectors.customer_timeline(customer))
    for attempt in attempts:
        attempt.display_phone = format_national(attempt.phone)
    active_global = [entry for entry in history if entry.is_active() and entry.campaign_id is None]
    active_campaign = [entry for entry in history if entry.is_active() and entry.campaign_id is not None]
    context = {
        "customer": customer,
        "phones": phones,
        "dnc_history": history,
        "dnc_active_global": active_global,
        "dnc_active_campaign": active_campaign,
        "attempts": attempts,
        "attributes": sorted(customer.attributes.items()) if isinstance(customer.attributes, dict) else [],
        "age": customer.age(),
        "can_manage": roles.can(request.user, roles.MANAGE_LISTS),
    }
    return render(request, "contacts/customer_detail.html", context)


@roles.permission_required(roles.EXPORT_DATA)
def customer_export(request):
    filters = CustomerFilterForm(request.GET).filters()
    customers = selectors.customers_filtered(filters)
    description = _("Customer export: %(filters)s") % {
        "filters": json.dumps(filters.as_dict(), ensure_ascii=False) if filters.as_dict() else _("all customers")
    }
    chunks = exports.export_customers_csv(
        customers=customers,
        by=request.user,
        filters=filters.as_dict(),
        description=description,
    )
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename()}"'
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- do-not-call registry


@roles.permission_required(roles.MANAGE_LISTS, roles.VIEW_AUDIT)
def dnc_list(request):
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
                _add_errors(form, error)
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


def _add_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


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


# ---------------------------------------------------------------- segments


@roles.permission_required(roles.MANAGE_LISTS)
def segment_list(request):
    segments = list(selectors.segments_list())
    for segment in segments:
        segment.summary = describe_criteria(segment.criteria)
    return render(request, "contacts/segment_list.html", {"segments": segments})


def _builder_context(form, segment=None):
    criteria = (
        form["criteria"].value()
        if form.is_bound
        else json.dumps(segment.criteria if segment else {"match": "all", "rules": []}, ensure_ascii=False)
    )
    schema = builder_schema()
    schema["suggestions"] = _value_suggestions()
    labels = {
        "field": _("Field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "key": _("Attribute key"),
        "known": _("is known"),
        "unknown": _("is unknown"),
        "yes": _("yes"),
        "no": _("no"),
        "low": _("from"),
        "high": _("to"),
        "comma": _("values, separated by commas"),
        "remove": _("Remove rule"),
        "and": _("and"),
        "or": _("or"),
        "group": _("Group of rules (edit through the API)"),
    }
    return {"form": form, "segment": segment, "criteria_json": criteria or "{}", "schema": schema, "labels": labels}


def _value_suggestions() -> dict:
    """Known values for free-text fields (dispositions, reactions, prefectures, tags), offered
    as suggestions in the builder. Models of other apps are reached through the registry of
    installed apps, not imported."""
    from django.apps import apps

    suggestions = {"prefecture": selectors.known_prefectures(), "tag": selectors.known_tags()}
    try:
        disposition = apps.get_model("campaigns", "Disposition")
        attempt = apps.get_model("campaigns", "CallAttempt")
    except LookupError:  # pragma: no cover - campaigns is always installed in this product
        return suggestions
    suggestions["last_disposition"] = [[d.code, str(d)] for d in disposition.objects.all()]
    suggestions["last_reaction"] = [
        [value, str(label)] for value, label in attempt._meta.get_field("reaction").choices if value
    ]
    return suggestions


@roles.permission_required(roles.MANAGE_LISTS)
def segment_create(request):
    form = SegmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            segment = segment_service.create_segment(
                by=request.user,
                name=form.cleaned_data["name"],
                criteria=form.cleaned_data["criteria"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("contacts:segment_list")
    return render(request, "contacts/segment_builder.html", _builder_context(form))


@roles.permission_required(roles.MANAGE_LISTS)
def segment_edit(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                segment_service.update_segment(
                    segment=segment,
                    by=request.user,
                    name=form.cleaned_data["name"],
                    criteria=form.cleaned_data["criteria"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("contacts:segment_list")
    else:
        form = SegmentForm(initial={"name": segment.name, "description": segment.description})
    return render(request, "contacts/segment_builder.html", _builder_context(form, segment))


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def segment_duplicate(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        copy = segment_service.duplicate_segment(segment=segment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("contacts:segment_list")
    messages.success(request, _("Copied to “%(name)s”.") % {"name": copy.name})
    return redirect("contacts:segment_edit", pk=copy.pk)


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def segment_delete(request, pk):
    segment = Segment.objects.filter(pk=pk).first()
    if segment is None:
        messages.info(request, _("That segment was already deleted."))
        return redirect("contacts:segment_list")
    try:
        segment_service.delete_segment(segment=segment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("contacts:segment_list")


@require_POST
@roles.permission_required(roles.MANAGE_LISTS)
def segment_preview(request):
    """htmx: the live count (and a few sample customers) of the criteria being edited."""
    try:
        criteria = validate_criteria(json.loads(request.POST.get("criteria") or "{}"))
    except ValueError:
        return render(request, "contacts/_segment_count.html", {"errors": [_("The rules could not be read.")]})
    except ValidationError as error:
        return render(request, "contacts/_segment_count.html", {"errors": error.messages})
    customers = customers_matching(criteria)
    return render(
        request,
        "contacts/_segment_count.html",
        {
            "count": customers.count(),
            "sample": customers.order_by("-id")[:5],
            "summary": describe_criteria(criteria),
        },
    )


@roles.permission_required(roles.MANAGE_LISTS)
def segment_count(request, pk):
    """htmx: the current count of a saved segment (list page, loaded after the page)."""
    segment = get_object_or_404(Segment, pk=pk)
    try:
        count = customers_matching(segment.criteria).count()
    except ValidationError:
        return HttpResponse('<span class="badge text-bg-warning">{}</span>'.format(_("invalid rules")))
    url = reverse("contacts:customer_list") + f"?segment={segment.pk}"
    return HttpResponse(
        f'<a class="badge text-bg-primary text-decoration-none" href="{url}" data-testid="segment-count">{count:,}</a>'
    )
