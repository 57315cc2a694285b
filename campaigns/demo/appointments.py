"""Demo appointments: three salespeople (one of them the demo `sales` user) and the appointments
the demo calls set over the six weeks of history, with what became of those already past, so the
calendar, the dashboard's appointment figures and the API have something to show. Idempotent:
nothing is added once the demo salespeople have appointments."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import Appointment, CallAttempt, Salesperson

SALESPEOPLE = [
    # name, demo username, e-mail, prefectures, products
    ("加藤 健", "sales", "kato@example.jp", ["東京都", "神奈川県", "埼玉県", "千葉県"], []),
    ("松本 さくら", None, "matsumoto@example.jp", ["大阪府", "京都府", "兵庫県"], []),
    ("井上 大輔", None, "inoue@example.jp", [], []),
]
HOURS = (10, 13, 15, 17)


def seed(*, users: dict, stdout) -> None:
    salespeople = []
    for name, username, email, prefectures, products in SALESPEOPLE:
        salesperson, _created = Salesperson.objects.get_or_create(
            name=name,
            defaults={"user": users.get(username), "email": email, "prefectures": prefectures, "products": products},
        )
        salespeople.append(salesperson)
    if Appointment.objects.filter(salesperson__in=salespeople).exists():
        stdout.write("campaigns.demo.appointments: already there")
        return
    now = timezone.now()
    # Every eighth successful demo call set an appointment (attempts are history: the demo calls
    # keep their outcome, the appointment names no attempt).
    calls = list(
        CallAttempt.objects.filter(disposition__code="success", client_token__startswith="demo-h-")
        .order_by("started_at", "id")
        .values_list(
            "id", "campaign_id", "call_list_id", "operator_id", "customer_id", "started_at", "customer__prefecture"
        )[::8]
    )
    taken: set[tuple[int, dt.datetime]] = set()
    rows = []
    zone = timezone.get_current_timezone()
    for number, (attempt_id, campaign_id, call_list_id, operator_id, customer_id, set_at, prefecture) in enumerate(
        calls
    ):
        # The salesperson of the customer's area, else the one who covers every area.
        salesperson = next((s for s in salespeople if prefecture in s.prefectures), salespeople[-1])
        day = set_at.astimezone(zone).date() + dt.timedelta(days=2 + number % 4)
        if number >= len(calls) * 3 // 4:  # the latest calls booked visits still ahead
            day = max(day, now.astimezone(zone).date() + dt.timedelta(days=1 + number % 5))
        starts_at = None
        while starts_at is None:
            if day.weekday() < 5:
                for hour in HOURS:
                    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
                    if (salesperson.pk, moment) not in taken:
                        starts_at = moment
                        break
            day += dt.timedelta(days=1)
        taken.add((salesperson.pk, starts_at))
        if starts_at > now:
            status = Appointment.Status.BOOKED
        else:
            status = [Appointment.Status.HELD] * 7 + [Appointment.Status.NO_SHOW] * 2 + [Appointment.Status.CANCELLED]
            status = status[attempt_id % 10]
        rows.append(
            Appointment(
                salesperson=salesperson,
                customer_id=customer_id,
                campaign_id=campaign_id,
                call_list_id=call_list_id,
                booked_by_id=operator_id,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=salesperson.appointment_minutes),
                mode=Appointment.Mode.VISIT if number % 3 else Appointment.Mode.ONLINE,
                status=status,
                status_changed_at=starts_at if status != Appointment.Status.BOOKED else None,
                set_at=set_at,
            )
        )
    with transaction.atomic():
        Appointment.objects.bulk_create(rows)
    stdout.write(f"campaigns.demo.appointments: {len(salespeople)} salespeople, {len(rows)} appointments added")
