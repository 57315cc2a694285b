"""Script reports: survey results of a campaign (table and CSV) and results per script version."""

from django import forms
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter import csv_files, roles
from callcenter.audit import record_event
from campaigns.models import Campaign
from campaigns.selectors import script_reports
from scripts.models import Script

view_reports = roles.permission_required(roles.MANAGE_LISTS, roles.VIEW_DASHBOARD)


class SurveyFilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("end date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    include = forms.ChoiceField(
        label=gettext_lazy("which attempts"),
        required=False,
        choices=[("answered", gettext_lazy("with answers")), ("all", gettext_lazy("all made with a script"))],
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class VersionReportForm(SurveyFilterForm):
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("campaign"), queryset=Campaign.objects.order_by("name"), required=False
    )
    script = forms.ModelChoiceField(
        label=gettext_lazy("talk script"), queryset=Script.objects.order_by("name"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["include"]


def _survey_filters(request):
    form = SurveyFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
        "answered_only": data.get("include", "answered") != "all",
    }


@view_reports
def survey_results(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form, filters = _survey_filters(request)
    attempts = script_reports.survey_attempts(campaign=campaign, **filters)
    columns = script_reports.survey_columns(attempts)
    page = Paginator(attempts.values_list("id", flat=True), 50).get_page(request.GET.get("page"))
    rows = list(script_reports.survey_rows(attempts.filter(pk__in=list(page.object_list)), columns))
    return render(
        request,
        "campaigns/script_reports/survey_results.html",
        {
            "campaign": campaign,
            "form": form,
            "columns": columns,
            "rows": rows,
            "page": page,
            "can_export": roles.can(request.user, roles.EXPORT_DATA),
        },
    )


@roles.permission_required(roles.EXPORT_DATA)
def survey_results_csv(request, pk):
    """The survey as CSV, UTF-8 with a BOM so Excel opens Japanese correctly; streamed."""
    campaign = get_object_or_404(Campaign, pk=pk)
    _form, filters = _survey_filters(request)
    attempts = script_reports.survey_attempts(campaign=campaign, **filters)
    columns = script_reports.survey_columns(attempts)
    writer = csv_files.line_writer()
    header = [
        _("attempt ID"),
        _("started at"),
        _("attempt number"),
        _("customer ID"),
        _("customer name"),
        _("operator"),
        _("outcome code"),
        _("outcome"),
        _("talk script"),
        _("version"),
    ] + [column.label for column in columns]

    def lines():
        yield csv_files.BOM + writer.writerow(csv_files.safe_row(header))
        for row in script_reports.survey_rows(attempts, columns):
            yield writer.writerow(
                csv_files.safe_row(
                    [
                        row["id"],
                        timezone.localtime(row["started_at"]).strftime("%Y-%m-%d %H:%M:%S"),
                        row["attempt_number"],
                        row["customer__external_id"],
                        row["customer__name"],
                        row["operator_name"],
                        row["disposition__code"],
                        row["disposition__label_ja"]
                        if request.LANGUAGE_CODE.startswith("ja")
                        else row["disposition__label"],
                        row["script_version__script__name"],
                        row["script_version__number"],
                    ]
                    + row["answers_shown"]
                )
            )

    record_event(
        actor=request.user,
        action="export.survey_results",
        target=campaign,
        summary=campaign.name,
        **{k: str(v) for k, v in filters.items() if v is not None},
    )
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="survey-campaign{campaign.pk}-{stamp}.csv"'
    return response


@view_reports
def version_report(request):
    form = VersionReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = script_reports.version_kpis(
        campaign=data.get("campaign"),
        script=data.get("script"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    for row in rows:
        for name in ("contact_rate", "success_rate", "success_per_contact"):
            row[f"{name}_shown"] = "—" if row[name] is None else f"{row[name] * 100:.1f}%"
    chart = {
        "labels": [f"{r['script_version__script__name']} v{r['script_version__number']}" for r in rows],
        "contact_rate": [round((r["contact_rate"] or 0) * 100, 1) for r in rows],
        "success_rate": [round((r["success_rate"] or 0) * 100, 1) for r in rows],
        "names": {"contact_rate": _("Contact rate (%)"), "success_rate": _("Success rate (%)")},
    }
    return render(
        request,
        "campaigns/script_reports/version_report.html",
        {
            "form": form,
            "rows": rows,
            "chart": chart,
            "campaign": data.get("campaign"),
            "campaigns": Campaign.objects.order_by("name"),
        },
    )
