"""The console's booking panel over years of appointments: the free slots of every salesperson who
fits a customer for a week (what the panel asks at each open or week change), and one booking
against the no-double-booking constraint.

Data: SALESPEOPLE salespeople (weekdays 9:00-18:00, hour-long appointments) each with four
appointments a working day over the past YEARS years and the weeks ahead, written with one
generate_series INSERT. Prints one JSON object: the appointment count, and the median and worst of
20 timed free-slot reads (ms) and of 20 bookings (ms).

    DATABASE_URL=... .venv/bin/python bench/appointments.py [salespeople] [years]
"""

import datetime as dt
import os
import statistics
import sys

from _common import _count, _execute, django_setup, emit, ensure_bench_campaigns, ensure_customers, log, timed

SALESPEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 30
YEARS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def ensure_appointments(campaign_id: int, customer_id: int):
    from campaigns.models import Salesperson

    people = []
    for i in range(1, SALESPEOPLE + 1):
        salesperson, _ = Salesperson.objects.get_or_create(name=f"Bench sales {i:03d}")
        people.append(salesperson)
    if _count("campaigns_appointment") == 0:
        log(f"writing appointments: {SALESPEOPLE} salespeople x {YEARS} years")
        _execute(
            """
            INSERT INTO campaigns_appointment (salesperson_id, customer_id, campaign_id, starts_at, ends_at,
                mode, place, notes, status, set_at, created_at)
            SELECT s.id, %s, %s, slot, slot + interval '1 hour', 'visit', '', '',
                   CASE WHEN slot > now() THEN 'booked' WHEN random() < 0.8 THEN 'held' ELSE 'no_show' END,
                   slot - interval '3 days', now()
            FROM campaigns_salesperson s,
                 generate_series(date_trunc('day', now()) - make_interval(years => %s),
                                 date_trunc('day', now()) + interval '28 days', interval '1 day') AS day,
                 unnest(ARRAY[9, 11, 13, 15]) AS hour,
                 LATERAL (SELECT (day::date + make_time(hour, 0, 0)) AT TIME ZONE 'Asia/Tokyo' AS slot) t
            WHERE s.name LIKE 'Bench sales %' AND EXTRACT(ISODOW FROM day) < 6
            """,
            [customer_id, campaign_id, YEARS],
        )
        _execute("ANALYZE campaigns_appointment")
    return people


def main():
    django_setup("appointments")
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from campaigns.models import Appointment
    from campaigns.services.appointments import free_slots, salespeople_for
    from contacts.models import Customer

    ensure_customers(1000)
    campaign = ensure_bench_campaigns(1, operators=4)[0]
    customer = Customer.objects.order_by("id").first()
    ensure_appointments(campaign.pk, customer.pk)
    fitting = list(salespeople_for(customer))
    today = timezone.localdate()
    reads = []
    for week in range(20):
        with timed() as t:
            slots = free_slots(salespeople=fitting, start=today + dt.timedelta(days=7 * (week % 4)))
        reads.append(t.seconds * 1000)
    bookings = []
    refused = 0
    for slot in slots[:20]:
        with timed() as t:
            try:
                with transaction.atomic():
                    Appointment.objects.create(
                        salesperson=slot.salesperson,
                        customer=customer,
                        campaign=campaign,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        set_at=timezone.now(),
                    )
                    transaction.set_rollback(True)  # the data stays the same for the next run
            except IntegrityError:
                refused += 1
        bookings.append(t.seconds * 1000)
    emit(
        {
            "bench": "appointments",
            "salespeople": len(fitting),
            "appointments": _count("campaigns_appointment"),
            "free_slots_per_week": len(slots),
            "free_slots_ms": {"median": round(statistics.median(reads), 1), "max": round(max(reads), 1)},
            "booking_ms": {"median": round(statistics.median(bookings), 2), "max": round(max(bookings), 2)},
            "refused": refused,
            "load_average": round(os.getloadavg()[0], 2),
        }
    )


if __name__ == "__main__":
    main()
