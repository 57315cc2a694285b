"""Reports joining attempts with scripts (survey results, per-version KPIs): `urlpatterns` for
pages (namespace "campaigns"), `api_urlpatterns` for /api/v1/."""

from django.urls import path

from campaigns.api import script_reports as api
from campaigns.views import script_reports as views

urlpatterns: list = [
    path("script-reports/versions/", views.version_report, name="script_version_report"),
    path("<int:pk>/survey-results/", views.survey_results, name="script_survey_results"),
    path("<int:pk>/survey-results.csv", views.survey_results_csv, name="script_survey_csv"),
]
api_urlpatterns: list = [
    path("campaigns/<int:pk>/survey-results/", api.survey_results, name="api_survey_results"),
    path("script-kpis/", api.script_kpis, name="api_script_kpis"),
]
