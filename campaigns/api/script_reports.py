"""REST API of the script reports: survey results of a campaign and results per script version."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from callcenter import roles
from callcenter.api_schema import ID
from campaigns.models import Campaign
from campaigns.selectors import script_reports
from campaigns.selectors.kpis.figures import kpi_day_validators
from scripts.models import Script


def _dates(request):
    """from / to query parameters as dates; a 400 {"errors"} for bad ones."""
    fields = {}
    errors = {}
    for name in ("from", "to"):
        raw = request.query_params.get(name)
        if raw:
            try:
                date_field = serializers.DateField(validators=kpi_day_validators())
                fields[name] = date_field.run_validation(raw)
            except serializers.ValidationError as error:
                errors[name] = error.detail
    if errors:
        raise serializers.ValidationError(errors)
    return fields.get("from"), fields.get("to")


DATE_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="YYYY-MM-DD, inclusive"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="YYYY-MM-DD, inclusive"),
]
SURVEY_INCLUDES = ["answered", "all"]


@extend_schema(
    tags=["reports"],
    parameters=DATE_PARAMS
    + [
        OpenApiParameter(
            "include",
            str,
            enum=SURVEY_INCLUDES,
            description="answered (default): only attempts with answers; all: every attempt made with a script",
        )
    ],
    responses=inline_serializer(
        "SurveyResults",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.CharField(allow_null=True),
            "previous": serializers.CharField(allow_null=True),
            "columns": serializers.ListField(child=serializers.DictField()),
            "results": serializers.ListField(child=serializers.DictField()),
        },
    ),
)
@api_view(["GET"])
@permission_classes([roles.api_permission(roles.EXPORT_DATA)])
def survey_results(request, pk):
    """One row per attempt made with a script in the campaign; `answers` by step key, formatted
    (choice labels), plus `raw_answers` as captured."""
    campaign = get_object_or_404(Campaign, pk=pk)
    date_from, date_to = _dates(request)
    include = request.query_params.get("include") or "answered"
    if include not in SURVEY_INCLUDES:
        raise serializers.ValidationError(
            {"include": [_("One of %(values)s.") % {"values": ", ".join(SURVEY_INCLUDES)}]}
        )
    attempts = script_reports.survey_attempts(
        campaign=campaign, date_from=date_from, date_to=date_to, answered_only=include == "answered"
    )
    columns = script_reports.survey_columns(attempts)
    paginator = PageNumberPagination()
    ids = paginator.paginate_queryset(attempts.values_list("id", flat=True), request)
    rows = script_reports.survey_rows(attempts.filter(pk__in=list(ids)), columns)
    results = [
        {
            "attempt": row["id"],
            "started_at": timezone.localtime(row["started_at"]).isoformat(),
            "customer": row["customer__external_id"],
            "operator": row["operator__username"],
            "disposition": row["disposition__code"],
            "script": row["script_version__script_id"],
            "script_version": row["script_version_id"],
            "version_number": row["script_version__number"],
            "answers": {
                column.key: shown
                for column, shown in zip(columns, row["answers_shown"])
                if column.script_id == row["script_version__script_id"]
            },
            "raw_answers": row["answers"],
        }
        for row in rows
    ]
    response = paginator.get_paginated_response(results)
    response.data["columns"] = [{"script": c.script_id, "key": c.key, "label": c.label} for c in columns]
    return response


@extend_schema(
    tags=["reports"],
    parameters=DATE_PARAMS + [OpenApiParameter("campaign", ID), OpenApiParameter("script", ID)],
    responses=inline_serializer("ScriptKpis", fields={"rows": serializers.ListField(child=serializers.DictField())}),
)
@api_view(["GET"])
@permission_classes([roles.api_permission(roles.MANAGE_LISTS, roles.VIEW_DASHBOARD)])
def script_kpis(request):
    """Dials, contacts, successes and rates per script version (rates as fractions 0-1)."""
    date_from, date_to = _dates(request)
    campaign = script = None
    errors = {}
    for name, model in (("campaign", Campaign), ("script", Script)):
        raw = request.query_params.get(name)
        if raw:
            found = model.objects.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
            if found is None:
                errors[name] = [_("Unknown id.")]
            elif name == "campaign":
                campaign = found
            else:
                script = found
    if errors:
        raise serializers.ValidationError(errors)
    rows = script_reports.version_kpis(campaign=campaign, script=script, date_from=date_from, date_to=date_to)
    return Response(
        {
            "rows": [
                {
                    "script": row["script_version__script_id"],
                    "script_name": row["script_version__script__name"],
                    "script_version": row["script_version_id"],
                    "version_number": row["script_version__number"],
                    "status": row["script_version__status"],
                    "dials": row["dials"],
                    "contacts": row["contacts"],
                    "successes": row["successes"],
                    "contact_rate": row["contact_rate"],
                    "success_rate": row["success_rate"],
                    "success_per_contact": row["success_per_contact"],
                }
                for row in rows
            ]
        }
    )
