"""Serializer fields shared by the apps' APIs."""

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class OffsetDateTimeField(serializers.DateTimeField):
    """A timestamp that carries its UTC offset, as docs/api.md#conventions requires.
    Without one DRF would read it in the server's time zone: a dialer or CRM sending UTC or US
    local time without the offset would have its calls, callbacks and expiries silently moved
    by hours."""

    default_error_messages = {
        "offset": _("Give the time with its UTC offset, e.g. 2026-04-01T09:30:00+09:00."),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("offset")
        return super().enforce_timezone(value)


class OffsetDateTimeModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose writable timestamps require their offset."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
    }


HOUR_MINUTE_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@extend_schema_field({"type": "string", "pattern": HOUR_MINUTE_PATTERN, "example": "09:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day as "HH:MM" (24-hour), in and out, as docs/api.md#conventions writes calling hours."""

    default_error_messages = {"invalid": _("Write the time as HH:MM, e.g. 09:00.")}

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value):
        # strptime would also take "9:5"; the schema's pattern is the whole rule.
        if not isinstance(value, str) or not re.fullmatch(HOUR_MINUTE_PATTERN, value):
            self.fail("invalid")
        return super().to_internal_value(value)
