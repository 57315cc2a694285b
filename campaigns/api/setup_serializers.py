"""Serializers of policies, dispositions, campaigns and call lists
(docs/api.md#policies-dispositions-campaigns-lists)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from callcenter import roles
from callcenter.api_fields import HourMinuteField
from campaigns.models import CallingPolicy, CallList, CallListEntry, Campaign, Disposition
from campaigns.presets import PRESETS
from campaigns.selectors.setup import operator_users
from campaigns.services.campaigns import COST_FIELDS, edit_problems, value_problems
from campaigns.services.lists import EXCLUSION_REASONS, LIST_PRIORITY_LIMIT, list_operator_choices
from campaigns.services.policies import MAX_DELAY_MINUTES, disposition_problems, policy_problems
from contacts.attributes import validate_attribute_key
from contacts.models import Segment
from contacts.serializers import CriteriaField

User = get_user_model()


class BlackoutSerializer(serializers.Serializer):
    """One blackout period: MM-DD bounds repeat every year, YYYY-MM-DD bounds happen once."""

    def get_fields(self):
        # "from" is a Python keyword: the fields are named here rather than as attributes.
        return {
            "from": serializers.CharField(
                max_length=10, help_text="MM-DD (every year) or YYYY-MM-DD (once): the first day without calls."
            ),
            "to": serializers.CharField(
                max_length=10, required=False, help_text="The last day, written like `from` (default: `from`)."
            ),
            "label": serializers.CharField(max_length=100, required=False, allow_blank=True, default=""),
        }

    def validate(self, attrs):
        if "from" not in attrs:  # a PATCH makes nested fields optional; a period still needs its start
            raise serializers.ValidationError({"from": [_("This field is required.")]})
        attrs.setdefault("to", attrs["from"])
        return attrs


class PolicySerializer(serializers.ModelSerializer):
    call_window_start = HourMinuteField()
    call_window_end = HourMinuteField()
    blackout_dates = BlackoutSerializer(many=True, required=False)
    preset_key = serializers.ChoiceField(
        choices=[("", "")] + [(key, key) for key in PRESETS],
        required=False,
        allow_blank=True,
        help_text="The preset (GET /api/v1/policies/presets/) this policy starts from; recorded with its version. "
        "Only on creation.",
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), allow_empty=False, min_length=1
    )
    retry_delays = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)

    class Meta:
        model = CallingPolicy
        fields = [
            "id",
            "name",
            "description",
            "call_window_start",
            "call_window_end",
            "weekdays",
            "skip_holidays",
            "holiday_country",
            "max_attempts",
            "max_attempts_per_day",
            "min_gap_minutes",
            "retry_delays",
            "cap_attempts",
            "cap_days",
            "cooloff_days_after_contact",
            "no_resolicit_after_refusal",
            "refusal_scope",
            "prefer_best_hours",
            "blackout_dates",
            "disclosure_required",
            "no_workplace_calls_rule",
            "preset_key",
            "preset_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "preset_version", "created_at", "updated_at"]

    def validate_weekdays(self, value):
        return sorted(set(value))

    def validate_holiday_country(self, value):
        return value.upper()

    def validate(self, attrs):
        if self.instance is not None:
            attrs.pop("preset_key", None)  # where a policy came from never changes
        elif attrs.get("preset_key"):
            attrs["preset_version"] = PRESETS[attrs["preset_key"]]["version"]
        if "blackout_dates" in attrs:
            attrs["blackout_dates"] = [dict(item) for item in attrs["blackout_dates"]]
        values = {}
        if self.instance is not None:
            values = {
                field: getattr(self.instance, field) for field in self.Meta.fields if hasattr(self.instance, field)
            }
        values.update(attrs)
        problems = policy_problems(values)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class DispositionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disposition
        fields = [
            "code",
            "label",
            "label_ja",
            "is_contact",
            "is_success",
            "is_final",
            "is_refusal",
            "adds_dnc",
            "is_callback",
            "retry_delay_minutes",
            "position",
            "active",
            "default_key",
        ]
        extra_kwargs = {"retry_delay_minutes": {"max_value": MAX_DELAY_MINUTES}}

    def validate(self, attrs):
        problems = disposition_problems(attrs, instance=self.instance)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class CampaignSerializer(serializers.ModelSerializer):
    operators = serializers.PrimaryKeyRelatedField(many=True, queryset=operator_users(), required=False)
    policy = serializers.PrimaryKeyRelatedField(queryset=CallingPolicy.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "purpose",
            "description",
            "company",
            "product",
            "status",
            "policy",
            "script",
            "operators",
            "starts_on",
            "ends_on",
            "cost_per_hour",
            "cost_per_minute",
            "fixed_cost",
            "prenotice_days",
            "progressive_dial_seconds",
            "caller_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        # Re-evaluated per request: users and groups change while the process lives.
        fields["operators"].child_relation.queryset = operator_users()
        request, view = self.context.get("request"), self.context.get("view")
        describing = view is not None and getattr(view, "swagger_fake_view", False)  # the OpenAPI schema
        if request is not None and not describing and not roles.can(request.user, *roles.SEE_COSTS):
            for name in COST_FIELDS:
                fields.pop(name)
        return fields

    def validate(self, attrs):
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": [_("The end date cannot be before the start date.")]})
        problems = value_problems(attrs)
        if problems:
            raise serializers.ValidationError(problems)
        if self.instance is not None and "policy" in attrs:
            problems = edit_problems(status=self.instance.status, policy=attrs["policy"])
            if problems:
                raise serializers.ValidationError(problems)
        return attrs


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": CallList.Order.values},
            {"type": "integer", "minimum": -LIST_PRIORITY_LIMIT, "maximum": LIST_PRIORITY_LIMIT},
        ],
        "nullable": True,
    }
)
class CallOrderOrPriorityField(serializers.JSONField):
    """`priority` of a list request: a call order (text) or the list's priority (a number)."""


class CallListRequestSerializer(serializers.Serializer):
    """POST /campaigns/{id}/lists/: `priority` is the call order ("recent_purchase", ...) when a
    string, the list's priority among the campaign's lists when a number."""

    name = serializers.CharField(max_length=200)
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all(), required=False, allow_null=True)
    criteria = CriteriaField(required=False)
    priority = CallOrderOrPriorityField(required=False)
    order_by = serializers.ChoiceField(choices=CallList.Order.choices, required=False)
    order_attribute = serializers.CharField(required=False, allow_blank=True, validators=[validate_attribute_key])
    list_priority = serializers.IntegerField(
        required=False, min_value=-LIST_PRIORITY_LIMIT, max_value=LIST_PRIORITY_LIMIT
    )
    required_skill = serializers.CharField(max_length=50, required=False, allow_blank=True)
    operators = serializers.PrimaryKeyRelatedField(many=True, queryset=User.objects.none(), required=False)

    def get_fields(self):
        fields = super().get_fields()
        # The campaign's operators only (the view passes the campaign), as on the list page.
        # Without one (the OpenAPI schema) nobody is valid.
        campaign = self.context.get("campaign")
        fields["operators"].child_relation.queryset = (
            list_operator_choices(campaign) if campaign else User.objects.none()
        )
        return fields

    def validate(self, attrs):
        if not attrs.get("segment") and attrs.get("criteria") is None:
            raise serializers.ValidationError({"segment": [_("Give a segment or criteria.")]})
        priority = attrs.pop("priority", None)
        if isinstance(priority, bool):
            raise serializers.ValidationError({"priority": [_("Give a call order or a number.")]})
        if isinstance(priority, int):
            if abs(priority) > LIST_PRIORITY_LIMIT:
                raise serializers.ValidationError({"priority": [_("The list priority is out of range.")]})
            attrs.setdefault("list_priority", priority)
        elif isinstance(priority, str):
            if priority not in CallList.Order.values:
                raise serializers.ValidationError(
                    {
                        "priority": [
                            _("Unknown call order; one of %(values)s.") % {"values": ", ".join(CallList.Order.values)}
                        ]
                    }
                )
            attrs.setdefault("order_by", priority)
        elif priority is not None:
            raise serializers.ValidationError({"priority": [_("Give a call order or a number.")]})
        if attrs.get("order_by") == CallList.Order.ATTRIBUTE and not attrs.get("order_attribute"):
            raise serializers.ValidationError({"order_attribute": [_("Name the numeric attribute to order by.")]})
        return attrs


def list_counts(call_list) -> dict:
    """CallList.counts in the shape of docs/api.md, every reason present."""
    counts = call_list.counts or {}
    excluded = {reason: 0 for reason in EXCLUSION_REASONS}
    excluded.update(counts.get("excluded") or {})
    return {"matched": counts.get("matched", 0), "included": counts.get("included", 0), "excluded": excluded}


class CallListSerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()
    entries_by_status = serializers.SerializerMethodField()
    operators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CallList
        fields = [
            "id",
            "campaign",
            "name",
            "status",
            "progress",
            "message",
            "segment",
            "criteria",
            "order_by",
            "order_attribute",
            "priority",
            "required_skill",
            "operators",
            "counts",
            "entries_by_status",
            "created_at",
            "built_at",
        ]

    def get_counts(self, call_list) -> dict:
        return list_counts(call_list)

    def get_entries_by_status(self, call_list) -> dict:
        from campaigns.selectors.setup import entries_by_status

        return entries_by_status(call_list)


class CallListEntrySerializer(serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    last_disposition = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = CallListEntry
        fields = [
            "id",
            "customer",
            "customer_external_id",
            "customer_name",
            "phone",
            "rank",
            "status",
            "attempts",
            "last_attempt_at",
            "next_attempt_at",
            "last_disposition",
            "callback_at",
        ]


class RecycleSerializer(serializers.Serializer):
    dispositions = serializers.ListField(child=serializers.SlugField(), allow_empty=False, min_length=1)

    def validate_dispositions(self, codes):
        known = set(Disposition.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = sorted(set(codes) - known)
        if unknown:
            raise serializers.ValidationError(_("Unknown outcome codes: %(codes)s") % {"codes": ", ".join(unknown)})
        return codes


def can_read_campaigns(user) -> bool:
    return roles.can(user, roles.MANAGE_LISTS, roles.VIEW_DASHBOARD, roles.USE_CONSOLE)


class CampaignOutcomeSerializer(serializers.Serializer):
    """One outcome of a campaign's set: its code, labels and meaning, and the key operators press."""

    code = serializers.CharField(source="disposition.code", read_only=True)
    label = serializers.CharField(source="disposition.label", read_only=True)
    label_ja = serializers.CharField(source="disposition.label_ja", read_only=True)
    key = serializers.CharField(read_only=True)
    is_contact = serializers.BooleanField(source="disposition.is_contact", read_only=True)
    is_success = serializers.BooleanField(source="disposition.is_success", read_only=True)
    closes_entry = serializers.BooleanField(source="disposition.closes_entry", read_only=True)
    adds_dnc = serializers.BooleanField(source="disposition.adds_dnc", read_only=True)
    is_callback = serializers.BooleanField(source="disposition.is_callback", read_only=True)
    active = serializers.BooleanField(source="disposition.active", read_only=True)


class CampaignOutcomeAddSerializer(serializers.Serializer):
    disposition = serializers.SlugRelatedField(
        slug_field="code", queryset=Disposition.objects.all(), help_text="the outcome's code"
    )
    key = serializers.CharField(max_length=1, help_text="0-9 or a letter the console does not use itself")


class CampaignOutcomeKeySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=1, help_text="0-9 or a letter the console does not use itself")
