"""A campaign's collections and disclosure pages: the debts it collects (with promises to pay) and
the check of the mandatory disclosure its scripts open with. Thin: the services act."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from campaigns.forms.compliance_setup import DebtImportForm, DisclosureConfirmForm
from campaigns.models import Campaign, Debt
from campaigns.services import debts as debt_services
from campaigns.services import disclosure as disclosure_services
from campaigns.views.setup import warn_import_problems

manage = roles.permission_required(roles.MANAGE_LISTS)


@manage
def debt_list(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    upload = DebtImportForm()
    if request.method == "POST":
        upload = DebtImportForm(request.POST, request.FILES)
        if upload.is_valid():
            try:
                rows, problems = debt_services.parse_debt_csv(upload.cleaned_data["file"].read())
            except debt_services.DebtImportError as error:
                upload.add_error("file", str(error))
            else:
                result = debt_services.import_debts(campaign=campaign, rows=rows, by=request.user)
                messages.success(request, _("%(saved)s debts saved, %(resolved)s promises resolved.") % result)
                warn_import_problems(request, unknown=result["unknown"], problems=problems)
                return redirect("campaigns:debt_list", pk=pk)
    debts = Debt.objects.filter(campaign=campaign).select_related("customer").order_by("customer__external_id")
    status = request.GET.get("promise", "")
    if status and status in Debt.Promise.values:
        debts = debts.filter(promise_status=status)
    page = Paginator(debts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/setup/debt_list.html",
        {"campaign": campaign, "page": page, "upload": upload, "promise": status, "statuses": Debt.Promise.choices},
    )


@manage
@require_POST
def debt_promise(request, pk, status):
    if status not in (Debt.Promise.PAID, Debt.Promise.BROKEN):
        raise Http404
    debt = get_object_or_404(Debt, pk=pk)
    if debt.promise_status != Debt.Promise.OPEN:
        messages.error(request, _("This debt has no open promise to pay."))
    else:
        debt_services.resolve_promise(debt=debt, status=status, by=request.user)
        messages.success(
            request,
            _("Promise marked paid: the customer's open calls in this campaign are closed.")
            if status == Debt.Promise.PAID
            else _("Promise marked broken: the customer can be called again."),
        )
    return redirect("campaigns:debt_list", pk=debt.campaign_id)


@manage
def disclosure_check(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("policy"), pk=pk)
    if request.method == "POST":
        form = DisclosureConfirmForm(request.POST)
        shown = {version.pk: version for version in disclosure_services.scripts_shown(campaign)}
        if form.is_valid() and form.cleaned_data["version"] in shown:
            disclosure_services.confirm_wording(
                version=shown[form.cleaned_data["version"]], items=form.cleaned_data["items"], by=request.user
            )
            messages.success(request, _("Disclosure wording confirmed."))
            return redirect("campaigns:disclosure_check", pk=pk)
        messages.error(request, _("This script is not one the campaign shows."))
    results = disclosure_services.review(campaign)
    rows = [
        {
            "result": result,
            "form": DisclosureConfirmForm(
                initial={"version": result.version.pk, "items": sorted(result.confirmed)},
                auto_id=f"id_%s_{result.version.pk}",
            ),
        }
        for result in results
    ]
    return render(
        request,
        "campaigns/setup/disclosure_check.html",
        {
            "campaign": campaign,
            "rows": rows,
            "items": disclosure_services.ITEMS,
            "problems": disclosure_services.disclosure_problems(campaign),
            "required": bool(campaign.policy and campaign.policy.disclosure_required),
        },
    )
