"""Salespeople and appointments for the appointment tests."""

import datetime as dt

import factory

from campaigns.models import Appointment, Salesperson


class SalespersonFactory(factory.django.DjangoModelFactory):
    """Weekdays 9:00–18:00 in Tokyo, hour-long appointments, every area and product."""

    class Meta:
        model = Salesperson

    name = factory.Sequence(lambda n: f"営業 {n}")
    email = factory.Sequence(lambda n: f"sales{n}@example.jp")
    time_zone = "Asia/Tokyo"
    work_start = dt.time(9, 0)
    work_end = dt.time(18, 0)
    weekdays = factory.LazyFunction(lambda: [0, 1, 2, 3, 4])
    appointment_minutes = 60


def appointment(*, salesperson, customer, campaign, starts_at, minutes=60, **fields) -> Appointment:
    """An appointment written directly (as if booked earlier)."""
    fields.setdefault("set_at", starts_at - dt.timedelta(days=2))
    return Appointment.objects.create(
        salesperson=salesperson,
        customer=customer,
        campaign=campaign,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        **fields,
    )
