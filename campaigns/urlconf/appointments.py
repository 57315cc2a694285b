"""Routes of appointments: `urlpatterns` for pages (namespace "campaigns"), `api_urlpatterns`
for /api/v1/ (docs/api.md#appointments)."""

from django.urls import path

from ..api import appointments as api
from ..views import appointments as views
from ..views import appointments_console

urlpatterns: list = [
    path(
        "console/entries/<int:entry_id>/appointment-slots/",
        appointments_console.console_appointment_slots,
        name="console_appointment_slots",
    ),
    path("appointments/", views.appointment_calendar, name="appointment_calendar"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/status/", views.appointment_status, name="appointment_status"),
    path("appointments/<int:pk>/reschedule/", views.appointment_reschedule, name="appointment_reschedule"),
    path("appointments/feed/<str:token>.ics", views.appointment_feed, name="appointment_feed"),
    path("salespeople/", views.salesperson_list, name="salesperson_list"),
    path("salespeople/new/", views.salesperson_edit, name="salesperson_create"),
    path("salespeople/<int:pk>/", views.salesperson_edit, name="salesperson_edit"),
    path("salespeople/<int:pk>/renew-feed/", views.salesperson_renew_feed, name="salesperson_renew_feed"),
]
api_urlpatterns: list = [
    path("appointments/", api.AppointmentList.as_view(), name="api_appointment_list"),
    path("appointments/<int:pk>/", api.AppointmentDetail.as_view(), name="api_appointment_detail"),
    path("appointment-slots/", api.AppointmentSlotList.as_view(), name="api_appointment_slots"),
]
