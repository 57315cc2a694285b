"""REST API of imports (docs/api.md#imports):

POST /api/v1/imports/                  multipart file [+ kind, encoding, mapping, reason, campaign, note]
                                       → 202 {id, status}
GET  /api/v1/imports/                  the imports, newest first (paginated)
GET  /api/v1/imports/{id}/             status, counts and errors [{line, column, value, message}]
GET  /api/v1/imports/{id}/errors.csv   every error, as CSV (UTF-8 with BOM)
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles

from .imports.reading import ENCODINGS, normalise_encoding
from .imports.reports import error_report_response
from .models import DoNotCall, ImportJob, ImportRowError
from .services import imports

ERRORS_IN_DETAIL = 1000


class ImportRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["line", "column", "value", "message"]


class ImportJobListSerializer(serializers.ModelSerializer):
    created = serializers.IntegerField(source="created_count", read_only=True)
    updated = serializers.IntegerField(source="updated_count", read_only=True)
    unchanged = serializers.IntegerField(source="unchanged_count", read_only=True)
    failed = serializers.IntegerField(source="failed_count", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "status",
            "original_name",
            "encoding",
            "total_rows",
            "processed_rows",
            "created",
            "updated",
            "unchanged",
            "failed",
            "message",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ImportJobSerializer(ImportJobListSerializer):
    errors = serializers.SerializerMethodField(
        help_text=f"The first {ERRORS_IN_DETAIL} errors; all of them in errors_csv."
    )
    errors_truncated = serializers.SerializerMethodField()
    errors_csv = serializers.SerializerMethodField()

    class Meta(ImportJobListSerializer.Meta):
        fields = [*ImportJobListSerializer.Meta.fields, "errors", "errors_truncated", "errors_csv"]

    @extend_schema_field(ImportRowErrorSerializer(many=True))
    def get_errors(self, job) -> list[dict]:
        rows = job.row_errors.order_by("line", "id")[:ERRORS_IN_DETAIL]
        return ImportRowErrorSerializer(rows, many=True).data

    def get_errors_truncated(self, job) -> bool:
        return job.row_errors.count() > ERRORS_IN_DETAIL

    def get_errors_csv(self, job) -> str:
        request = self.context.get("request")
        url = reverse("api_import_errors_csv", kwargs={"pk": job.pk})
        return request.build_absolute_uri(url) if request else url


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class MappingField(serializers.JSONField):
    """The column mapping of an upload: an object of texts (checked by validate_mapping)."""


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices, default=ImportJob.Kind.CUSTOMERS)
    # Any spelling the reader knows ("UTF-8", "Shift_JIS", "sjis", "CP932", ...), not only its own
    # codec names: docs/api.md#imports names the encodings "UTF-8" and "Shift_JIS/CP932".
    encoding = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=f"Leave out (or 'auto') to detect it; else {', '.join(ENCODINGS)} or an alias such as Shift_JIS.",
    )
    mapping = MappingField(
        required=False, help_text='{"header in the file": "field"}; leave out to use the recognised headers.'
    )
    reason = serializers.ChoiceField(
        choices=DoNotCall.Reason.choices,
        required=False,
        help_text="DNC imports: reason for rows without a reason column.",
    )
    campaign = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="DNC imports: campaign scope (leave out for global).",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate_encoding(self, value):
        try:
            normalise_encoding(value)
        except ValueError:
            raise ValidationError(_("Unknown encoding “%(encoding)s”.") % {"encoding": value}) from None
        return value

    def validate_mapping(self, value):
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ValidationError(_('Give the mapping as a JSON object: {"header in the file": "field"}.'))
        return value


class ImportListCreateView(generics.ListAPIView):
    permission_classes = [roles.api_permission(roles.MANAGE_LISTS)]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportJobListSerializer
    queryset = ImportJob.objects.all()

    @extend_schema(
        # `mapping` is a part of its own holding JSON, as a form field of the upload.
        request={
            "multipart/form-data": OpenApiRequest(
                ImportUploadSerializer, encoding={"mapping": {"contentType": "application/json"}}
            )
        },
        responses={
            202: inline_serializer(
                "ImportAccepted", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            )
        },
        tags=["imports"],
    )
    def post(self, request):
        upload_form = ImportUploadSerializer(data=request.data)
        upload_form.is_valid(raise_exception=True)
        data = upload_form.validated_data
        try:
            upload = imports.receive_upload(
                uploaded_file=data["file"], kind=data["kind"], encoding=data.get("encoding", "")
            )
        except imports.ImportFileError as error:
            raise ValidationError({"file": [error.message]}) from None
        try:
            job = imports.start_import(
                upload=upload,
                mapping=data.get("mapping"),
                by=request.user,
                reason=data.get("reason", ""),
                campaign_id=data.get("campaign"),
                note=data.get("note", ""),
            )
        except DjangoValidationError:  # the API's exception handler answers it as a 400
            imports.discard_upload(path=upload.path)
            raise
        return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=["imports"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ImportDetailView(generics.RetrieveAPIView):
    permission_classes = [roles.api_permission(roles.MANAGE_LISTS)]
    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.all()

    @extend_schema(tags=["imports"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ImportErrorsCsvView(APIView):
    permission_classes = [roles.api_permission(roles.MANAGE_LISTS)]

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)}, tags=["imports"])
    def get(self, request, pk):
        job = get_object_or_404(ImportJob, pk=pk)
        return error_report_response(job, by=request.user)
