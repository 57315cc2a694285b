"""REST API of operator work (docs/api.md#operator-work): agent state, next-call dispatch, attempts.
Same services and rules as the console page."""

import datetime as dt

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles
from callcenter.api_fields import OffsetDateTimeField
from contacts.models import Customer
from scripts.models import ScriptVersion
from scripts.serializers import AnswerCheckSerializer
from scripts.services import validate_answers

from ..models import AgentStateLog, Appointment, CallAttempt, CallListEntry, Disposition, Salesperson
from ..selectors.console import held_entry, no_call_code
from ..services import agent_state, appointments, dispatch, outcomes, script_choice
from ..services.appointments import Booking

UseConsole = roles.api_permission(roles.USE_CONSOLE)


# ------------------------------------------------------------------ agent state


class AgentStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=AgentStateLog.State.values)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=100)


AgentStateResponse = inline_serializer(
    "AgentStateNow",
    fields={
        "state": serializers.CharField(),
        "reason": serializers.CharField(),
        "since": serializers.DateTimeField(allow_null=True),
    },
)


class AgentStateView(APIView):
    permission_classes = [UseConsole]

    @extend_schema(
        request=AgentStateSerializer,
        responses={
            200: AgentStateResponse,
            409: OpenApiResponse(description="Not allowed now (e.g. a break while holding a call)"),
        },
        tags=["operator work"],
    )
    def post(self, request):
        serializer = AgentStateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            log = agent_state.change_agent_state(
                operator=request.user,
                state=serializer.validated_data["state"],
                reason=serializer.validated_data.get("reason", ""),
            )
        except agent_state.AgentStateError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        if log is None:
            return Response({"state": AgentStateLog.State.OFFLINE, "reason": "", "since": None})
        return Response({"state": log.state, "reason": log.reason, "since": log.started_at})


# ------------------------------------------------------------------ dispatch


def _customer_payload(customer) -> dict:
    return {
        "id": customer.pk,
        "external_id": customer.external_id,
        "name": customer.name,
        "name_kana": customer.name_kana,
        "gender": customer.gender,
        "birth_date": customer.birth_date,
        "age": customer.age(),
        "prefecture": customer.prefecture,
        "time_zone": customer.time_zone,
        "first_purchase_at": customer.first_purchase_at,
        "last_purchase_at": customer.last_purchase_at,
        "purchase_count": customer.purchase_count,
        "total_spent": customer.total_spent,
        "subscription_status": customer.subscription_status,
        "tags": customer.tags,
        "notes": customer.notes,
        "last_contact_at": customer.last_contact_at,
        "last_disposition": customer.last_disposition,
        "phones": [
            {"number": phone.number, "kind": phone.kind, "is_primary": phone.is_primary}
            for phone in customer.phones.all()
            if phone.is_valid
        ],
    }


def dispatch_payload(entry) -> dict:
    from ..services.script_choice import choose_script_version

    version = choose_script_version(campaign=entry.campaign, customer=entry.customer)
    return {
        "entry": entry.pk,
        "campaign": entry.campaign_id,
        "list": entry.call_list_id,
        "customer": _customer_payload(entry.customer),
        "phone": entry.phone,
        "script": version.script_id if version else entry.campaign.script_id,
        "script_version": version.pk if version else None,
        "attempt_number": entry.attempts + 1,
        "callback_at": entry.callback_at,
        "held_until": entry.held_until,
    }


DispatchResponse = inline_serializer(
    "DispatchNext",
    fields={
        "entry": serializers.IntegerField(),
        "campaign": serializers.IntegerField(),
        "list": serializers.IntegerField(),
        "customer": serializers.DictField(),
        "phone": serializers.CharField(),
        "script": serializers.IntegerField(allow_null=True),
        "script_version": serializers.IntegerField(allow_null=True),
        "attempt_number": serializers.IntegerField(),
        "callback_at": serializers.DateTimeField(allow_null=True),
        "held_until": serializers.DateTimeField(),
    },
)


class DispatchNextView(APIView):
    permission_classes = [UseConsole]

    @extend_schema(
        request=None,
        responses={
            200: DispatchResponse,
            204: OpenApiResponse(description="Nothing is dialable now; the X-Dispatch-Reason header says why"),
        },
        tags=["operator work"],
    )
    def post(self, request):
        entry = dispatch.dispatch_next(operator=request.user)
        if entry is None:
            response = Response(status=status.HTTP_204_NO_CONTENT)
            response["X-Dispatch-Reason"] = no_call_code(operator=request.user)
            return response
        return Response(dispatch_payload(entry))


class RenewSerializer(serializers.Serializer):
    entry = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


RenewResponse = inline_serializer(
    "HoldRenewed",
    fields={
        "entry": serializers.IntegerField(),
        "held_until": serializers.DateTimeField(),
        "at_ceiling": serializers.BooleanField(
            help_text="Renewals cannot keep the hold any longer (DISPATCH_HOLD_MAX_MINUTES after the dispatch)."
        ),
    },
)


class DispatchRenewView(APIView):
    """Keep the hold while the call goes on; call it every minute or so during long calls."""

    permission_classes = [UseConsole]

    @extend_schema(
        request=RenewSerializer,
        responses={
            200: RenewResponse,
            409: OpenApiResponse(description="The operator does not hold this entry any more"),
        },
        tags=["operator work"],
    )
    def post(self, request):
        serializer = RenewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry_id = serializer.validated_data["entry"]
        try:
            hold = dispatch.renew_hold(entry_id=entry_id, operator=request.user)
        except dispatch.HoldLost as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response({"entry": entry_id, "held_until": hold.held_until, "at_ceiling": hold.at_ceiling})


# ------------------------------------------------------------------ attempts


class AppointmentBookingSerializer(serializers.Serializer):
    salesperson = serializers.PrimaryKeyRelatedField(queryset=Salesperson.objects.all())
    starts_at = OffsetDateTimeField(help_text="Within the salesperson's working hours; the length is theirs.")
    mode = serializers.ChoiceField(choices=Appointment.Mode.values, default=Appointment.Mode.VISIT)
    place = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AttemptSerializer(serializers.Serializer):
    # Bounded to PostgreSQL's bigint: the outcome's locking read would fail on a larger id (a 500).
    entry = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    disposition = serializers.SlugRelatedField(slug_field="code", queryset=Disposition.objects.all())
    started_at = OffsetDateTimeField()
    answered_at = OffsetDateTimeField(required=False, allow_null=True)
    ended_at = OffsetDateTimeField()
    talk_seconds = serializers.IntegerField(min_value=0, max_value=86400, default=0)
    hold_seconds = serializers.IntegerField(min_value=0, max_value=86400, default=0)
    acw_seconds = serializers.IntegerField(min_value=0, max_value=86400, default=0)
    reaction = serializers.ChoiceField(choices=CallAttempt.Reaction.values, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    callback_at = OffsetDateTimeField(required=False, allow_null=True)
    callback_personal = serializers.BooleanField(required=False, default=False)
    dnc_request = serializers.BooleanField(required=False, default=False)
    script_version = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1)
    answers = serializers.DictField(required=False)
    disclosure_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The operator stated the mandatory disclosure (特定商取引法 Art. 16). Also true when `answers` "
        "confirm the script's disclosure step. A policy with disclosure_required refuses a contact outcome without it.",
    )
    promised_on = serializers.DateField(
        required=False, allow_null=True, help_text="Promise to pay (支払約束): the date the customer promised to pay."
    )
    promised_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=0,
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Promise to pay: the amount promised (yen).",
    )
    client_token = serializers.CharField(required=False, allow_blank=True, max_length=64)
    appointment = AppointmentBookingSerializer(
        required=False,
        allow_null=True,
        help_text="Required with the outcome that books an appointment (code `appointment`), refused with any "
        "other: booked in the same transaction as the attempt (docs/api.md#appointments).",
    )

    def validate(self, attrs):
        """The call happened while the entry was held: after its dispatch, which is at most
        DISPATCH_HOLD_MAX_MINUTES ago, and not in the future. A dialer's clock far off would
        otherwise store an attempt in year 1, whose retry time (started_at + delay) is long past:
        the entry dialable again at once, the minimum gap and the daily maximum not counting it."""
        now = timezone.now()
        earliest = now - dt.timedelta(minutes=settings.DISPATCH_HOLD_MAX_MINUTES) - outcomes.CLOCK_TOLERANCE
        errors = {}
        if attrs["started_at"] < earliest:
            errors["started_at"] = [
                _("The call cannot start before its dispatch, %(minutes)s minutes ago at most.")
                % {"minutes": settings.DISPATCH_HOLD_MAX_MINUTES}
            ]
        if attrs["ended_at"] > now + outcomes.CLOCK_TOLERANCE:
            errors["ended_at"] = [_("The call cannot end in the future.")]
        if attrs["disposition"].books_appointment and not attrs.get("appointment"):
            errors["appointment"] = [_("Choose a slot for the appointment.")]
        elif attrs.get("appointment") and not attrs["disposition"].books_appointment:
            errors["appointment"] = [_("This outcome does not book an appointment.")]
        token = (attrs.get("client_token") or "").strip()
        if errors and not (token and outcomes.token_recorded(token)):  # a late replay stays one
            raise serializers.ValidationError(errors)
        return attrs


AttemptResponse = inline_serializer(
    "AttemptCreated",
    fields={
        "id": serializers.IntegerField(),
        "entry_status": serializers.CharField(),
        "next_attempt_at": serializers.DateTimeField(allow_null=True),
        "appointment": serializers.IntegerField(
            allow_null=True, help_text="The appointment booked with the attempt (docs/api.md#appointments)"
        ),
    },
)


class AttemptCreateView(APIView):
    permission_classes = [UseConsole]

    @extend_schema(
        request=AttemptSerializer,
        responses={201: AttemptResponse, 409: OpenApiResponse(description="The operator does not hold this entry")},
        tags=["operator work"],
    )
    def post(self, request):
        serializer = AttemptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            data["script_version"] = script_choice.version_for_attempt(
                entry_id=data["entry"],
                script_version=data.get("script_version"),
                answers=data.get("answers"),
            )
            booking = data.pop("appointment", None)
            appointment = None
            if booking:  # the appointment outcome (the serializer checked)
                booked = appointments.record_outcome_with_appointment(
                    entry=data.pop("entry"), operator=request.user, booking=Booking(**booking), **data
                )
                result, appointment = booked.result, booked.appointment
            else:
                result = outcomes.record_outcome(
                    entry=data.pop("entry"),
                    operator=request.user,
                    **data,
                )
        except CallListEntry.DoesNotExist:  # found by the outcome's own locking read: no extra query
            raise serializers.ValidationError({"entry": [_("Unknown entry.")]}) from None
        except outcomes.EntryNotHeld as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        entry = result.entry
        return Response(
            {
                "id": result.attempt.pk,
                "entry_status": entry.status,
                "next_attempt_at": entry.next_attempt_at,
                "appointment": appointment.pk if appointment else None,
            },
            status=status.HTTP_201_CREATED,
        )


# ------------------------------------------------------------------ checking script answers


class VersionCheckAnswers(APIView):
    """Check answers before logging an outcome (what the console does when recording it). An
    operator names only the customer of the call they hold (the answers' conditions read the
    customer's data); supervisors may check any customer."""

    permission_classes = [roles.api_permission(roles.USE_CONSOLE, roles.MANAGE_LISTS)]

    @extend_schema(
        request=AnswerCheckSerializer,
        responses={
            200: inline_serializer(
                "AnswerCheckResult", fields={"errors": serializers.ListField(child=serializers.CharField())}
            ),
            404: OpenApiResponse(
                description="No such published version, or an operator named a customer of a call they do not hold"
            ),
        },
    )
    def post(self, request, pk):
        version = get_object_or_404(ScriptVersion.objects.exclude(status=ScriptVersion.Status.DRAFT), pk=pk)
        body = AnswerCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        customer = None
        customer_id = body.validated_data.get("customer")
        if customer_id:
            if roles.can(request.user, roles.MANAGE_LISTS):
                customer = get_object_or_404(Customer, pk=customer_id)
            else:
                held = held_entry(request.user)
                if held is None or held.customer_id != customer_id:
                    raise Http404
                customer = held.customer
        errors = validate_answers(
            version=version,
            answers=body.validated_data["answers"],
            disposition=Disposition.objects.filter(code=body.validated_data["disposition"]).first(),
            customer=customer,
        )
        return Response({"errors": errors})
