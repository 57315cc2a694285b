"""Reports joining attempts with scripts (survey results, per-version KPIs): `urlpatterns` for
pages (namespace "campaigns"), `api_urlpatterns` for /api/v1/."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
api_urlpatterns: list = []
