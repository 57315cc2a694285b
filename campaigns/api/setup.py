"""REST API of campaign setup: policies, dispositions, campaigns, call lists
(docs/api.md#policies-dispositions-campaigns-lists)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles
from callcenter.bulk_reads import AuditedPages
from campaigns.models import CallingPolicy, CallList, CallListEntry, Campaign, Disposition
from campaigns.selectors.setup import campaigns_visible_to
from campaigns.services import campaigns as campaign_services
from campaigns.services import lists as list_services
from campaigns.services import outcome_sets, readiness
from campaigns.services.policies import save_disposition, save_policy

from .setup_serializers import (
    CallListEntrySerializer,
    CallListRequestSerializer,
    CallListSerializer,
    CampaignOutcomeAddSerializer,
    CampaignOutcomeKeySerializer,
    CampaignOutcomeSerializer,
    CampaignSerializer,
    DispositionSerializer,
    PolicySerializer,
    RecycleSerializer,
)


def read_write_permission(read: tuple, write: tuple):
    """Reading needs any of `read`, changing anything needs any of `write`."""

    class ReadWrite(BasePermission):
        def has_permission(self, request, view):
            perms = read if request.method in SAFE_METHODS else write
            return roles.can(request.user, *perms)

    return ReadWrite


SUPERVISE = (roles.MANAGE_LISTS,)
OVERSEE = (roles.MANAGE_LISTS, roles.VIEW_DASHBOARD)


# ------------------------------------------------------------------ policies


class PolicyList(generics.ListCreateAPIView):
    queryset = CallingPolicy.objects.all()
    serializer_class = PolicySerializer
    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]

    def perform_create(self, serializer):
        policy = CallingPolicy(**serializer.validated_data)
        save_policy(policy=policy, by=self.request.user, changed=list(serializer.validated_data))
        serializer.instance = policy


class PolicyDetail(generics.RetrieveUpdateAPIView):
    queryset = CallingPolicy.objects.all()
    serializer_class = PolicySerializer
    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]
    http_method_names = ["get", "patch", "head", "options"]

    def perform_update(self, serializer):
        policy = serializer.instance
        for field, value in serializer.validated_data.items():
            setattr(policy, field, value)
        save_policy(policy=policy, by=self.request.user, changed=list(serializer.validated_data))


# ------------------------------------------------------------------ dispositions


@extend_schema_view(
    get=extend_schema(
        parameters=[OpenApiParameter("active", bool, description="true: only the outcomes in use; else all of them")]
    )
)
class DispositionList(generics.ListCreateAPIView):
    """Every role that logs or reads outcomes may list them; supervisors add their own."""

    queryset = Disposition.objects.all()
    serializer_class = DispositionSerializer
    pagination_class = None
    permission_classes = [
        read_write_permission((roles.MANAGE_LISTS, roles.USE_CONSOLE, roles.VIEW_DASHBOARD), SUPERVISE)
    ]

    def get_queryset(self):
        queryset = super().get_queryset()
        active = self.request.query_params.get("active", "")
        if active not in ("1", "true", "0", "false", ""):  # as ?active= of the do-not-call list
            raise serializers.ValidationError({"active": [_("Use true or false.")]})
        if active in ("1", "true"):
            queryset = queryset.filter(active=True)
        return queryset

    def perform_create(self, serializer):
        disposition = Disposition(**serializer.validated_data)
        save_disposition(disposition=disposition, by=self.request.user, changed=list(serializer.validated_data))
        serializer.instance = disposition


# ------------------------------------------------------------------ campaigns


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("status", str, enum=Campaign.Status.values)]))
class CampaignList(generics.ListCreateAPIView):
    serializer_class = CampaignSerializer
    permission_classes = [read_write_permission((*OVERSEE, roles.USE_CONSOLE), SUPERVISE)]

    def get_queryset(self):
        queryset = campaigns_visible_to(self.request.user).prefetch_related("operators")
        status_filter = self.request.query_params.get("status")
        if status_filter:
            if status_filter not in Campaign.Status.values:  # as ?status= of list entries
                raise serializers.ValidationError(
                    {"status": [_("One of %(values)s.") % {"values": ", ".join(Campaign.Status.values)}]}
                )
            queryset = queryset.filter(status=status_filter)
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        operators = data.pop("operators", [])
        campaign = Campaign(**data)
        campaign_services.save_campaign(
            campaign=campaign, by=self.request.user, operators=operators, changed=list(serializer.validated_data)
        )
        serializer.instance = campaign


class CampaignDetail(generics.RetrieveUpdateAPIView):
    serializer_class = CampaignSerializer
    permission_classes = [read_write_permission((*OVERSEE, roles.USE_CONSOLE), SUPERVISE)]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return campaigns_visible_to(self.request.user).prefetch_related("operators")

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        operators = data.pop("operators", None)
        campaign = serializer.instance
        for field, value in data.items():
            setattr(campaign, field, value)
        campaign_services.save_campaign(
            campaign=campaign, by=self.request.user, operators=operators, changed=list(serializer.validated_data)
        )


class CampaignTransition(APIView):
    """POST /campaigns/{id}/activate|pause|finish/ → the campaign, or 409 with the reasons."""

    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]
    action_name = ""

    @extend_schema(
        request=None,
        responses={
            200: CampaignSerializer,
            409: inline_serializer(
                "CampaignConflict",
                {"detail": serializers.CharField(), "problems": serializers.ListField(child=serializers.CharField())},
            ),
        },
        tags=["campaigns"],
    )
    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        try:
            campaign = campaign_services.CHANGE_STATUS[self.action_name](campaign=campaign, by=request.user)
        except campaign_services.CampaignStateError as error:
            return Response({"detail": str(error), "problems": error.problems}, status=status.HTTP_409_CONFLICT)
        return Response(CampaignSerializer(campaign).data)


class ReadinessItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="policy, call_list, operators, script, disclosure, costs, calling_hours, …")
    label = serializers.CharField(help_text="What is checked, in the request's language.")
    ok = serializers.BooleanField()
    blocking = serializers.BooleanField(help_text="A failing blocking item refuses activation; a warning does not.")
    detail = serializers.CharField(help_text="What is wrong, or what was found.")


class CampaignReadiness(APIView):
    """GET /campaigns/{id}/readiness/ → the checklist activation reads
    (docs/api.md#policies-dispositions-campaigns-lists)."""

    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    @extend_schema(responses=ReadinessItemSerializer(many=True), tags=["campaigns"])
    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        return Response(ReadinessItemSerializer(readiness.checklist(campaign), many=True).data)


# ------------------------------------------------------------------ a campaign's outcome set


def _visible_campaign(request, pk) -> Campaign:
    return get_object_or_404(campaigns_visible_to(request.user), pk=pk)


class CampaignOutcomes(APIView):
    """GET the campaign's outcome set in key order (operators of the campaign too); POST adds one."""

    permission_classes = [read_write_permission((*OVERSEE, roles.USE_CONSOLE), SUPERVISE)]

    @extend_schema(responses=CampaignOutcomeSerializer(many=True), tags=["campaigns"])
    def get(self, request, pk):
        campaign = _visible_campaign(request, pk)
        return Response(CampaignOutcomeSerializer(outcome_sets.campaign_outcomes(campaign), many=True).data)

    @extend_schema(
        request=CampaignOutcomeAddSerializer,
        responses={
            201: CampaignOutcomeSerializer,
            400: OpenApiResponse(
                description="key taken or not valid, outcome already in the set or not in use, set full"
            ),
        },
        tags=["campaigns"],
    )
    def post(self, request, pk):
        campaign = _visible_campaign(request, pk)
        body = CampaignOutcomeAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # A refusal (ValidationError) is a 400 {errors} through the API's exception handler.
        row = outcome_sets.add_outcome(
            campaign=campaign,
            disposition=body.validated_data["disposition"],
            key=body.validated_data["key"],
            by=request.user,
        )
        return Response(CampaignOutcomeSerializer(row).data, status=status.HTTP_201_CREATED)


class CampaignOutcomeDetail(APIView):
    """PATCH {key} moves an outcome of the set to another key; DELETE takes it out of the set."""

    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    def _disposition(self, code):
        return get_object_or_404(Disposition, code=code)

    @extend_schema(
        request=CampaignOutcomeKeySerializer,
        responses={200: CampaignOutcomeSerializer, 400: OpenApiResponse(description="key taken or not valid")},
        tags=["campaigns"],
    )
    def patch(self, request, pk, code):
        campaign = _visible_campaign(request, pk)
        disposition = self._disposition(code)
        if not campaign.outcomes.filter(disposition=disposition).exists():
            raise Http404
        body = CampaignOutcomeKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # A refusal (ValidationError) is a 400 {errors} through the API's exception handler.
        row = outcome_sets.change_key(
            campaign=campaign, disposition=disposition, key=body.validated_data["key"], by=request.user
        )
        return Response(CampaignOutcomeSerializer(row).data)

    @extend_schema(
        request=None,
        responses={204: None, 400: OpenApiResponse(description="the campaign's last outcome")},
        tags=["campaigns"],
    )
    def delete(self, request, pk, code):
        campaign = _visible_campaign(request, pk)
        disposition = self._disposition(code)
        if not campaign.outcomes.filter(disposition=disposition).exists():
            raise Http404
        outcome_sets.remove_outcome(campaign=campaign, disposition=disposition, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------ call lists


class CampaignCallLists(APIView):
    """GET the campaign's lists; POST builds a new one → 202 {id, status}."""

    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]

    @extend_schema(responses=CallListSerializer(many=True), tags=["lists"])
    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        lists = CallList.objects.filter(campaign=campaign).prefetch_related("operators")
        return Response(CallListSerializer(lists, many=True).data)

    @extend_schema(
        request=CallListRequestSerializer,
        responses={
            202: inline_serializer(
                "CallListAccepted", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            ),
            409: OpenApiResponse(
                description="The campaign takes no new list now (finished, or without a calling policy)"
            ),
        },
        tags=["lists"],
    )
    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        serializer = CallListRequestSerializer(data=request.data, context={"campaign": campaign})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            call_list = list_services.request_call_list(
                campaign=campaign,
                name=data["name"],
                by=request.user,
                segment=data.get("segment"),
                criteria=data.get("criteria"),
                order_by=data.get("order_by", CallList.Order.RECENT_PURCHASE),
                order_attribute=data.get("order_attribute", ""),
                priority=data.get("list_priority", 0),
                required_skill=data.get("required_skill", ""),
                operators=data.get("operators", []),
            )
        except list_services.ListError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response({"id": call_list.pk, "status": call_list.status}, status=status.HTTP_202_ACCEPTED)


class CallListDetail(generics.RetrieveAPIView):
    queryset = CallList.objects.prefetch_related("operators")
    serializer_class = CallListSerializer
    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter("status", str, enum=CallListEntry.Status.values)]))
class CallListEntries(AuditedPages, generics.ListAPIView):
    serializer_class = CallListEntrySerializer
    page_read_action = "list.entries_page_read"
    permission_classes = [read_write_permission((roles.MANAGE_LISTS, roles.VIEW_CUSTOMERS), SUPERVISE)]

    def get_queryset(self):
        call_list = get_object_or_404(CallList, pk=self.kwargs["pk"])
        entries = call_list.entries.select_related("customer", "last_disposition").order_by("rank")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in CallListEntry.Status.values:
                raise serializers.ValidationError(
                    {"status": [_("One of %(values)s.") % {"values": ", ".join(CallListEntry.Status.values)}]}
                )
            entries = entries.filter(status=wanted)
        return entries


class CallListRecycle(APIView):
    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    @extend_schema(
        request=RecycleSerializer,
        responses={
            200: inline_serializer(
                "RecycleResult",
                {
                    "reset": serializers.IntegerField(),
                    "skipped": serializers.DictField(child=serializers.IntegerField()),
                },
            ),
            409: OpenApiResponse(description="The list cannot be recycled in its state"),
        },
        tags=["lists"],
    )
    def post(self, request, pk):
        call_list = get_object_or_404(CallList, pk=pk)
        serializer = RecycleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = list_services.recycle_call_list(
                call_list=call_list, disposition_codes=serializer.validated_data["dispositions"], by=request.user
            )
        except list_services.RecycleChoiceError as error:
            return Response({"errors": {"dispositions": [str(error)]}}, status=status.HTTP_400_BAD_REQUEST)
        except list_services.ListError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(result)


class CallListTransition(APIView):
    """POST /lists/{id}/pause|resume|close/ → the list, or 409."""

    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]
    action_name = ""

    @extend_schema(
        request=None,
        responses={
            200: CallListSerializer,
            409: OpenApiResponse(description="The list's state does not allow this change"),
        },
        tags=["lists"],
    )
    def post(self, request, pk):
        call_list = get_object_or_404(CallList, pk=pk)
        try:
            call_list = list_services.change_list_status(call_list=call_list, action=self.action_name, by=request.user)
        except list_services.ListError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(CallListSerializer(call_list).data)
