"""REST API of the compliance report: GET /api/v1/campaigns/{id}/compliance/?from=&to=."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from callcenter import roles
from campaigns.api.script_reports import DATE_PARAMS, _dates
from campaigns.selectors import compliance

RuleRow = inline_serializer(
    "ComplianceRule",
    fields={
        "rule": serializers.ChoiceField(choices=list(compliance.RULES)),
        "violations": serializers.IntegerField(min_value=0),
        "examples": serializers.ListField(child=serializers.IntegerField(), help_text="attempt ids, at most 10"),
    },
    many=True,
)


@extend_schema(
    tags=["reports"],
    parameters=DATE_PARAMS,
    responses=inline_serializer(
        "ComplianceReport",
        fields={
            "campaign": serializers.IntegerField(),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "attempts_checked": serializers.IntegerField(min_value=0),
            "rules": RuleRow,
        },
    ),
)
@api_view(["GET"])
@permission_classes([roles.api_permission(roles.MANAGE_LISTS, roles.VIEW_DASHBOARD, roles.VIEW_CLIENT_KPIS)])
def compliance_report(request, pk):
    """How many of the campaign's stored attempts in the period (center dates, inclusive; by
    default the campaign's whole life) broke each calling rule, with up to 10 attempt ids per
    rule. A client viewer reads only their campaigns (404 for others)."""
    campaigns = compliance.report_campaigns(request.user)
    campaign = campaigns.select_related("policy").filter(pk=pk).first() if campaigns is not None else None
    if campaign is None:
        raise Http404
    date_from, date_to = _dates(request)
    default_from, default_to = compliance.default_period(campaign)
    date_from, date_to = date_from or default_from, date_to or default_to
    if date_from > date_to:
        raise serializers.ValidationError({"from": [_("The start date is after the end date.")]})
    report = compliance.compliance_report(campaign, date_from=date_from, date_to=date_to)
    return Response(report.as_json())
