"""Shared API pieces: the error shape of docs/api.md#conventions and the auth endpoints."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpResponseRedirect
from django.urls import resolve
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import people
from .roles import roles_of
from .signin import tokens, two_factor
from .throttles import TokenByAddressThrottle, TokenByUsernameThrottle

logger = logging.getLogger(__name__)


class ValueRefused(exceptions.APIException):
    status_code = 400
    default_detail = _(
        "A value in the request cannot be stored: a number out of range, a text too long or a NUL character."
    )
    default_code = "value_refused"


# SQLSTATEs of values PostgreSQL will not store: numeric out of range, string too long, a "\u0000"
# escape in jsonb, datetime out of range, text that is not of the type (Infinity in jsonb).
REFUSED_VALUE_SQLSTATES = {"22003", "22001", "22P05", "22008", "22P02"}


def _refused_value(exc) -> bool:
    """Whether the database refused a value of the request. The serializers check what they know;
    this is the net for the rest (a form-encoded JSON field, a column without a bound in its
    serializer), so bad input is a 400, never a 500."""
    if isinstance(exc, DataError):
        return getattr(exc.__cause__, "pgcode", None) in REFUSED_VALUE_SQLSTATES
    # psycopg2 refuses a NUL in a query parameter before sending it.
    return isinstance(exc, ValueError) and "NUL (0x00)" in str(exc)


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


def exception_handler(exc, context):
    """Validation errors become {"errors": {field: [messages]}}; everything else {"detail"}."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # past DATA_UPLOAD_MAX_MEMORY_SIZE: Django's HTML 400 otherwise
        exc = PayloadTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, DjangoValidationError):
        # A service's refusal (e.g. a name another request took meanwhile): the API's 400 shape.
        # Views let these through rather than converting them themselves.
        exc = exceptions.ValidationError(_validation_error_detail(exc))
    elif isinstance(exc, exceptions.Throttled) and exc.get_codes() == "throttled":
        # A throttle (callcenter.throttles) said no: DRF's own text has no Japanese for the wait.
        wait = exc.wait
        exc = exceptions.Throttled(
            detail=_("Too many requests: try again in %(seconds)s seconds.") % {"seconds": wait}
            if wait
            else _("Too many requests: try again later.")
        )
        exc.wait = wait  # the Retry-After header
    elif _refused_value(exc):
        logger.warning("API request refused by the database: %s", exc, exc_info=True)  # visible if a bug
        exc = ValueRefused()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {"errors": {field: list(_flat_messages(detail)) for field, detail in errors.items()}}
    return response


def _validation_error_detail(error: DjangoValidationError) -> dict:
    """{field: [messages]}; errors of no field (a plain message, or Django's "__all__") under
    "non_field_errors", as a serializer reports them."""
    if not hasattr(error, "error_dict"):
        return {"non_field_errors": error.messages}
    return {
        ("non_field_errors" if field == "__all__" else field): messages
        for field, messages in error.message_dict.items()
    }


def _flat_messages(detail, path: str = ""):
    """A field's errors as the flat list of messages docs/api.md#conventions promises. Nested serializers and list
    items report {"0": {"number": [...]}}; each message is prefixed with where it applies below
    the field ("0.number: ..."), the index counted from 0 as in the request."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            below = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            yield from _flat_messages(value, below)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                yield from _flat_messages(item, f"{path}.{index}" if path else str(index))
            else:
                yield f"{path}: {item}" if path else item
    else:
        yield f"{path}: {detail}" if path else detail


MeSerializer = inline_serializer(
    "Me",
    fields={
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "roles": serializers.ListField(child=serializers.CharField()),
    },
)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=32,
        required=False,
        help_text="The current code of the user's authenticator app (or a recovery code): required for a user "
        "who signs in with two factors.",
    )


TokenResponseSerializer = inline_serializer(
    "Token",
    fields={
        "token": serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once."),
        "expires_at": serializers.DateTimeField(),
    },
)


class ObtainTokenView(APIView):
    """A personal API token for a username and password (and the two-factor code where it
    applies). Each call issues a new token, valid API_TOKEN_LIFETIME_HOURS."""

    # The credentials are in the body: an Authorization header (a stale token) is not looked at.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenByAddressThrottle, TokenByUsernameThrottle]

    @extend_schema(
        tags=["auth"],
        auth=[],
        request=TokenRequestSerializer,
        description="Exchange a username and password for a token that expires (`expires_at`, 12 hours by "
        "default); then send `Authorization: Token <token>`. A user who signs in with two factors also sends "
        "`otp`, the current code of the authenticator app (or a recovery code); without it, or with a wrong one, "
        "the answer is 400 with `errors.otp`. Wrong credentials: 400 `errors.non_field_errors`. 429 (with "
        "Retry-After) while the username is locked out from this address after repeated failed sign-ins, or "
        "the address is, after failures for many usernames; or after too many token requests from one "
        "address or for one username (API_TOKEN_RATE_PER_ADDRESS, API_TOKEN_RATE_PER_USERNAME).",
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Wrong credentials, or a missing or wrong one-time code"),
            429: OpenApiResponse(description="The username is locked out for a while (Retry-After says how long)"),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if user is None:
            # A username locked out by django-axes is told so with a 429, as the login page does,
            # instead of "wrong credentials": told that, an integration would go and change a
            # password that is right.
            if getattr(request, "axes_locked_out", False):  # set by the axes backend during authenticate()
                raise exceptions.Throttled(
                    wait=settings.AXES_COOLOFF_TIME * 3600,
                    detail=str(_("Too many failed sign-ins for this user or from this address: try again later.")),
                    code="locked_out",  # its own message, not the throttles' (exception_handler)
                )
            raise exceptions.ValidationError({"non_field_errors": [_("Unable to sign in with these credentials.")]})
        if two_factor.must_verify(user):
            if not two_factor.is_enrolled(user):
                raise exceptions.ValidationError(
                    {"otp": [_("Two-factor sign-in is required for this user: set it up in the browser first.")]}
                )
            if not data.get("otp"):
                raise exceptions.ValidationError(
                    {"otp": [_("This user signs in with two factors: send the authenticator's current code as otp.")]}
                )
            if two_factor.verify(user, data["otp"]) is None:
                raise exceptions.ValidationError({"otp": [_("This code is wrong or was already used.")]})
        if people.password_change_due(user):
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("Someone else set this password: sign in in the browser and choose your own first.")
                    ]
                }
            )
        token, secret = tokens.issue_personal_token(user, name="POST /api/v1/auth/token/")
        return Response(
            {"token": secret, "expires_at": serializers.DateTimeField().to_representation(token.expires_at)}
        )


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
def unknown_route(request, *args, **kwargs):
    raise exceptions.NotFound()


def missing_slash(request, path):
    """Every API path ends in "/". Django's APPEND_SLASH answers a POST without it with a 301,
    which clients follow as a GET (the write is not made; with DEBUG on it is even a 500). A 308
    sends every method, body included, to the path with the slash; a path that is no route with
    the slash either is a 404 at once."""
    if resolve(request.path_info + "/").func is unknown_route:
        return unknown_route(request)
    location = request.path + "/" + (f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else "")
    return HttpResponseRedirect(location, status=301 if request.method in ("GET", "HEAD") else 308)


@extend_schema(responses=MeSerializer, tags=["auth"])
@api_view(["GET"])
def me(request):
    user = request.user
    return Response({"id": user.id, "username": user.username, "roles": roles_of(user)})
