"""Request parsers of the API (kept apart from callcenter.api: DRF imports them while its own
views module is still loading)."""
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

NUL_MESSAGE = _("Text cannot contain NUL (\\u0000) characters.")


def contains_nul(value) -> bool:
    """Whether a parsed JSON document holds a NUL character in any string or key."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing NUL characters: PostgreSQL stores none in text or jsonb, so a
    "\\u0000" inside a JSON field (attributes, criteria, answers, ...) would otherwise fail as a
    database error (a 500) instead of a 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if isinstance(data, dict):
            errors = {
                (key if not contains_nul(key) else "non_field_errors"): [NUL_MESSAGE]
                for key, value in data.items() if contains_nul(key) or contains_nul(value)
            }
            if errors:
                raise exceptions.ValidationError(errors)
        elif contains_nul(data):
            raise exceptions.ParseError(NUL_MESSAGE)
        return data
