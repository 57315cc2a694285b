"""REST shapes of docs/api.md: customers, the do-not-call registry and segments."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from callcenter.api_fields import HourMinuteField, OffsetDateTimeModelSerializer

from .models import Customer, DoNotCall, PhoneNumber, Segment
from .segments import MATCH_MODES, MAX_RULES, validate_criteria


@extend_schema_field({"type": "object", "description": "A JSON object (free keys)."})
class JSONObjectField(serializers.JSONField):
    """JSON that must be an object: the schema says so, and a list or a string is refused."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Must be a JSON object."))
        return value


@extend_schema_field(
    {
        "type": "object",
        "description": '{"match": "all"|"any", "rules": [{"field", "op", "value"} or a nested group]}',
        "properties": {
            "match": {"type": "string", "enum": list(MATCH_MODES), "default": "all"},
            "rules": {"type": "array", "maxItems": MAX_RULES, "items": {"type": "object"}},
        },
        "additionalProperties": False,
    }
)
class CriteriaField(JSONObjectField):
    """Segment criteria: their shape in the schema; the rules themselves are checked by
    segments.validate_criteria (known fields, operators and values)."""


@extend_schema_field({"type": "string", "enum": PhoneNumber.Kind.values})
class PhoneKindField(serializers.ChoiceField):
    """Phone kind, described inline in the schema: an "enum component" named after the field
    ("kind") would collide with other apps' fields called kind."""


class PhoneSerializer(serializers.ModelSerializer):
    number = serializers.CharField(max_length=64, help_text="Any format on input; E.164 on output.")
    kind = PhoneKindField(choices=PhoneNumber.Kind.choices, required=False)
    is_primary = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = PhoneNumber
        fields = ["number", "kind", "is_primary", "is_valid"]
        read_only_fields = ["is_valid"]


class CallWindowSerializer(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="0 = Monday … 6 = Sunday; empty or missing: every day.",
    )
    start = HourMinuteField()
    end = HourMinuteField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # A PATCH makes nested fields optional (DRF's partial): a window still needs both ends.
        missing = {name: [_("This field is required.")] for name in ("start", "end") if name not in value}
        if missing:
            raise serializers.ValidationError(missing)
        return {
            "weekdays": value.get("weekdays", []),
            "start": value["start"].strftime("%H:%M"),
            "end": value["end"].strftime("%H:%M"),
        }


class CustomerSerializer(OffsetDateTimeModelSerializer):
    phones = PhoneSerializer(many=True, required=False)
    preferred_call_windows = CallWindowSerializer(
        many=True, required=False, help_text="When the customer prefers to be called, in their local time."
    )
    total_spent = serializers.DecimalField(
        max_digits=14, decimal_places=0, coerce_to_string=False, required=False, min_value=0
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=100)
    attributes = JSONObjectField(required=False)
    mail_open_rate = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "name_kana",
            "gender",
            "birth_date",
            "email",
            "postal_code",
            "prefecture",
            "address",
            "time_zone",
            "registered_at",
            "first_purchase_at",
            "last_purchase_at",
            "purchase_count",
            "total_spent",
            "subscription_status",
            "mail_open_rate",
            "last_web_visit_at",
            "tags",
            "attributes",
            "notes",
            "no_workplace_calls",
            "preferred_call_windows",
            "no_workplace_calls",
            "phones",
            "last_attempt_at",
            "last_contact_at",
            "last_disposition",
            "last_reaction",
            "consecutive_no_contact",
            "attempt_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "last_attempt_at",
            "last_contact_at",
            "last_disposition",
            "last_reaction",
            "consecutive_no_contact",
            "attempt_count",
            "created_at",
            "updated_at",
        ]
        # Uniqueness of external_id is checked by the service (a clear 400 either way).
        extra_kwargs = {"external_id": {"validators": []}}

    def validate_time_zone(self, value):
        from zoneinfo import available_timezones

        if value not in available_timezones():
            raise serializers.ValidationError(_("Unknown time zone (write it like Asia/Tokyo)."))
        return value


class DoNotCallSerializer(OffsetDateTimeModelSerializer):
    phone = serializers.CharField(
        source="phone_number",
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any format on input; E.164 on output.",
    )
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=DoNotCall._meta.get_field("campaign").related_model.objects.all(),
        required=False,
        allow_null=True,
        help_text="null = every campaign",
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = DoNotCall
        fields = [
            "id",
            "phone",
            "customer",
            "campaign",
            "reason",
            "source",
            "note",
            "expires_at",
            "active",
            "created_by",
            "created_at",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        ]
        read_only_fields = ["id", "created_by", "created_at", "revoked_at", "revoked_by", "revoke_reason"]

    def get_active(self, entry) -> bool:
        return entry.is_active()

    def validate_phone(self, value):
        from .phones import normalize_phone

        value = value.strip()
        if not value:
            return ""
        number, valid = normalize_phone(value)
        if not valid:
            raise serializers.ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": value})
        return number

    def validate(self, data):
        if not data.get("phone_number") and not data.get("customer"):
            raise serializers.ValidationError({"phone": [_("Give a phone number, a customer or both.")]})
        return data


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class SegmentSerializer(serializers.ModelSerializer):
    criteria = CriteriaField()

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "criteria", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def validate_criteria(self, value):
        return validate_criteria(value)  # DRF reports its ValidationError under "criteria"


class CriteriaSerializer(serializers.Serializer):
    criteria = CriteriaField()

    def validate_criteria(self, value):
        return validate_criteria(value)  # DRF reports its ValidationError under "criteria"


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class DncCheckSerializer(serializers.Serializer):
    blocked = serializers.BooleanField()
    entries = DoNotCallSerializer(
        many=True, required=False, help_text="Supervisors and auditors only: operators learn only `blocked`."
    )
