"""The demo data books appointments for the demo salespeople, with outcomes for those past, and
the dashboard's figures count them."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Appointment, Salesperson
from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.tables import kpi_tables

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_appointments(reference_data):
    call_command("seed_demo")
    kato = Salesperson.objects.get(user__username="sales")
    appointments = Appointment.objects.all()
    assert appointments.filter(salesperson=kato).exists()
    statuses = set(appointments.values_list("status", flat=True))
    assert {"held", "no_show", "booked"} <= statuses
    assert not appointments.filter(status="booked", starts_at__lt=timezone.now() - timezone.timedelta(hours=1)).exists()
    today = timezone.localdate()
    total = kpi_tables(KpiFilter(today - timezone.timedelta(days=60), today), ["none"])["none"][0].figures
    assert total.appointments_set == appointments.count() and total.held_rate > 0.5
