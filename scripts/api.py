"""REST API of talk scripts: list, read, create, export / import JSON, start a draft, publish,
rebuttals, and an answer check for dialer integrations."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles
from callcenter.api_schema import ID

from . import selectors, services
from .models import Script, ScriptVersion, Step
from .serializers import (
    PublishSerializer,
    RebuttalSerializer,
    ScriptDetailSerializer,
    ScriptSerializer,
    VersionDetailSerializer,
)

READERS = (roles.MANAGE_LISTS, roles.USE_CONSOLE, roles.VIEW_DASHBOARD)


class ReadOrAuthor(BasePermission):
    """Operators and managers read scripts; supervisors write them."""

    def has_permission(self, request, view):
        perms = READERS if request.method in SAFE_METHODS else (roles.MANAGE_LISTS,)
        return roles.can(request.user, *perms)


Author = roles.api_permission(roles.MANAGE_LISTS)


def _sees_drafts(user) -> bool:
    return roles.can(user, roles.MANAGE_LISTS)


def _conflict(message):
    return Response({"detail": message}, status=status.HTTP_409_CONFLICT)


def _problems_response(error):
    errors: dict[str, list[str]] = {}
    for problem in error.problems:
        field = getattr(problem, "step_key", "") or "non_field_errors"
        errors.setdefault(field, []).append(getattr(problem, "message", str(problem)))
    if not errors:
        errors["non_field_errors"] = [error.message]
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def _scripts(q=""):
    return selectors.script_list(q=q).prefetch_related(
        Prefetch("versions", queryset=ScriptVersion.objects.exclude(status=ScriptVersion.Status.RETIRED))
    )


class ScriptList(generics.ListCreateAPIView):
    serializer_class = ScriptSerializer
    permission_classes = [ReadOrAuthor]

    @extend_schema(parameters=[OpenApiParameter("q", str, description="name or description contains")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return _scripts(q=self.request.query_params.get("q", ""))

    def perform_create(self, serializer):
        try:
            serializer.instance = services.create_script(
                name=serializer.validated_data["name"],
                description=serializer.validated_data.get("description", ""),
                by=self.request.user,
            )
        except services.ScriptServiceError as error:  # the name was taken meanwhile
            raise serializers.ValidationError({"name": [error.message]}) from None


class ScriptDetail(generics.RetrieveAPIView):
    serializer_class = ScriptDetailSerializer
    permission_classes = [ReadOrAuthor]

    def get_queryset(self):
        versions = ScriptVersion.objects.select_related("published_by").order_by("-number")
        if not _sees_drafts(self.request.user):
            versions = versions.exclude(status=ScriptVersion.Status.DRAFT)
        return Script.objects.prefetch_related(Prefetch("versions", queryset=versions), "rebuttals")


class VersionDetail(generics.RetrieveAPIView):
    serializer_class = VersionDetailSerializer
    permission_classes = [ReadOrAuthor]

    def get_queryset(self):
        versions = ScriptVersion.objects.select_related("published_by", "start_step").prefetch_related(
            Prefetch("steps", queryset=Step.objects.select_related("next_step").prefetch_related("choices__next_step"))
        )
        if not _sees_drafts(self.request.user):
            versions = versions.exclude(status=ScriptVersion.Status.DRAFT)
        return versions


def _script(request, pk):
    return get_object_or_404(Script, pk=pk)


def _positive_int(value: str) -> int | None:
    """A version number or id given as a query parameter: ASCII digits, at least 1, else None."""
    return int(value) if value.isascii() and value.isdigit() and int(value) >= 1 else None


class ScriptExport(APIView):
    permission_classes = [Author]

    @extend_schema(
        parameters=[
            OpenApiParameter("version", ID, description="version number (default: the published one, else the newest)")
        ],
        responses={
            200: inline_serializer("ScriptExport", fields={"format": serializers.CharField()}),
            409: OpenApiResponse(description="The script has no version"),
        },
    )
    def get(self, request, pk):
        script = _script(request, pk)
        number = request.query_params.get("version")
        if number:
            if _positive_int(number) is None:
                raise serializers.ValidationError({"version": [_("Enter a version number.")]})
            version = get_object_or_404(script.versions, number=int(number))
        else:
            version = selectors.current_version(script) or script.versions.order_by("-number").first()
            if version is None:
                return _conflict("This script has no version.")
        return Response(services.export_version(version))


class ScriptImport(APIView):
    permission_classes = [Author]

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, description="name of the new script (default: as in the file)"),
            OpenApiParameter("into", ID, description="import as a new draft of this script instead"),
        ],
        # The file written by export/, as JSON: a form-encoded body cannot carry its steps.
        request={"application/json": inline_serializer("ScriptImportBody", fields={"format": serializers.CharField()})},
        responses={
            201: inline_serializer(
                "ScriptImported",
                fields={
                    "script": serializers.IntegerField(),
                    "version": serializers.IntegerField(),
                    "number": serializers.IntegerField(),
                },
            ),
            404: OpenApiResponse(description="No script with the id given as `into`"),
        },
    )
    def post(self, request):
        into = None
        raw_into = request.query_params.get("into")
        if raw_into:
            if _positive_int(raw_into) is None:
                raise serializers.ValidationError({"into": [_("Enter a script id.")]})
            into = _script(request, int(raw_into))
        try:
            version = services.import_script(
                data=request.data, by=request.user, name=request.query_params.get("name", "").strip(), into=into
            )
        except services.ImportRefused as error:
            return Response(
                {"errors": {"non_field_errors": [error.message, *error.problems]}}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(
            {"script": version.script_id, "version": version.pk, "number": version.number},
            status=status.HTTP_201_CREATED,
        )


class ScriptStartDraft(APIView):
    permission_classes = [Author]

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(VersionDetailSerializer, description="The script's draft, which existed already"),
            201: OpenApiResponse(VersionDetailSerializer, description="A new draft, copied from the latest version"),
        },
    )
    def post(self, request, pk):
        draft, created = services.start_draft(script=_script(request, pk), by=request.user)
        return Response(
            VersionDetailSerializer(draft).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ScriptPublish(APIView):
    permission_classes = [Author]

    @extend_schema(
        request=PublishSerializer,
        responses={
            200: VersionDetailSerializer,
            409: OpenApiResponse(description="The script has no draft (or it was discarded or published meanwhile)"),
        },
    )
    def post(self, request, pk):
        """Publish the script's draft. 400 lists the problems by step key; 409 when there is no draft."""
        script = _script(request, pk)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = script.versions.filter(status=ScriptVersion.Status.DRAFT).first()
        if draft is None:
            return _conflict("This script has no draft to publish.")
        try:
            version = services.publish_version(version=draft, by=request.user, notes=body.validated_data.get("notes"))
        except services.PublishRefused as error:
            return _problems_response(error)
        except (services.VersionNotEditable, services.Gone) as error:  # Gone: discarded meanwhile
            return _conflict(error.message)
        return Response(VersionDetailSerializer(version).data)


class ScriptRebuttals(generics.ListAPIView):
    serializer_class = RebuttalSerializer
    permission_classes = [ReadOrAuthor]
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("q", str, description="words in the objection, answer or keywords")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.search_rebuttals(
            script=_script(self.request, self.kwargs["pk"]), q=self.request.query_params.get("q", "")
        )
