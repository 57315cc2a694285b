"""Serializer fields shared by the apps' APIs."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
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
