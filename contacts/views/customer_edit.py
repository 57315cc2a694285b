"""Creating and editing one customer on a page. The service normalizes and checks as imports and
the API do, and refuses an edit of a customer someone saved since the page was opened."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from callcenter import roles

from ..forms import add_service_errors
from ..forms_customers import CustomerForm, PhoneFormSet, phone_initial, phones_from, time_zone_choices
from ..models import Customer
from ..services import customers as service


def _render(request, form, phones, customer=None, stale=False):
    return render(
        request,
        "contacts/customer_form.html",
        {"form": form, "phones": phones, "customer": customer, "stale": stale, "time_zones": time_zone_choices()},
    )


@never_cache
@roles.permission_required(roles.MANAGE_LISTS)
def customer_create(request):
    form = CustomerForm(request.POST or None)
    phones = PhoneFormSet(request.POST or None, prefix="phones")
    if request.method == "POST" and form.is_valid() and phones.is_valid():
        try:
            customer = service.create_customer(by=request.user, phones=phones_from(phones), **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("contacts:customer_detail", pk=customer.pk)
    return _render(request, form, phones)


@never_cache
@roles.permission_required(roles.MANAGE_LISTS)
def customer_edit(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer)
    phones = PhoneFormSet(
        request.POST or None, prefix="phones", initial=None if request.POST else phone_initial(customer)
    )
    stale = False
    if request.method == "POST" and form.is_valid() and phones.is_valid():
        try:
            loaded = dt.datetime.fromisoformat(form.cleaned_data["version"])
        except ValueError:
            loaded = customer.updated_at  # no version sent: the page's own, never an error
        try:
            with transaction.atomic():
                service.update_customer(
                    customer=customer,
                    by=request.user,
                    phones=phones_from(phones),
                    loaded_version=loaded,
                    **form.service_fields(),
                )
        except service.ChangedMeanwhile as error:
            stale = True
            form.add_error(None, error.messages)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("contacts:customer_detail", pk=customer.pk)
    customer.refresh_from_db()
    return _render(request, form, phones, customer, stale)
