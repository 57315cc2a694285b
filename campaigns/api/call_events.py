"""REST API of a call's events (docs/api.md#operator-work): what an external dialer or PBX
integration reports about the call on an entry the operator holds, timed by the server. Same
service as the console (campaigns.services.call_events)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles

from ..models import CallEvent
from ..services import call_events


class CallEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CallEvent.Kind.values)
    sip_status = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=100,
        max_value=699,
        help_text="The final SIP response of a failed dial (486, 480, 404 ...); kept for 'failed' and 'hung_up'.",
    )


CallStateResponse = inline_serializer(
    "CallState",
    fields={
        "phase": serializers.ChoiceField(
            choices=["idle", "dialing", "ringing", "talking", "on_hold", "ended", "failed"]
        ),
        "dialed_ms_ago": serializers.IntegerField(allow_null=True),
        "answered_ms_ago": serializers.IntegerField(allow_null=True),
        "ended_ms_ago": serializers.IntegerField(allow_null=True),
        "hold_since_ms_ago": serializers.IntegerField(allow_null=True),
        "closed_hold_ms": serializers.IntegerField(),
        "ring_seconds": serializers.IntegerField(),
        "talk_seconds": serializers.IntegerField(),
        "hold_seconds": serializers.IntegerField(),
        "sip_status": serializers.IntegerField(allow_null=True),
        "suggested_outcome": serializers.CharField(
            allow_null=True, help_text="The outcome code a SIP failure suggests (busy, no_answer, invalid_number)."
        ),
    },
)


class CallEventView(APIView):
    """Record one event of the call on a held entry (the `entry` of `POST /dispatch/next/`)."""

    permission_classes = [roles.api_permission(roles.USE_CONSOLE)]

    @extend_schema(
        parameters=[OpenApiParameter("entry", int, OpenApiParameter.PATH, description="The held entry's id")],
        request=CallEventSerializer,
        responses={
            200: CallStateResponse,
            409: OpenApiResponse(
                description="Not possible now: the entry is not held by you, the call is not in a state the event "
                "applies to, or (for 'dialing') the do-not-call registry or a calling rule refuses the dial"
            ),
        },
        tags=["operator work"],
    )
    def post(self, request, entry):
        serializer = CallEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            state = call_events.record_call_event(
                entry_id=entry,
                operator=request.user,
                kind=serializer.validated_data["kind"],
                sip_status=serializer.validated_data.get("sip_status"),
                source=CallEvent.Source.API,
            )
        except call_events.CallEventRefused as error:
            return Response(
                {"detail": str(error), "dial_refused": isinstance(error, call_events.DialRefused)},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(state.payload())
