from .urlconf import appointments, callbacks, compliance, console, kpis, people, script_reports, setup

app_name = "campaigns"

urlpatterns = [
    *setup.urlpatterns,
    *console.urlpatterns,
    *kpis.urlpatterns,
    *script_reports.urlpatterns,
    *people.urlpatterns,
    *callbacks.urlpatterns,
    *appointments.urlpatterns,
    *compliance.urlpatterns,
]
