"""The free slots read a salesperson's occupied time through the no-double-booking constraint's
GiST index (salesperson, time range), not a scan of every appointment."""

import datetime as dt
import json

import pytest
from django.db import connection

from campaigns.models import Appointment
from campaigns.services.appointments import occupying
from campaigns.tests.factories_appointments import SalespersonFactory
from campaigns.tests.factories_console import TOKYO, working_campaign
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_occupied_time_is_read_through_the_constraints_index(reference_data):
    salespeople = [SalespersonFactory() for _ in range(20)]
    campaign = working_campaign(operators=[])
    customer = CustomerFactory()
    start = dt.datetime(2026, 1, 5, 9, tzinfo=TOKYO)
    Appointment.objects.bulk_create(
        Appointment(
            salesperson=salesperson,
            customer=customer,
            campaign=campaign,
            starts_at=start + dt.timedelta(days=day, hours=hour),
            ends_at=start + dt.timedelta(days=day, hours=hour, minutes=50),
            set_at=start,
        )
        for salesperson in salespeople
        for day in range(60)
        for hour in range(0, 8, 2)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaigns_appointment")
    week = (start + dt.timedelta(days=30), start + dt.timedelta(days=37))
    sql, params = occupying([salespeople[3]], *week).values_list("starts_at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = json.dumps(cursor.fetchone()[0])
    assert '"Index Name": "appointment_no_double_booking"' in plan, plan
    assert "Seq Scan" not in plan, plan
    assert occupying([salespeople[3]], *week).count() == 7 * 4
