"""REST API of customers, the DNC registry and segments (docs/api.md). Thin: serializers validate,
services act, selectors read."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from callcenter import held_calls, roles
from callcenter.api_schema import ID
from callcenter.bulk_reads import AuditedPages

from . import selectors
from .models import Customer, DoNotCall, PhoneNumber, Segment
from .segments import customers_matching
from .serializers import (
    CountSerializer,
    CriteriaSerializer,
    CustomerSerializer,
    DncCheckSerializer,
    DoNotCallSerializer,
    RevokeSerializer,
    SegmentSerializer,
)
from .services import customers as customer_service
from .services import dnc as dnc_service
from .services import erasure
from .services import segments as segment_service


class PerActionPermissions:
    """`action_perms`: action name -> capabilities (any of them passes)."""

    action_perms: dict = {}
    # Ids in the path are numbers, as the schema says: /dnc/abc/revoke/ is an unknown route (404),
    # not a lookup that fails (it was a 500). With the router's path converters (registry.py).
    lookup_value_converter = "int"

    def get_permissions(self):
        perms = self.action_perms.get(self.action) or self.action_perms["default"]
        return [roles.api_permission(*perms)()]


def _int_param(request, name):
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    if not _is_id(value):
        raise serializers.ValidationError({name: [_("Must be an integer id.")]})
    return int(value)


def _is_id(value: str) -> bool:
    """An id as the schema states it: ASCII digits, at least 1 (str.isdigit() takes "²" too)."""
    return value.isascii() and value.isdigit() and int(value) >= 1


class EraseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why, e.g. the deletion request's reference")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name, kana, phone (any format) or external id"),
            OpenApiParameter("segment", ID),
            OpenApiParameter("tag", str),
            OpenApiParameter("prefecture", str),
            OpenApiParameter(
                "subscription_status", str, description="active, paused or cancelled; empty: customers without one"
            ),
            OpenApiParameter("page", int),
        ]
    ),
)
class CustomerViewSet(
    AuditedPages,
    PerActionPermissions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers with their phone numbers. `phones` given in a PATCH replace all of them."""

    serializer_class = CustomerSerializer
    page_read_action = "customers.page_read"
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_perms = {
        "default": (roles.VIEW_CUSTOMERS,),
        "create": (roles.MANAGE_LISTS,),
        "partial_update": (roles.MANAGE_LISTS,),
        "erase": (roles.MANAGE_LISTS,),
    }

    @extend_schema(
        request=EraseSerializer,
        responses={
            200: inline_serializer(
                "Erased", fields={"id": serializers.IntegerField(), "erased_at": serializers.DateTimeField()}
            ),
            400: OpenApiResponse(description="No reason given"),
            409: OpenApiResponse(description="The customer was erased already"),
        },
    )
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        """Deletion request (個人情報保護法): clear the customer's personal data, replace their numbers
        by a keyed hash and keep them from ever being called again. Past calls keep their times and
        outcomes. Audited (`customer.erased`)."""
        customer = get_object_or_404(Customer, pk=pk)
        payload = EraseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reason = payload.validated_data["reason"]
        try:
            customer = erasure.erase_customer(customer=customer, by=request.user, reason=reason)
        except DjangoValidationError as error:
            if not hasattr(error, "error_dict"):  # erased already: a conflict, not bad input
                return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
            raise
        return Response({"id": customer.pk, "erased_at": customer.erased_at})

    def get_queryset(self):
        if self.action != "list":
            return Customer.objects.prefetch_related("phones")
        params = self.request.query_params
        segment = None
        segment_id = _int_param(self.request, "segment")
        if segment_id is not None:
            segment = Segment.objects.filter(pk=segment_id).first()
            if segment is None:
                raise serializers.ValidationError({"segment": [_("No segment with this id.")]})
        filters = selectors.CustomerFilters(
            q=params.get("q", "").strip()[:100],
            tag=params.get("tag", "").strip(),
            segment=segment,
            prefecture=params.get("prefecture", "").strip(),
            subscription_status=params.get("subscription_status") if "subscription_status" in params else None,
            sort="id",
        )
        return selectors.customers_filtered(filters).prefetch_related("phones")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        phones = data.pop("phones", [])
        serializer.instance = customer_service.create_customer(by=self.request.user, phones=phones, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        phones = data.pop("phones", None)
        serializer.instance = customer_service.update_customer(
            customer=serializer.instance, by=self.request.user, phones=phones, **data
        )
        # Re-read the phones: the prefetched ones are stale after a replacement.
        serializer.instance = Customer.objects.prefetch_related("phones").get(pk=serializer.instance.pk)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("phone", str, description="Any format"),
            OpenApiParameter("customer", ID),
            OpenApiParameter(
                "campaign", str, pattern=r"^([0-9]*[1-9][0-9]*|global)$", description='Campaign id, or "global"'
            ),
            OpenApiParameter("active", bool),
        ]
    ),
    create=extend_schema(
        responses={
            201: DoNotCallSerializer,
            404: OpenApiResponse(description="An operator named a customer or number of a call they do not hold"),
        }
    ),
)
class DoNotCallViewSet(
    PerActionPermissions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The registry. Entries are never deleted or edited: revoke them (with a reason)."""

    serializer_class = DoNotCallSerializer
    action_perms = {
        "default": (roles.MANAGE_LISTS, roles.VIEW_AUDIT),
        "create": (roles.MANAGE_LISTS, roles.USE_CONSOLE),
        "revoke": (roles.MANAGE_LISTS,),
        "check": (roles.MANAGE_LISTS, roles.USE_CONSOLE, roles.VIEW_AUDIT),
    }

    def get_queryset(self):
        if self.action != "list":
            return DoNotCall.objects.select_related("created_by", "revoked_by")
        params = self.request.query_params
        customer_id = _int_param(self.request, "customer")
        campaign = params.get("campaign", "").strip()
        if campaign and campaign != "global":
            if not _is_id(campaign):
                raise serializers.ValidationError({"campaign": [_('Must be a campaign id or "global".')]})
            campaign = int(campaign)
        active = params.get("active", "").strip().lower()
        status_filter = {"true": "active", "1": "active", "false": "inactive", "0": "inactive", "": ""}.get(active)
        if status_filter is None:  # not silently ignored: the caller would get revoked entries too
            raise serializers.ValidationError({"active": [_("Use true or false.")]})
        entries = selectors.dnc_entries(
            phone=params.get("phone", "").strip(),
            customer=customer_id,
            campaign=campaign or None,
            status="active" if status_filter == "active" else "",
        )
        if status_filter == "inactive":
            entries = entries.exclude(pk__in=dnc_service.active_entries().values("pk"))
        return entries

    def perform_create(self, serializer):
        data = serializer.validated_data
        source = data["source"]
        if not roles.can(self.request.user, roles.MANAGE_LISTS):
            source = DoNotCall.Source.OPERATOR  # an operator's request is recorded as such
            customer = data.get("customer")
            _require_held(
                self.request.user, customer_id=customer.pk if customer else None, number=data.get("phone_number", "")
            )
        serializer.instance = dnc_service.register_dnc(
            by=self.request.user,
            phone=data.get("phone_number", ""),
            customer=data.get("customer"),
            campaign=data.get("campaign"),
            reason=data["reason"],
            source=source,
            expires_at=data.get("expires_at"),
            note=data.get("note", ""),
        )

    @extend_schema(
        request=RevokeSerializer,
        responses={200: DoNotCallSerializer, 409: OpenApiResponse(description="The entry is already revoked")},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        entry = get_object_or_404(DoNotCall, pk=pk)
        payload = RevokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            entry = dnc_service.revoke_dnc(entry=entry, by=request.user, reason=payload.validated_data["reason"])
        except DjangoValidationError as error:
            if not hasattr(error, "error_dict"):  # already revoked: a conflict, not bad input
                return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
            raise
        return Response(DoNotCallSerializer(entry).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("phone", str, description="Any format"),
            OpenApiParameter("customer", ID),
            OpenApiParameter("campaign", ID),
        ],
        responses={
            200: DncCheckSerializer,
            404: OpenApiResponse(description="An operator asked about a customer or number of a call they do not hold"),
        },
    )
    @action(detail=False, methods=["get"])
    def check(self, request):
        """Whether calling this number / customer for this campaign is blocked right now."""
        phone = request.query_params.get("phone", "").strip()
        customer_id = _int_param(request, "customer")
        campaign_id = _int_param(request, "campaign")
        if not phone and customer_id is None:
            raise serializers.ValidationError({"phone": [_("Give a phone number, a customer or both.")]})
        number = ""
        if phone:
            from .phones import normalize_phone

            number, _valid = normalize_phone(phone)
            if not number:
                raise serializers.ValidationError({"phone": [_("Not a phone number.")]})
        entries = dnc_service.blocking_entries(phone=number or None, customer=customer_id, campaign=campaign_id)
        if not _sees_registry(request.user):
            # An operator asks only about the call they hold, and learns only yes or no.
            _require_held(request.user, customer_id=customer_id, number=number)
            return Response({"blocked": entries.exists()})
        entries = list(entries.select_related("created_by", "revoked_by"))
        return Response({"blocked": bool(entries), "entries": DoNotCallSerializer(entries, many=True).data})


def _sees_registry(user) -> bool:
    return roles.can(user, roles.MANAGE_LISTS, roles.VIEW_AUDIT)


def _require_held(user, *, customer_id, number):
    """404 unless the customer / number is the one of the call `user` holds (or one of that
    customer's numbers): the same answer as for an unknown one, so nothing is learnt."""
    held = held_calls.held_call(user)
    if held is None or (customer_id is not None and customer_id != held.customer_id):
        raise Http404
    if (
        number
        and number != held.phone
        and not PhoneNumber.objects.filter(customer_id=held.customer_id, number=number).exists()
    ):
        raise Http404


class SegmentViewSet(
    PerActionPermissions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Saved customer selections: a name and criteria, counted against the customers of now."""

    serializer_class = SegmentSerializer
    queryset = Segment.objects.order_by("name")
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_perms = {
        "default": (roles.MANAGE_LISTS, roles.VIEW_CUSTOMERS),
        "create": (roles.MANAGE_LISTS,),
        "partial_update": (roles.MANAGE_LISTS,),
        "preview": (roles.MANAGE_LISTS, roles.VIEW_CUSTOMERS),
    }

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = segment_service.create_segment(
            by=self.request.user,
            name=data["name"],
            criteria=data["criteria"],
            description=data.get("description", ""),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = segment_service.update_segment(
            segment=serializer.instance,
            by=self.request.user,
            name=data.get("name"),
            criteria=data.get("criteria"),
            description=data.get("description"),
        )

    @extend_schema(
        responses={200: CountSerializer, 400: OpenApiResponse(description="The segment's criteria no longer apply")}
    )
    @action(detail=True, methods=["get"])
    def count(self, request, pk=None):
        segment = self.get_object()
        try:
            count = customers_matching(segment.criteria).count()
        except DjangoValidationError as error:  # criteria saved before a field was retired
            raise DjangoValidationError({"criteria": error.messages}) from None
        return Response({"count": count})

    @extend_schema(request=CriteriaSerializer, responses=CountSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        payload = CriteriaSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response({"count": customers_matching(payload.validated_data["criteria"]).count()})
