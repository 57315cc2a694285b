"""Call-list pages: preview and build, the list page with its progress, entries, pause/resume,
recycle and CSV export."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import csv_files, roles
from callcenter.audit import record_event
from campaigns.api.setup_serializers import list_counts
from campaigns.forms.setup import CallListForm, RecycleForm
from campaigns.models import CallList, CallListEntry, Campaign
from campaigns.selectors.setup import attempts_so_far, entries_by_status, export_rows, operators_who_can_work
from campaigns.services import lists as list_services
from campaigns.services import scheduling
from contacts.phones import format_national, looks_like_phone, normalize_phone

manage = roles.permission_required(roles.MANAGE_LISTS)

# How far ahead a list preview names the days without calls.
PREVIEW_DAYS_AHEAD = 14


def _exclusion_rows(counts: dict) -> list[dict]:
    excluded = counts["excluded"]
    return [
        {"reason": reason, "label": list_services.EXCLUSION_LABELS[reason], "count": excluded.get(reason, 0)}
        for reason in list_services.EXCLUSION_REASONS
    ]


@manage
def list_create(request, pk):
    """GET: the form; POST with "preview": the counts (htmx partial); POST: build."""
    campaign = get_object_or_404(Campaign.objects.select_related("policy"), pk=pk)
    initial = {"name": f"{campaign.name} {timezone.localdate():%Y-%m-%d}"}
    form = CallListForm(request.POST or None, campaign=campaign, initial=initial)
    wants_preview = "preview" in request.POST
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if wants_preview:
            try:
                counts = list_services.preview_call_list(
                    spec=list_services.BuildSpec(
                        campaign=campaign,
                        criteria=form.effective_criteria(),
                        order_by=data["order_by"],
                        order_attribute=data["order_attribute"],
                    )
                )
            except list_services.ListError as error:
                return render(request, "campaigns/setup/_list_preview.html", {"error": str(error)})
            return render(
                request,
                "campaigns/setup/_list_preview.html",
                {
                    "counts": counts,
                    "rows": _exclusion_rows(counts),
                    "excluded_total": sum(counts["excluded"].values()),
                    # The days without calls in the next two weeks (weekdays, holidays, blackouts).
                    "days_off": scheduling.days_off(
                        campaign.policy, timezone.localdate(), PREVIEW_DAYS_AHEAD, get_language() or ""
                    )
                    if campaign.policy
                    else [],
                },
            )
        try:
            call_list = list_services.request_call_list(
                campaign=campaign,
                name=data["name"],
                by=request.user,
                segment=data["segment"],
                criteria=data["criteria"],
                order_by=data["order_by"],
                order_attribute=data["order_attribute"],
                priority=data["priority"],
                required_skill=data["required_skill"].strip(),
                operators=data["operators"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("criteria", message)
        except list_services.ListError as error:
            form.add_error(None, str(error))
        else:
            if call_list.status == CallList.Status.READY:
                messages.success(
                    request, _("The list is built: %(n)s customers to call.") % {"n": call_list.counts["included"]}
                )
            elif call_list.status == CallList.Status.BUILDING:
                messages.info(request, _("The list is being built in the background."))
            # (A build that failed at once: the list page shows the failure and its reason.)
            return redirect("campaigns:list_detail", pk=call_list.pk)
    if wants_preview:  # an htmx preview of an invalid form: show the problems in place
        return render(request, "campaigns/setup/_list_preview.html", {"form_errors": form.errors})
    return render(request, "campaigns/setup/list_form.html", {"campaign": campaign, "form": form})


def _list_context(call_list):
    counts = list_counts(call_list)
    return {
        "call_list": call_list,
        "counts": counts,
        "rows": _exclusion_rows(counts),
        "excluded_total": sum(counts["excluded"].values()),
        "by_status": [
            {"status": value, "label": label, "count": n}
            for (value, label), n in zip(CallListEntry.Status.choices, entries_by_status(call_list).values())
        ],
        "attempts": attempts_so_far(call_list),
        # An open list nobody may work is never dialed: say so on its page.
        "nobody_can_work": call_list.status in (CallList.Status.READY, CallList.Status.PAUSED)
        and not operators_who_can_work(call_list).exists(),
    }


@manage
def list_detail(request, pk):
    call_list = get_object_or_404(CallList.objects.select_related("campaign", "segment"), pk=pk)
    status = request.GET.get("status", "")
    entries = call_list.entries.select_related("customer", "last_disposition").order_by("rank")
    if status in CallListEntry.Status.values:
        entries = entries.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:
        number = normalize_phone(q)[0] if looks_like_phone(q) else ""
        if number:  # 090-1234-5678, (03) 1234-5678, +81 … all find the stored +81…
            entries = entries.filter(phone=number)
        else:
            entries = entries.filter(Q(customer__name__icontains=q) | Q(phone__contains=q) | Q(customer__external_id=q))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.display_phone = format_national(entry.phone) or entry.phone
    return render(
        request,
        "campaigns/setup/list_detail.html",
        {
            **_list_context(call_list),
            "page": page,
            "status": status,
            "q": q,
            "statuses": CallListEntry.Status.choices,
            "recycle_form": RecycleForm(),
        },
    )


@manage
def list_progress(request, pk):
    """htmx: the build progress while building; the whole page reloads when done."""
    call_list = get_object_or_404(CallList, pk=pk)
    response = render(request, "campaigns/setup/_list_progress.html", {"call_list": call_list})
    if call_list.status != CallList.Status.BUILDING:
        response["HX-Refresh"] = "true"
    return response


@manage
@require_POST
def list_transition(request, pk, action):
    call_list = get_object_or_404(CallList, pk=pk)
    if action not in list_services.LIST_TRANSITIONS:
        return redirect("campaigns:list_detail", pk=pk)
    try:
        call_list = list_services.change_list_status(call_list=call_list, action=action, by=request.user)
        messages.success(request, _("The list is now %(status)s.") % {"status": call_list.get_status_display()})
    except list_services.ListError as error:
        messages.error(request, str(error))
    return redirect("campaigns:list_detail", pk=pk)


@manage
@require_POST
def list_recycle(request, pk):
    call_list = get_object_or_404(CallList, pk=pk)
    form = RecycleForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("dispositions", []):
            messages.error(request, error)
        return redirect("campaigns:list_detail", pk=pk)
    codes = [d.code for d in form.cleaned_data["dispositions"]]
    try:
        result = list_services.recycle_call_list(call_list=call_list, disposition_codes=codes, by=request.user)
    except list_services.ListError as error:
        messages.error(request, str(error))
    else:
        skipped = sum(result["skipped"].values())
        messages.success(
            request,
            _("%(reset)s entries are back to pending; %(skipped)s kept out by do-not-call, refusal, cap or cool-off.")
            % {"reset": result["reset"], "skipped": skipped},
        )
    return redirect("campaigns:list_detail", pk=pk)


@roles.permission_required(roles.MANAGE_LISTS, roles.EXPORT_DATA)
def list_export(request, pk):
    """The entries as CSV (UTF-8 with BOM so Excel opens the Japanese correctly, formula cells
    neutralized), streamed. Numbers are written as people dial them (090-1234-5678)."""
    call_list = get_object_or_404(CallList, pk=pk)
    record_event(actor=request.user, action="list.exported", target=call_list, summary=call_list.name)
    writer = csv_files.line_writer()
    header = [
        "rank",
        "external_id",
        "name",
        "phone",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "last_disposition",
        "callback_at",
    ]
    PHONE = header.index("phone")

    def fmt(value):
        if hasattr(value, "isoformat"):
            return timezone.localtime(value).isoformat(timespec="seconds")
        return "" if value is None else value

    def rows():
        yield csv_files.BOM + writer.writerow(header)
        for row in export_rows(call_list):
            row = list(row)
            row[PHONE] = format_national(row[PHONE])
            yield writer.writerow(csv_files.safe_row(fmt(v) for v in row))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="call-list-{call_list.pk}.csv"'
    return response
