"""Routes of one area of the contacts app: `urlpatterns` for pages (namespace "contacts"),
`api_urlpatterns` for /api/v1/."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
api_urlpatterns: list = []
