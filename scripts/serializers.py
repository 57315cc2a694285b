from rest_framework import serializers

from .models import Choice, Rebuttal, Script, ScriptVersion, Step


class VersionSummarySerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Plain text in the schema: a "status" enum here would collide with the other apps' ones.
    status = serializers.CharField(read_only=True, help_text="draft | published | retired")

    class Meta:
        model = ScriptVersion
        fields = ["id", "number", "status", "notes", "created_at", "published_at", "published_by"]


class RebuttalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rebuttal
        fields = ["id", "objection", "answer", "tags"]


class ScriptSerializer(serializers.ModelSerializer):
    published_version = serializers.SerializerMethodField()
    draft_version = serializers.SerializerMethodField()

    class Meta:
        model = Script
        fields = ["id", "name", "description", "published_version", "draft_version", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def _version(self, script, status):
        version = next((v for v in script.versions.all() if v.status == status), None)
        return {"id": version.id, "number": version.number} if version else None

    def get_published_version(self, script) -> dict | None:
        return self._version(script, ScriptVersion.Status.PUBLISHED)

    def get_draft_version(self, script) -> dict | None:
        return self._version(script, ScriptVersion.Status.DRAFT)


class ScriptDetailSerializer(ScriptSerializer):
    versions = VersionSummarySerializer(many=True, read_only=True)
    rebuttals = RebuttalSerializer(many=True, read_only=True)

    class Meta(ScriptSerializer.Meta):
        fields = ScriptSerializer.Meta.fields + ["versions", "rebuttals"]


class ChoiceSerializer(serializers.ModelSerializer):
    next = serializers.SlugRelatedField(source="next_step", slug_field="key", read_only=True, allow_null=True)

    class Meta:
        model = Choice
        fields = ["value", "label", "next"]


class StepSerializer(serializers.ModelSerializer):
    next = serializers.SlugRelatedField(source="next_step", slug_field="key", read_only=True, allow_null=True)
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Step
        fields = [
            "id",
            "key",
            "position",
            "kind",
            "title",
            "text",
            "is_disclosure",
            "answer_type",
            "required",
            "next",
            "choices",
            "branch_rules",
            "suggested_disposition",
        ]


class VersionDetailSerializer(VersionSummarySerializer):
    script = serializers.PrimaryKeyRelatedField(read_only=True)
    start = serializers.SlugRelatedField(source="start_step", slug_field="key", read_only=True, allow_null=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta(VersionSummarySerializer.Meta):
        fields = VersionSummarySerializer.Meta.fields + ["script", "start", "steps"]


class PublishSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True)


class AnswerCheckSerializer(serializers.Serializer):
    # Any JSON: what is wrong with it comes back in the result's `errors` (null: no answers).
    answers = serializers.JSONField(allow_null=True)
    disposition = serializers.CharField(max_length=32)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
