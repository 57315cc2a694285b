"""The console's booking panel: the free slots of the salespeople who fit the held call's
customer, in the customer's time (and the salesperson's, when it differs). Booking itself is
posted with the outcome (views/console.py → services.appointments)."""

import datetime as dt
from itertools import groupby

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from callcenter import roles

from ..selectors import console as console_selectors
from ..services import appointments, scheduling
from .appointments import date_param


def _time_range(slot, zone) -> str:
    return f"{slot.starts_at.astimezone(zone):%H:%M}–{slot.ends_at.astimezone(zone):%H:%M}"


@roles.permission_required(roles.USE_CONSOLE)
def console_appointment_slots(request, entry_id):
    entry = console_selectors.held_entry(request.user, entry_id=entry_id)
    if entry is None:  # only the call the operator holds, never another customer's
        raise Http404
    customer = entry.customer
    customer_zone = scheduling.zone(customer.time_zone) or timezone.get_current_timezone()
    today = timezone.now().astimezone(customer_zone).date()
    start = date_param(request.GET.get("start", "")) or today
    start = min(max(start, today), today + dt.timedelta(days=appointments.FURTHEST_DAYS))
    salespeople = list(appointments.salespeople_for(customer))
    slots = appointments.free_slots(salespeople=salespeople, start=start, days=appointments.SLOT_DAYS)
    rows = []
    for slot in slots:
        salesperson_zone = scheduling.zone(slot.salesperson.time_zone) or customer_zone
        other_zone = salesperson_zone.key != getattr(customer_zone, "key", None)
        rows.append(
            {
                "value": slot.value,
                "day": slot.starts_at.astimezone(customer_zone).date(),
                "time": _time_range(slot, customer_zone),
                "salesperson": slot.salesperson,
                "salesperson_time": _time_range(slot, salesperson_zone) if other_zone else "",
            }
        )
    days = [(day, list(day_rows)) for day, day_rows in groupby(rows, key=lambda row: row["day"])]
    context = {
        "days": days,
        "salespeople": salespeople,
        "customer": customer,
        "customer_zone": customer.time_zone,
        "start": start,
        "end": start + dt.timedelta(days=appointments.SLOT_DAYS - 1),
        "previous_start": (start - dt.timedelta(days=appointments.SLOT_DAYS)).isoformat() if start > today else "",
        "next_start": (start + dt.timedelta(days=appointments.SLOT_DAYS)).isoformat(),
        "selected": request.GET.get("selected", ""),
    }
    return render(request, "campaigns/console/_appointment_slots.html", context)
