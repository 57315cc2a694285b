"""Routes of one area of the contacts app: `urlpatterns` for pages (namespace "contacts"),
`api_urlpatterns` for /api/v1/."""

from django.urls import path

from .. import api_imports
from ..views import imports as views

urlpatterns: list = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/upload/<str:token>/", views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.csv", views.import_errors_csv, name="import_errors_csv"),
]
api_urlpatterns: list = [
    path("imports/", api_imports.ImportListCreateView.as_view(), name="api_import_list"),
    path("imports/<int:pk>/", api_imports.ImportDetailView.as_view(), name="api_import_detail"),
    path("imports/<int:pk>/errors.csv", api_imports.ImportErrorsCsvView.as_view(), name="api_import_errors_csv"),
]
