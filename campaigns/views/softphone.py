"""The console's call: its events on the server (manual buttons in tel: mode, the softphone in
SIP mode) and the softphone's time-limited SIP credentials. Every answer is about the entry the
operator holds, and a refusal carries no customer data."""

import json

from django.conf import settings
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from callcenter import roles

from ..models import CallEvent
from ..services import call_events, softphone


def softphone_context(request, entry) -> dict:
    """What the console page needs about the call on `entry`: its state on the server (a reload
    shows the truth), and the softphone's settings when a SIP server is configured."""
    state = call_events.call_state(entry)
    campaign = entry.campaign
    context = {
        "call_state_json": json.dumps(state.payload()),
        "call_events_url": reverse("campaigns:console_call_events", args=[entry.pk]),
        "suggested_outcome": state.suggested_outcome,
        "softphone": softphone.enabled(),
    }
    if context["softphone"]:
        context.update(
            {
                "softphone_config_json": json.dumps(
                    {
                        "ws_url": settings.SIP_WS_URL,
                        "credentials_url": reverse("campaigns:console_sip_credentials"),
                        "target": softphone.dial_target(entry.phone),
                        "caller_id": campaign.caller_id,
                        "domain": settings.SIP_DOMAIN,
                        "progressive_seconds": campaign.progressive_dial_seconds,
                        "ice_servers": settings.SIP_ICE_SERVERS,
                    }
                ),
            }
        )
    return context


def allow_sip_websocket(response):
    """The page may open the SIP server's WebSocket (Content-Security-Policy connect-src)."""
    if softphone.enabled():
        response._csp_update = {"connect-src": [settings.SIP_WS_URL]}
    return response


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_call_event(request, entry_id):
    """Record a call event (kind, optional sip_status) on the held entry; answers the call's state."""
    kind = request.POST.get("kind", "")
    raw_status = request.POST.get("sip_status", "").strip()
    sip_status = int(raw_status) if raw_status.isdigit() and 100 <= int(raw_status) <= 699 else None
    source = CallEvent.Source.SOFTPHONE if request.POST.get("source") == "softphone" else CallEvent.Source.CONSOLE
    try:
        state = call_events.record_call_event(
            entry_id=entry_id, operator=request.user, kind=kind, sip_status=sip_status, source=source
        )
    except call_events.CallEventRefused as error:
        return JsonResponse(
            {"detail": str(error), "dial_refused": isinstance(error, call_events.DialRefused)}, status=409
        )
    return JsonResponse(state.payload())


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
@never_cache
def console_sip_credentials(request):
    """Time-limited SIP credentials for the signed-in operator (404 when no SIP server is set up)."""
    if not softphone.enabled():
        raise Http404
    credentials = softphone.issue_credentials(operator=request.user)
    return JsonResponse(
        {
            "username": credentials.username,
            "password": credentials.password,
            "uri": credentials.uri,
            "expires_at": credentials.expires_at,
        }
    )
