"""Operator presence: every console request and operator-work API call of a signed-in user
notes that the operator is here (services.agent_state.note_presence), so the absence sweep never
signs off someone who is working."""

from .services.agent_state import note_presence

# Console pages and actions (namespace "campaigns") and the operator-work API.
PRESENCE_VIEWS = {
    "campaigns:console",
    "campaigns:console_state",
    "campaigns:console_next",
    "campaigns:console_outcome",
    "campaigns:console_renew",
    "campaigns:console_presence",
    "api_agent_state",
    "api_dispatch_next",
    "api_dispatch_renew",
    "api_attempts",
}


class OperatorPresenceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # After the view: an API client is only authenticated (token) inside it.
        user = getattr(request, "user", None)
        if (
            match is not None
            and match.view_name in PRESENCE_VIEWS
            and user is not None
            and user.is_authenticated
            and response.status_code < 500
        ):
            note_presence(user.pk)
        return response
