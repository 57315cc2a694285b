"""Routes of the customer database, DNC registry and segments: `urlpatterns` for pages
(namespace "contacts"), `api_urlpatterns` for /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .. import api
from ..views import customer_bulk, customer_edit, customers, dnc, segments

urlpatterns: list = [
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/export.csv", customers.customer_export, name="customer_export"),
    path("customers/new/", customer_edit.customer_create, name="customer_create"),
    path("customers/bulk/", customer_bulk.customer_bulk, name="customer_bulk"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customer_edit.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/erase/", customers.customer_erase, name="customer_erase"),
    path("dnc/", dnc.dnc_list, name="dnc_list"),
    path("dnc/new/", dnc.dnc_create, name="dnc_create"),
    path("dnc/export.csv", dnc.dnc_export, name="dnc_export"),
    path("dnc/audit/", dnc.dnc_audit, name="dnc_audit"),
    path("dnc/<int:pk>/", dnc.dnc_detail, name="dnc_detail"),
    path("dnc/<int:pk>/revoke/", dnc.dnc_revoke, name="dnc_revoke"),
    path("segments/", segments.segment_list, name="segment_list"),
    path("segments/new/", segments.segment_create, name="segment_create"),
    path("segments/preview/", segments.segment_preview, name="segment_preview"),
    path("segments/<int:pk>/", segments.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/count/", segments.segment_count, name="segment_count"),
    path("segments/<int:pk>/duplicate/", segments.segment_duplicate, name="segment_duplicate"),
    path("segments/<int:pk>/delete/", segments.segment_delete, name="segment_delete"),
]

router = SimpleRouter(use_regex_path=False)  # <int:pk>: see api.PerActionPermissions
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("dnc", api.DoNotCallViewSet, basename="dnc")
router.register("segments", api.SegmentViewSet, basename="segment")
api_urlpatterns: list = router.urls
