"""Routes of appointments: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns`
for /api/v1/ (docs/api.md#appointments)."""

from django.urls import path

from ..views import appointments_console

urlpatterns: list = [
    path(
        "console/entries/<int:entry_id>/appointment-slots/",
        appointments_console.console_appointment_slots,
        name="console_appointment_slots",
    ),
]
api_urlpatterns: list = []
