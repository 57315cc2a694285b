"""Customer pages: the searchable list (capped counts), a customer's card and history, the CSV
export, the erasure of a customer on request."""

import json
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter import audit, roles

from .. import selectors
from ..attributes import attribute_display_value, attribute_label
from ..forms import CustomerFilterForm
from ..forms_customers import windows_as_text
from ..models import Customer
from ..phones import format_national
from ..services import erasure, exports

PER_PAGE = 50
COUNT_LIMIT = 10_000
# Below this many customers the unfiltered list shows an exact count instead of an estimate.
EXACT_TOTAL_BELOW = 50_000


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


def _shown_number(number: str) -> str:
    """A number as people read it; an erased one's hash shortened (it identifies nobody)."""
    return number[:8] + "…" if erasure.is_hashed(number) else format_national(number)


@roles.permission_required(roles.VIEW_CUSTOMERS)
def customer_detail(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    phones = selectors.customer_phones(customer)
    blocked = selectors.blocked_numbers(customer)
    for phone in phones:
        phone.display = _shown_number(phone.number)
        phone.blocked = phone.number in blocked
    history = list(selectors.customer_dnc_history(customer))
    for entry in history:
        entry.display_phone = _shown_number(entry.phone_number) if entry.phone_number else ""
    attempts = list(selectors.customer_timeline(customer))
    for attempt in attempts:
        attempt.display_phone = _shown_number(attempt.phone)
    changes = list(selectors.customer_changes(customer))
    # Events name a number by its phone row (the audit trail keeps no number); older ones by value.
    numbers_by_phone = {phone.pk: phone.number for phone in phones}
    for event in changes:
        event.label = audit.action_label(event.action)
        data = event.data if isinstance(event.data, dict) else {}
        number = data.get("number") or numbers_by_phone.get(data.get("phone"))
        event.display_number = _shown_number(number) if number else ""
    active_global = [entry for entry in history if entry.is_active() and entry.campaign_id is None]
    active_campaign = [entry for entry in history if entry.is_active() and entry.campaign_id is not None]
    context = {
        "customer": customer,
        "phones": phones,
        "dnc_history": history,
        "dnc_active_global": active_global,
        "dnc_active_campaign": active_campaign,
        "attempts": attempts,
        "attributes": [
            (key, attribute_label(key), attribute_display_value(value))
            for key, value in (sorted(customer.attributes.items()) if isinstance(customer.attributes, dict) else [])
        ],
        "age": customer.age(),
        "can_manage": roles.can(request.user, roles.MANAGE_LISTS),
        "changes": changes,
        "call_windows": windows_as_text(customer.preferred_call_windows).splitlines(),
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


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (e.g. the request's reference and date)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that this cannot be undone."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


@roles.permission_required(roles.MANAGE_LISTS)
def customer_erase(request, pk):
    """Deletion request: a confirmation page (what will be erased, what is kept), then the erasure."""
    customer = get_object_or_404(Customer, pk=pk)
    if customer.erased_at is not None:
        messages.info(request, _("This customer was erased already."))
        return redirect("contacts:customer_detail", pk=customer.pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.erase_customer(customer=customer, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The customer's personal data was erased. Their numbers are kept only as a hash on the "
                    "do-not-call registry, so they are never called again."
                ),
            )
        return redirect("contacts:customer_detail", pk=customer.pk)
    return render(
        request,
        "contacts/customer_erase.html",
        {"customer": customer, "form": form, "attempt_count": customer.call_attempts.count()},
        status=400 if form.errors else 200,
    )
