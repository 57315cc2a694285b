"""The compliance report pages: the campaigns one may check, a campaign's report for a period, and
its CSV. Supervisors and managers read every campaign, a client viewer only theirs (the report
carries attempt ids and counts, never customer data)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter import csv_files, roles
from callcenter.audit import record_event
from campaigns.selectors import compliance

view_reports = roles.permission_required(roles.MANAGE_LISTS, roles.VIEW_DASHBOARD, roles.VIEW_CLIENT_KPIS)


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("end date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


def _campaigns(request):
    campaigns = compliance.report_campaigns(request.user)
    if campaigns is None:
        raise PermissionDenied
    return campaigns


def _campaign(request, pk):
    campaign = _campaigns(request).select_related("policy").filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def _period(request, campaign):
    """(form, date_from, date_to): the form's dates, the campaign's whole life for those left out;
    None dates when the form is invalid."""
    form = PeriodForm(request.GET or None)
    default_from, default_to = compliance.default_period(campaign)
    if form.is_bound and not form.is_valid():
        return form, None, None
    data = form.cleaned_data if form.is_bound else {}
    return form, data.get("date_from") or default_from, data.get("date_to") or default_to


@view_reports
def compliance_index(request):
    return render(request, "campaigns/compliance/index.html", {"campaigns": _campaigns(request)})


@view_reports
def compliance_report(request, pk):
    campaign = _campaign(request, pk)
    form, date_from, date_to = _period(request, campaign)
    report = None
    if date_from is not None:
        report = compliance.compliance_report(campaign, date_from=date_from, date_to=date_to)
    rows = [
        {**row, "label": compliance.RULE_LABELS[row["rule"]], "meaning": compliance.RULE_MEANINGS[row["rule"]]}
        for row in (report.rules if report else [])
    ]
    return render(
        request,
        "campaigns/compliance/report.html",
        {
            "campaign": campaign,
            "form": form,
            "report": report,
            "rows": rows,
            "date_from": date_from,
            "date_to": date_to,
        },
    )


@view_reports
def compliance_csv(request, pk):
    campaign = _campaign(request, pk)
    form, date_from, date_to = _period(request, campaign)
    if date_from is None:
        return HttpResponse(
            " ".join(str(e) for errors in form.errors.values() for e in errors), status=400, content_type="text/plain"
        )
    report = compliance.compliance_report(campaign, date_from=date_from, date_to=date_to)
    writer = csv_files.line_writer()
    lines = [
        csv_files.BOM
        + writer.writerow(
            csv_files.safe_row(
                [_("campaign"), _("from"), _("to"), _("rule"), _("attempts checked"), _("violations"), _("examples")]
            )
        )
    ]
    for row in report.rules:
        lines.append(
            writer.writerow(
                csv_files.safe_row(
                    [
                        campaign.pk,
                        date_from.isoformat(),
                        date_to.isoformat(),
                        row["rule"],
                        report.attempts_checked,
                        row["violations"],
                        " ".join(str(i) for i in row["examples"]),
                    ]
                )
            )
        )
    record_event(
        actor=request.user,
        action="export.compliance",
        target=campaign,
        summary=f"{campaign.name}: {date_from}..{date_to}",
        violations=report.violations,
    )
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="compliance-campaign{campaign.pk}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv"'
    )
    return response
