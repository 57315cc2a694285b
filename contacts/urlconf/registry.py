"""Routes of the customer database, DNC registry and segments: `urlpatterns` for pages
(namespace "contacts"), `api_urlpatterns` for /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .. import api, views

urlpatterns: list = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/export.csv", views.customer_export, name="customer_export"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("dnc/", views.dnc_list, name="dnc_list"),
    path("dnc/new/", views.dnc_create, name="dnc_create"),
    path("dnc/audit/", views.dnc_audit, name="dnc_audit"),
    path("dnc/<int:pk>/", views.dnc_detail, name="dnc_detail"),
    path("dnc/<int:pk>/revoke/", views.dnc_revoke, name="dnc_revoke"),
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/count/", views.segment_count, name="segment_count"),
    path("segments/<int:pk>/duplicate/", views.segment_duplicate, name="segment_duplicate"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
]

router = SimpleRouter()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("dnc", api.DoNotCallViewSet, basename="dnc")
router.register("segments", api.SegmentViewSet, basename="segment")
api_urlpatterns: list = router.urls
