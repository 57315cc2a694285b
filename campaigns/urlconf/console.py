"""Routes of operator work: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns`
for /api/v1/ (docs/api.md#operator-work)."""

from django.urls import path

from ..api import console as api
from ..api.call_events import CallEventView
from ..views import console as views
from ..views import console_customer, console_walk, softphone

urlpatterns: list = [
    path("console/", views.console, name="console"),
    path("console/state/", views.console_state, name="console_state"),
    path("console/next/", views.console_next, name="console_next"),
    path("console/presence/", views.console_presence, name="console_presence"),
    path("console/entries/<int:entry_id>/outcome/", views.console_outcome, name="console_outcome"),
    path("console/entries/<int:entry_id>/renew/", views.console_renew, name="console_renew"),
    path("console/entries/<int:entry_id>/script/", console_walk.console_walk, name="console_walk"),
    path("console/entries/<int:entry_id>/call-events/", softphone.console_call_event, name="console_call_events"),
    path("console/sip-credentials/", softphone.console_sip_credentials, name="console_sip_credentials"),
    path("console/entries/<int:entry_id>/customer/", console_customer.console_customer, name="console_customer"),
    path("console/board/", views.board, name="console_board"),
    path("console/board/entries/<int:entry_id>/release/", views.board_release, name="console_release"),
    path("console/board/operators/<int:operator_id>/sign-off/", views.board_sign_off, name="console_sign_off"),
]
api_urlpatterns: list = [
    path("agent-state/", api.AgentStateView.as_view(), name="api_agent_state"),
    path("dispatch/next/", api.DispatchNextView.as_view(), name="api_dispatch_next"),
    path("dispatch/renew/", api.DispatchRenewView.as_view(), name="api_dispatch_renew"),
    path("attempts/", api.AttemptCreateView.as_view(), name="api_attempts"),
    path("calls/<int:entry>/events/", CallEventView.as_view(), name="api_call_events"),
    path("script-versions/<int:pk>/check-answers/", api.VersionCheckAnswers.as_view(), name="api_script_check_answers"),
]
