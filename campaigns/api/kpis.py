"""GET /api/v1/kpis/ (docs/api.md#kpis): KPI rows for a date range, grouped one way, for what the caller may
see: managers and supervisors everything, a client viewer its own campaigns, an operator their
own figures."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles
from callcenter.api_schema import ID
from campaigns.models import Campaign
from campaigns.selectors.kpis.figures import KpiFilter, kpi_day_validators
from campaigns.selectors.kpis.labels import label_rows
from campaigns.selectors.kpis.scope import kpi_scope_for
from campaigns.selectors.kpis.tables import kpi_table

API_GROUPINGS = ["day", "hour", "weekday", "operator", "campaign", "none"]
DEFAULT_DAYS = 30
MAX_DAYS = 731


class KpiQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False, validators=kpi_day_validators())
    campaign = serializers.IntegerField(required=False, min_value=1)
    operator = serializers.IntegerField(required=False, min_value=1)
    group_by = serializers.ChoiceField(choices=API_GROUPINGS, required=False, default="none")
    compare = serializers.BooleanField(required=False, default=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, validators=kpi_day_validators())  # a Python keyword
        return fields

    def validate(self, attrs):
        date_to = attrs.get("to") or timezone.localdate()
        date_from = attrs.get("from") or date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise serializers.ValidationError({"to": [_("The end date is before the start date.")]})
        if (date_to - date_from).days + 1 > MAX_DAYS:
            raise serializers.ValidationError(
                {"from": [_("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS}]}
            )
        attrs["from"], attrs["to"] = date_from, date_to
        return attrs


class KpiRowSerializer(serializers.Serializer):
    key = serializers.JSONField(
        help_text="day (YYYY-MM-DD), hour (0-23), weekday (0 = Monday), operator id, campaign id, or null"
    )
    label = serializers.CharField()
    dials = serializers.IntegerField()
    contacts = serializers.IntegerField()
    successes = serializers.IntegerField()
    contact_rate = serializers.FloatField(allow_null=True)
    success_rate = serializers.FloatField(allow_null=True)
    success_per_contact = serializers.FloatField(allow_null=True)
    talk_seconds = serializers.IntegerField()
    att = serializers.FloatField(allow_null=True)
    acw = serializers.FloatField(allow_null=True)
    aht = serializers.FloatField(allow_null=True)
    utilization = serializers.FloatField(allow_null=True)
    logged_in_seconds = serializers.IntegerField()
    cost = serializers.FloatField(allow_null=True, help_text="null for operators, who do not see costs")
    cpc = serializers.FloatField(allow_null=True, help_text="null for operators, who do not see costs")
    cph = serializers.FloatField(allow_null=True)
    appointments_set = serializers.IntegerField(help_text="appointments the calls set (by when they were set)")
    appointments_per_hour = serializers.FloatField(allow_null=True, help_text="appointments set per logged-in hour")
    appointments_held = serializers.IntegerField()
    appointments_no_show = serializers.IntegerField()
    appointments_cancelled = serializers.IntegerField()
    held_rate = serializers.FloatField(allow_null=True, help_text="held ÷ (held + no-show + cancelled)")
    no_show_rate = serializers.FloatField(allow_null=True, help_text="no-show ÷ (held + no-show + cancelled)")
    answered = serializers.IntegerField(help_text="dials answered (by a person or a machine)")
    asr = serializers.FloatField(allow_null=True, help_text="answer-seizure ratio: answered ÷ dials")
    avg_ring_seconds = serializers.FloatField(
        allow_null=True, help_text="average ring time of the dials timed by their call events (softphone, dialers)"
    )


class KpiPeriodSerializer(serializers.Serializer):
    to = serializers.DateField()
    rows = KpiRowSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields


class KpiResponseSerializer(KpiPeriodSerializer):
    group_by = serializers.ChoiceField(choices=API_GROUPINGS)
    previous = KpiPeriodSerializer(
        required=False, help_text="with ?compare=true: the period of the same length just before"
    )


def _api_key(key):
    return key.isoformat() if isinstance(key, datetime.date) else key


def _rows(kpi_filter: KpiFilter, group_by: str, *, costs: bool) -> list[dict]:
    rows = label_rows({group_by: kpi_table(kpi_filter, group_by)})[group_by]
    hidden = {} if costs else {"cost": None, "cpc": None}
    return [{"key": _api_key(row.key), "label": row.label, **row.figures.as_dict(), **hidden} for row in rows]


class KpiView(APIView):
    permission_classes = [roles.api_permission(roles.VIEW_DASHBOARD, roles.VIEW_CLIENT_KPIS, roles.USE_CONSOLE)]

    @extend_schema(
        tags=["kpis"],
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="first day (default: 29 days before `to`)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day, included (default: today)"),
            OpenApiParameter("campaign", ID),
            OpenApiParameter("operator", ID),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=API_GROUPINGS),
            OpenApiParameter(
                "compare", OpenApiTypes.BOOL, description="also return the previous period of the same length"
            ),
        ],
        responses={
            200: KpiResponseSerializer,
            404: OpenApiResponse(description="No such campaign (or not one of the client's), or no such operator"),
        },
        description="KPIs as defined in docs/api.md#kpis; rates are fractions (0-1), times seconds, "
        "ratios without a denominator null. Operators see only their own figures, without costs; client "
        "viewers only their campaigns, without operator breakdowns.",
    )
    def get(self, request):
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = kpi_scope_for(request.user)
        group_by = params["group_by"]
        if scope.operator_id is not None and params.get("operator") not in (None, scope.operator_id):
            raise PermissionDenied(_("Operators can only read their own figures."))
        if not scope.operators_visible and (group_by == "operator" or params.get("operator")):
            raise PermissionDenied(_("Figures per operator are not shared with clients."))
        campaign_ids = None
        if params.get("campaign"):
            visible = scope.campaign_ids is None or params["campaign"] in scope.campaign_ids
            if not visible or not Campaign.objects.filter(id=params["campaign"]).exists():
                raise NotFound(_("No such campaign."))
            campaign_ids = (params["campaign"],)
        if params.get("operator") and not get_user_model().objects.filter(id=params["operator"]).exists():
            raise NotFound(_("No such operator."))
        kpi_filter = scope.restrict(
            KpiFilter(
                date_from=params["from"],
                date_to=params["to"],
                campaign_ids=campaign_ids,
                operator_id=params.get("operator"),
            )
        )
        costs = roles.can(request.user, *roles.SEE_COSTS)
        body = {
            "from": kpi_filter.date_from,
            "to": kpi_filter.date_to,
            "group_by": group_by,
            "rows": _rows(kpi_filter, group_by, costs=costs),
        }
        if params["compare"]:
            previous = kpi_filter.previous()
            body["previous"] = {
                "from": previous.date_from,
                "to": previous.date_to,
                "rows": _rows(previous, group_by, costs=costs),
            }
        return Response(body)
