"""Appointments for CRMs (docs/api.md#appointments): read-only. Supervisors and managers read
every appointment, a salesperson their own; each page read is audited (it carries customer data)."""

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from callcenter import roles
from callcenter.api_schema import ID
from callcenter.bulk_reads import AuditedPages

from ..models import Appointment
from ..selectors import console as console_selectors
from ..selectors.appointments import appointments_visible_to
from ..services import appointments as appointment_services
from ..services import scheduling

READERS = (roles.MANAGE_LISTS, roles.VIEW_CUSTOMERS, roles.WORK_APPOINTMENTS)


class AppointmentCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    name_kana = serializers.CharField()
    phone = serializers.SerializerMethodField()
    prefecture = serializers.CharField()
    address = serializers.CharField()

    def get_phone(self, customer) -> str | None:
        phone = customer.primary_phone
        return phone.number if phone is not None else None


class AppointmentSalespersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    time_zone = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    customer = AppointmentCustomerSerializer()
    salesperson = AppointmentSalespersonSerializer()
    campaign = serializers.IntegerField(source="campaign_id")
    campaign_name = serializers.CharField(source="campaign.name")
    call_list = serializers.IntegerField(source="call_list_id", allow_null=True)
    attempt = serializers.IntegerField(source="attempt_id", allow_null=True)
    booked_by = serializers.CharField(source="booked_by.username", allow_null=True, default=None)
    rescheduled_from = serializers.IntegerField(source="rescheduled_from_id", allow_null=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "starts_at",
            "ends_at",
            "mode",
            "place",
            "notes",
            "customer",
            "salesperson",
            "campaign",
            "campaign_name",
            "call_list",
            "attempt",
            "booked_by",
            "set_at",
            "status_changed_at",
            "rescheduled_from",
        ]
        read_only_fields = fields


def _moment(request, name):
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise serializers.ValidationError(
            {name: [_("Give the time with its UTC offset, e.g. 2026-04-01T09:30:00+09:00.")]}
        )
    return value


def _id(request, name):
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise serializers.ValidationError({name: [_("Must be an integer id.")]})
    return int(raw)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Appointment.Status.values),
            OpenApiParameter("salesperson", ID),
            OpenApiParameter("campaign", ID),
            OpenApiParameter(
                "starts_after", str, description="Appointments starting at or after this time (with its UTC offset)"
            ),
            OpenApiParameter("starts_before", str, description="Appointments starting before this time"),
            OpenApiParameter("page", int),
        ]
    )
)
class AppointmentList(AuditedPages, generics.ListAPIView):
    """Appointments, earliest first."""

    serializer_class = AppointmentSerializer
    page_read_action = "appointments.page_read"
    permission_classes = [roles.api_permission(*READERS)]

    def get_queryset(self):
        request = self.request
        appointments = appointments_visible_to(request.user).prefetch_related("customer__phones")
        status = request.query_params.get("status", "")
        if status:
            if status not in Appointment.Status.values:
                raise serializers.ValidationError(
                    {"status": [_("One of %(values)s.") % {"values": ", ".join(Appointment.Status.values)}]}
                )
            appointments = appointments.filter(status=status)
        for name, lookup in (("salesperson", "salesperson_id"), ("campaign", "campaign_id")):
            value = _id(request, name)
            if value is not None:
                appointments = appointments.filter(**{lookup: value})
        after, before = _moment(request, "starts_after"), _moment(request, "starts_before")
        if after is not None:
            appointments = appointments.filter(starts_at__gte=after)
        if before is not None:
            appointments = appointments.filter(starts_at__lt=before)
        return appointments.order_by("starts_at", "id")


class AppointmentDetail(generics.RetrieveAPIView):
    """One appointment (404 for one the caller may not see)."""

    serializer_class = AppointmentSerializer
    permission_classes = [roles.api_permission(*READERS)]

    def get_queryset(self):
        return appointments_visible_to(self.request.user).prefetch_related("customer__phones")


class SlotSerializer(serializers.Serializer):
    salesperson = serializers.IntegerField()
    salesperson_name = serializers.CharField()
    salesperson_time_zone = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("entry", ID, required=True, description="The entry the operator holds"),
            OpenApiParameter("start", str, description="First day (YYYY-MM-DD, the customer's date); default today"),
        ],
        responses={
            200: SlotSerializer(many=True),
            404: OpenApiResponse(description="The operator does not hold this entry"),
        },
        tags=["operator work"],
    )
)
class AppointmentSlotList(generics.GenericAPIView):
    """The free slots of the salespeople who fit the held call's customer, for a week: what the
    console's booking panel lists; book one with POST /api/v1/attempts/."""

    permission_classes = [roles.api_permission(roles.USE_CONSOLE)]
    serializer_class = SlotSerializer
    pagination_class = None

    def get(self, request):
        entry_id = _id(request, "entry")
        if entry_id is None:
            raise serializers.ValidationError({"entry": [_("Must be an integer id.")]})
        entry = console_selectors.held_entry(request.user, entry_id=entry_id)
        if entry is None:  # only the call the operator holds
            raise NotFound()
        zone = scheduling.zone(entry.customer.time_zone) or timezone.get_current_timezone()
        today = timezone.now().astimezone(zone).date()
        raw = request.query_params.get("start", "").strip()
        start = None
        if raw:
            try:
                start = parse_date(raw)
            except ValueError:
                start = None
            if start is None:
                raise serializers.ValidationError({"start": [_("A date as YYYY-MM-DD.")]})
        start = min(max(start or today, today), today + dt.timedelta(days=appointment_services.FURTHEST_DAYS))
        slots = appointment_services.free_slots(
            salespeople=appointment_services.salespeople_for(entry.customer), start=start
        )
        rows = [
            {
                "salesperson": slot.salesperson.pk,
                "salesperson_name": slot.salesperson.name,
                "salesperson_time_zone": slot.salesperson.time_zone,
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
            }
            for slot in slots
        ]
        return Response(SlotSerializer(rows, many=True).data)
