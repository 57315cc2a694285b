"""KPI routes: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns` for /api/v1/."""

from django.urls import path

from campaigns.api import kpis as api
from campaigns.views import kpis as views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("wallboard/", views.wallboard, name="wallboard"),
    path("wallboard/panel/", views.wallboard_panel, name="wallboard_panel"),
    path("client/", views.client_kpis, name="client_kpis"),
    path("kpis/<slug:table>.csv", views.kpi_export, name="kpi_export"),
]

api_urlpatterns = [
    path("kpis/", api.KpiView.as_view(), name="api_kpis"),
]
