"""The compliance report: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns` for
/api/v1/."""

from django.urls import path

from campaigns.api import compliance as api
from campaigns.views import compliance as views

urlpatterns: list = [
    path("compliance/", views.compliance_index, name="compliance_index"),
    path("<int:pk>/compliance/", views.compliance_report, name="compliance_report"),
    path("<int:pk>/compliance.csv", views.compliance_csv, name="compliance_csv"),
]
api_urlpatterns: list = [
    path("campaigns/<int:pk>/compliance/", api.compliance_report, name="api_compliance_report"),
]
