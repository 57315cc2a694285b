"""API throttles. Reading customer data page by page is an export: a user's list requests are
limited (ListThrottle, on every list endpoint by default); getting a token is limited per address
and per username, so guessing passwords is slow from one machine and for one account (on top of
django-axes locking a username after repeated failures).

The rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (from the environment, see settings), read
at each request; the counts live in the default cache, Redis. Redis away must not stop the API: a throttle that
cannot count lets the request through (callcenter.cache_safely logs a warning)."""

import hashlib

from rest_framework.mixins import ListModelMixin
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from . import cache_safely


class _BestEffortCache:
    """The cache as DRF's throttles use it, through callcenter.cache_safely: with Redis away
    nothing is counted (every request goes through) and a warning is logged."""

    def get(self, key, default=None):
        value = cache_safely.get(key)
        return default if value is None else value

    def set(self, key, value, timeout):
        cache_safely.set(key, value, timeout)


class _CountedInTheCache:
    cache = _BestEffortCache()

    def get_rate(self):
        # Not the class attribute DRF binds at import: settings changed since (tests) apply too.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


def is_list(request, view) -> bool:
    """A GET of a list endpoint: a viewset's list action, or a generic view listing."""
    if request.method not in ("GET", "HEAD"):
        return False
    action = getattr(view, "action", None)
    return action == "list" if action is not None else isinstance(view, ListModelMixin)


class ListThrottle(_CountedInTheCache, UserRateThrottle):
    """List requests per user (per address for anonymous callers, who are refused anyway)."""

    scope = "list"

    def allow_request(self, request, view):
        return not is_list(request, view) or super().allow_request(request, view)


class TokenByAddressThrottle(_CountedInTheCache, SimpleRateThrottle):
    """Token requests per client address (REMOTE_ADDR, or the address the AXES_PROXY_COUNT
    trusted proxies put in X-Forwarded-For)."""

    scope = "token_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenByUsernameThrottle(_CountedInTheCache, SimpleRateThrottle):
    """Token requests per username asked for, from any address."""

    scope = "token_username"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None  # nothing to count: the request is refused as invalid
        ident = hashlib.sha256(username.encode()).hexdigest()  # any text, a key of fixed size
        return self.cache_format % {"scope": self.scope, "ident": ident}
