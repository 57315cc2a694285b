"""The user behind the current request, for audit events written by signal receivers that are not
handed the request (a role changed in the admin, a client viewer assigned on a form)."""

import contextvars

_request_user = contextvars.ContextVar("audit_request_user", default=None)


class AuditActorMiddleware:
    """Remembers request.user (lazily: nothing is read unless an event is written) for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_user.set(request)
        try:
            return self.get_response(request)
        finally:
            _request_user.reset(token)


def current_actor():
    """The signed-in user of the request being served, or None (a task, a shell, a migration)."""
    request = _request_user.get()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_ip() -> str:
    request = _request_user.get()
    return client_ip(request) if request is not None else ""


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wrote unless a trusted proxy set it.
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""
