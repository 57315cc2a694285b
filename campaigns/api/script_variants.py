"""REST API of a campaign's talk script variants (docs/api.md#policies-dispositions-campaigns-lists):
`GET|POST /api/v1/campaigns/{id}/script-variants/`, `DELETE …/script-variants/{variant_id}/`.
Reading: supervisors and managers; changing: supervisors."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import CampaignScriptVariant
from campaigns.selectors.script_variants import variants_of
from campaigns.selectors.setup import campaigns_visible_to
from campaigns.services import script_variants as variant_services
from contacts.models import Segment
from scripts.models import Script

from .setup import OVERSEE, SUPERVISE, read_write_permission


class ScriptVariantSerializer(serializers.ModelSerializer):
    segment_name = serializers.CharField(source="segment.name", read_only=True)
    script_name = serializers.CharField(source="script.name", read_only=True)
    published_version = serializers.IntegerField(
        source="published_version_id",
        read_only=True,
        allow_null=True,
        help_text="The script version these customers hear now; null when the script has nothing "
        "published (the console then passes this variant over).",
    )
    published_version_number = serializers.IntegerField(source="published_number", read_only=True, allow_null=True)

    class Meta:
        model = CampaignScriptVariant
        fields = [
            "id",
            "position",
            "segment",
            "segment_name",
            "script",
            "script_name",
            "published_version",
            "published_version_number",
        ]
        read_only_fields = ["id", "position"]


class ScriptVariantRequestSerializer(serializers.Serializer):
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all())
    script = serializers.PrimaryKeyRelatedField(queryset=Script.objects.all())


def _campaign(request, pk):
    # 404 for a campaign the user may not see.
    return get_object_or_404(campaigns_visible_to(request.user), pk=pk)


class ScriptVariantList(APIView):
    """The campaign's variants in the order the console tries them; the first whose segment the
    customer belongs to (and whose script is published) wins, else the campaign's default script."""

    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]

    @extend_schema(responses=ScriptVariantSerializer(many=True), tags=["campaigns"])
    def get(self, request, pk):
        campaign = _campaign(request, pk)
        return Response(ScriptVariantSerializer(variants_of(campaign), many=True).data)

    @extend_schema(
        request=ScriptVariantRequestSerializer,
        responses={
            201: ScriptVariantSerializer,
            400: OpenApiResponse(description="Invalid, a segment already mapped, or a finished campaign"),
        },
        tags=["campaigns"],
        description="Adds a variant after the existing ones. A segment already mapped in the campaign, "
        "or a finished campaign, is refused with 400.",
    )
    def post(self, request, pk):
        campaign = _campaign(request, pk)
        serializer = ScriptVariantRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        variant = variant_services.add_variant(campaign=campaign, by=request.user, **serializer.validated_data)
        return Response(
            ScriptVariantSerializer(variants_of(campaign).get(pk=variant.pk)).data, status=status.HTTP_201_CREATED
        )


class ScriptVariantDetail(APIView):
    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]

    @extend_schema(
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(description="The campaign is finished"),
            404: OpenApiResponse(description="No such variant in this campaign"),
        },
        tags=["campaigns"],
    )
    def delete(self, request, pk, variant_pk):
        campaign = _campaign(request, pk)
        variant = get_object_or_404(
            CampaignScriptVariant.objects.select_related("campaign"), pk=variant_pk, campaign=campaign
        )
        try:
            variant_services.remove_variant(variant=variant, by=request.user)
        except variant_services.VariantGone:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
