"""Appointments for CRMs (docs/api.md#appointments): read-only. Supervisors and managers read
every appointment, a salesperson their own; each page read is audited (it carries customer data)."""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers

from callcenter import roles
from callcenter.api_schema import ID
from callcenter.bulk_reads import AuditedPages

from ..models import Appointment
from ..selectors.appointments import appointments_visible_to

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
