"""campaigns routes under /api/v1/."""

from .urlconf import appointments, callbacks, compliance, console, kpis, people, script_reports, setup

urlpatterns = [
    *setup.api_urlpatterns,
    *console.api_urlpatterns,
    *kpis.api_urlpatterns,
    *script_reports.api_urlpatterns,
    *people.api_urlpatterns,
    *callbacks.api_urlpatterns,
    *appointments.api_urlpatterns,
    *compliance.api_urlpatterns,
]
