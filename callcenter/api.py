"""Shared API pieces: the error shape of API.md and the auth endpoints."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .roles import roles_of


def exception_handler(exc, context):
    """Validation errors become {"errors": {field: [messages]}}; everything else {"detail"}."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        response.data = {"errors": errors}
    return response


MeSerializer = inline_serializer(
    "Me",
    fields={
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "roles": serializers.ListField(child=serializers.CharField()),
    },
)


@extend_schema(responses=MeSerializer, tags=["auth"])
@api_view(["GET"])
def me(request):
    user = request.user
    return Response({"id": user.id, "username": user.username, "roles": roles_of(user)})
