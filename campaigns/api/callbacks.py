"""Callbacks and single list entries through the API (docs/api.md#callbacks-and-entries): the
same services as the callbacks page and the list page."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.api_fields import OffsetDateTimeField
from callcenter.bulk_reads import AuditedPages
from contacts.models import Customer

from ..models import CallList, CallListEntry
from ..selectors.callbacks import SHARED, waiting_callbacks
from ..selectors.setup import operator_users
from ..services import callbacks as callback_service
from ..services import list_entries as entry_service
from .setup import SUPERVISE, read_write_permission
from .setup_serializers import CallListEntrySerializer


class CallbackSerializer(CallListEntrySerializer):
    campaign = serializers.IntegerField(source="campaign_id", read_only=True)
    call_list = serializers.IntegerField(source="call_list_id", read_only=True)
    assigned_operator = serializers.IntegerField(
        source="assigned_operator_id", read_only=True, allow_null=True, help_text="null: a shared callback"
    )

    class Meta(CallListEntrySerializer.Meta):
        fields = [*CallListEntrySerializer.Meta.fields, "campaign", "call_list", "assigned_operator"]


class ReassignSerializer(serializers.Serializer):
    entries = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000)
    operator = serializers.IntegerField(
        allow_null=True, help_text="The operator who gets them (personal callbacks); null makes them shared."
    )

    def validate_operator(self, value):
        if value is None:
            return None
        operator = operator_users().filter(pk=value).first()
        if operator is None:
            raise serializers.ValidationError(_("Not an operator."))
        return operator


class MoveSerializer(serializers.Serializer):
    callback_at = OffsetDateTimeField()


class Callbacks(AuditedPages, generics.ListAPIView):
    """Waiting callbacks, the earliest first (a page read is audited: it carries customer data)."""

    serializer_class = CallbackSerializer
    page_read_action = "callbacks.page_read"
    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    def get_queryset(self):
        params = self.request.query_params
        campaign = params.get("campaign", "")
        operator = params.get("operator", "")
        if campaign and not campaign.isdigit():
            raise serializers.ValidationError({"campaign": [_("A campaign id.")]})
        if operator and operator != SHARED and not operator.isdigit():
            raise serializers.ValidationError({"operator": [_("An operator id, or shared.")]})
        return waiting_callbacks(
            campaign_id=int(campaign) if campaign else None,
            operator=operator,
            overdue=params.get("overdue") in ("1", "true"),
        )

    @extend_schema(
        tags=["callbacks"],
        parameters=[
            OpenApiParameter("campaign", int),
            OpenApiParameter("operator", str, description="An operator id, or `shared`"),
            OpenApiParameter("overdue", bool, description="true: only those past their time"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CallbackReassign(APIView):
    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    @extend_schema(
        tags=["callbacks"],
        request=ReassignSerializer,
        responses={
            200: inline_serializer(
                "ReassignResult",
                {
                    "moved": serializers.ListField(child=serializers.IntegerField()),
                    "refused": serializers.DictField(child=serializers.CharField()),
                },
            ),
            400: OpenApiResponse(description="`errors` by field"),
        },
    )
    def post(self, request):
        serializer = ReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = callback_service.reassign_callbacks(
            entry_ids=serializer.validated_data["entries"],
            operator=serializer.validated_data["operator"],
            by=request.user,
        )
        return Response({"moved": result["moved"], "refused": {str(k): v for k, v in result["refused"].items()}})


class CallbackMove(APIView):
    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    @extend_schema(
        tags=["callbacks"],
        request=MoveSerializer,
        responses={200: CallbackSerializer, 400: OpenApiResponse(description="The calling rule the time would break")},
    )
    def post(self, request, pk):
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = callback_service.move_callback(
            entry_id=pk, at=serializer.validated_data["callback_at"], by=request.user
        )
        return Response(CallbackSerializer(entry).data)


class EntryAddSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, help_text="The customer's id")


REFUSAL = inline_serializer("EntryRefused", {"detail": serializers.CharField(), "reason": serializers.CharField()})


class CallListEntryAdd(APIView):
    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    @extend_schema(
        tags=["lists"],
        request=EntryAddSerializer,
        responses={
            201: CallListEntrySerializer,
            400: OpenApiResponse(description="`errors` by field"),
            409: OpenApiResponse(REFUSAL, description="Refused, with the reason a build would give"),
        },
    )
    def post(self, request, pk):
        call_list = get_object_or_404(CallList, pk=pk)
        serializer = EntryAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = Customer.objects.filter(pk=serializer.validated_data["customer"]).first()
        if customer is None:
            raise serializers.ValidationError({"customer": [_("No such customer.")]})
        try:
            entry = entry_service.add_customer(call_list=call_list, customer=customer, by=request.user)
        except entry_service.EntryRefused as refusal:
            return Response({"detail": str(refusal), "reason": refusal.reason}, status=status.HTTP_409_CONFLICT)
        return Response(CallListEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class CallListEntryCancel(APIView):
    permission_classes = [read_write_permission(SUPERVISE, SUPERVISE)]

    @extend_schema(
        tags=["lists"],
        request=None,
        responses={200: CallListEntrySerializer, 409: OpenApiResponse(REFUSAL, description="Being called, or closed")},
    )
    def post(self, request, pk, entry_id):
        entry = get_object_or_404(CallListEntry, pk=entry_id, call_list_id=pk)
        try:
            entry = entry_service.cancel_entry(entry_id=entry.pk, by=request.user)
        except entry_service.EntryRefused as refusal:
            return Response({"detail": str(refusal), "reason": refusal.reason}, status=status.HTTP_409_CONFLICT)
        return Response(CallListEntrySerializer(entry).data)
