"""The audit trail page and its CSV export (auditors and supervisors)."""

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit, roles
from .audit_trail import AuditFilter, csv_lines, events_matching, keyset_page
from .models import AuditEvent


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (user name)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def audit_filter(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(
            actor=data.get("actor", "").strip(),
            action=data.get("action", "").strip(),
            object_type=data.get("object_type", "").strip().lower(),
            object_id=data.get("object_id", "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@roles.permission_required(roles.VIEW_AUDIT)
def audit_list(request):
    form = AuditFilterForm(request.GET)
    audit_filter = form.audit_filter()
    page = keyset_page(
        events_matching(audit_filter), before=request.GET.get("before", ""), after=request.GET.get("after", "")
    )
    for event in page.events:
        event.action_label = audit.action_label(event.action)
        event.object_label = audit.object_label(event.object_type) if event.object_type else ""
    codes = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    actions = sorted(((code, audit.action_label(code)) for code in codes), key=lambda pair: pair[1])
    return render(
        request,
        "callcenter/audit_list.html",
        {
            "form": form,
            "page": page,
            "action": audit_filter.action,
            "actions": actions,
            "filtered": bool(audit_filter.as_params()),
        },
    )


@roles.permission_required(roles.VIEW_AUDIT)
def audit_export(request):
    audit_filter = AuditFilterForm(request.GET).audit_filter()
    audit.record_event(
        actor=request.user,
        action="audit.export",
        summary=str(audit_filter.as_params())[:500],
        filters=audit_filter.as_params(),
    )
    response = StreamingHttpResponse(
        csv_lines(events_matching(audit_filter), labels=audit.action_label), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
