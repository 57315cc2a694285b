"""How the OpenAPI schema describes the API (drf-spectacular's DEFAULT_SCHEMA_CLASS).

The schema is what integrators generate clients from, so it states what the server does:
- the error responses each operation can give, with the error bodies of callcenter.api's exception
  handler: 400 `{"errors": {field: [messages]}}` or `{"detail": "..."}`, every other error
  `{"detail": "..."}`. The common ones are added here from what the operation has (a body, query
  parameters, path ids, paging, role permissions, throttles). A view declares the others it gives (a 404 of
  its own, a 409, a 429) as `OpenApiResponse(description=...)`: the error body is added here;
- request bodies are offered as JSON only (docs/api.md#conventions), uploads as multipart: a
  form-encoded body cannot carry nested JSON, a null, or a number or boolean as anything but text,
  so a client generated for it would send what the serializers refuse or read differently;
- an optional query parameter may be sent empty (`?segment=`): the views read it as not given;
- constraints the serializers enforce but drf-spectacular does not state: a non-blank text needs a
  character that is not white space (DRF trims it), ids are >= 1, a decimal given as text has a digit.
"""

from types import SimpleNamespace

from drf_spectacular import openapi
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication

from .throttles import ListThrottle, is_list


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the user's language.")


class ValidationErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages by field; "non_field_errors" for the request as a whole.',
    )


# A query parameter naming an object by id (OpenApiParameter("customer", ID)).
ID = {"type": "integer", "minimum": 1}

COMMON_ERRORS = {
    "400": "The request is invalid: `errors` names the fields (or `detail` says what could not be read).",
    "401": "No valid credentials (or a token that is not valid).",
    "403": "The user's role may not do this (or a session request without its CSRF token).",
    "404": "Not found, or not visible to this user (also a page number past the last page).",
    "413": "The request body is too large.",
    "415": "The body's content type is not one this operation reads.",
    "429": "Too many requests: try again after Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}

NON_BLANK_PATTERN = r"\S"  # DRF trims white space before its blank check


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """A decimal as text, with at least one digit (drf-spectacular's pattern also matches "" and "-")."""
    whole = f"[0-9]{{1,{max(field.max_whole_digits, 1)}}}" if field.max_whole_digits is not None else "[0-9]+"
    if not field.decimal_places:
        return f"^-?{whole}$"
    fraction = f"[0-9]{{0,{field.decimal_places}}}"
    return f"^-?(?:{whole}(?:\\.{fraction})?|\\.[0-9]{{1,{field.decimal_places}}})$"


def _can_throttle(view, method: str) -> bool:
    """Whether a throttle of the view counts this operation (the list throttle counts list reads only)."""
    return any(
        not isinstance(throttle, ListThrottle) or is_list(SimpleNamespace(method=method), view)
        for throttle in view.get_throttles()
    )


def _checks_permissions(view) -> bool:
    """Whether a permission of the view can refuse an authenticated user."""
    return any(
        not isinstance(permission, (permissions.IsAuthenticated, permissions.AllowAny))
        for permission in view.get_permissions()
    )


class AutoSchema(openapi.AutoSchema):
    def map_parsers(self):
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if (
            direction == "request"
            and type(field) is serializers.CharField  # not its subclasses: they state their own format
            and not field.allow_blank
            and field.trim_whitespace
            and not field.read_only
        ):
            meta["pattern"] = NON_BLANK_PATTERN
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.PrimaryKeyRelatedField) and schema and schema.get("type") == "integer":
            schema["minimum"] = 1
        if isinstance(field, serializers.DecimalField) and schema and "pattern" in schema:
            schema["pattern"] = _decimal_pattern(field)
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                parameter["schema"]["minimum"] = 1
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        authenticators = self.view.get_authenticators()
        codes = ["401"] if authenticators else []  # the token endpoint reads no credentials
        has_body = "requestBody" in operation
        # A query value can be refused too (even a NUL in ?page=).
        if has_body or any(p["in"] == "query" for p in parameters):
            codes.append("400")
        refuses_without_csrf = self.method not in permissions.SAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in authenticators
        )
        if refuses_without_csrf or _checks_permissions(self.view):
            codes.append("403")
        if any(p["in"] == "path" or p["name"] == "page" for p in parameters):
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if _can_throttle(self.view, self.method):
            codes.append("429")
        responses = operation["responses"]
        for code in codes:
            responses.setdefault(code, {"description": COMMON_ERRORS[code]})
        for code, response in responses.items():
            if code >= "400" and "content" not in response:  # a view's own 404/409/429: the error body
                response["content"] = {"application/json": {"schema": self._error_schema(code)}}
            if code == "429":
                response.setdefault("headers", RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_schema(self, code: str) -> dict:
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        if code == "400":
            return {"oneOf": [self.resolve_serializer(ValidationErrorSerializer, "response").ref, error]}
        return error
