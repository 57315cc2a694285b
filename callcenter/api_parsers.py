"""Request parsers of the API (kept apart from callcenter.api: DRF imports them while its own
views module is still loading)."""

import math

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

NUL_MESSAGE = _("Text cannot contain NUL (\\u0000) characters.")
NON_FINITE_MESSAGE = _("Numbers must be finite (1e400 is not).")


def unstorable(value):
    """Why PostgreSQL cannot store this parsed JSON value (a message), or None. It stores no NUL
    in text or jsonb, and no infinity in jsonb; Python's JSON reads 1e400 as infinity."""
    if isinstance(value, str):
        return NUL_MESSAGE if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else NON_FINITE_MESSAGE
    if isinstance(value, dict):
        items = (problem for key, item in value.items() for problem in (unstorable(key), unstorable(item)))
    elif isinstance(value, list):
        items = (unstorable(item) for item in value)
    else:
        return None
    return next((problem for problem in items if problem), None)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what PostgreSQL cannot store: a "\\u0000" or 1e400 inside a
    JSON field (attributes, criteria, answers, ...) would otherwise fail as a database error (a
    500) instead of a 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if isinstance(data, dict):
            errors = {}
            for key, value in data.items():
                if unstorable(key):
                    errors["non_field_errors"] = [unstorable(key)]
                elif unstorable(value):
                    errors[key] = [unstorable(value)]
            if errors:
                raise exceptions.ValidationError(errors)
        elif unstorable(data):
            raise exceptions.ParseError(unstorable(data))
        return data
