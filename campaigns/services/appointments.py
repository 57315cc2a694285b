"""Appointments handed to sales (docs/rules.md#appointments): which salespeople fit a customer,
their free slots, booking inside the call's outcome, and what comes back from the visit.

- `record_outcome_with_appointment`: the "appointment" outcome and the Appointment in one
  transaction; a slot taken meanwhile refuses both (nothing saved, the operator picks another).
- A slot is never booked twice: the exclusion constraint `appointment_no_double_booking`
  (campaigns/models/appointments.py) refuses a second occupying appointment of one salesperson
  that overlaps the first, whatever the path; this module turns that refusal into a message.
- `set_status`, `reschedule`: held, no-show, cancelled, rescheduled.
The salesperson gets an invitation (or a cancellation) by e-mail after each commit (a Celery task
of the mail queue, `tasks/mail.py`, calling `appointment_invitations`)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter.audit import record_event
from contacts.models import Customer

from ..models import Appointment, Salesperson
from ..models.appointments import OCCUPYING_STATUSES, TsTzRange
from . import outcomes, scheduling

Status = Appointment.Status

# How soon after the call the first slot may start: the salesperson needs time to prepare and travel.
MIN_LEAD = dt.timedelta(hours=2)
# How many days of slots the booking panel shows at once, and how far ahead it pages.
SLOT_DAYS = 7
FURTHEST_DAYS = 90

SLOT_TAKEN_MESSAGE = gettext_lazy(
    "This slot was just booked by someone else. Nothing was saved: choose another slot and save again."
)
DOUBLE_BOOKING_CONSTRAINT = "appointment_no_double_booking"


@dataclass(frozen=True)
class Slot:
    salesperson: Salesperson
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def value(self) -> str:
        """How the booking form names this slot."""
        return f"{self.salesperson.pk}@{self.starts_at.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%MZ')}"


@dataclass(frozen=True)
class Booking:
    """What the operator chose in the booking panel."""

    salesperson: Salesperson
    starts_at: dt.datetime
    mode: str = Appointment.Mode.VISIT
    place: str = ""
    notes: str = ""


@dataclass
class BookedOutcome:
    result: outcomes.OutcomeResult
    appointment: Appointment | None


def salespeople_for(customer: Customer):
    """The active salespeople who cover the customer's prefecture (or every area) and one of the
    products in the customer's tags (or any product)."""
    area = Q(prefectures=[])
    if customer.prefecture:
        area |= Q(prefectures__contains=[customer.prefecture])
    product = Q(products=[])
    if customer.tags:
        product |= Q(products__overlap=list(customer.tags))
    return Salesperson.objects.filter(area, product, active=True).order_by("name", "id")


def _zone(salesperson):
    return scheduling.zone(salesperson.time_zone) or timezone.get_current_timezone()


def occupying(salespeople, start: dt.datetime, end: dt.datetime):
    """The salespeople's appointments that occupy time overlapping [start, end): written as the
    exclusion constraint's own expression (salesperson, tstzrange && range, occupying statuses),
    so its GiST index answers it."""
    return Appointment.objects.annotate(span=TsTzRange("starts_at", "ends_at")).filter(
        salesperson__in=salespeople, status__in=OCCUPYING_STATUSES, span__overlap=(start, end)
    )


def _busy_ranges(salespeople, start: dt.datetime, end: dt.datetime) -> dict[int, list[tuple]]:
    busy = defaultdict(list)
    rows = occupying(salespeople, start, end).values_list("salesperson_id", "starts_at", "ends_at")
    for salesperson_id, starts_at, ends_at in rows:
        busy[salesperson_id].append((starts_at, ends_at))
    return busy


def free_slots(*, salespeople, start: dt.date, days: int = SLOT_DAYS, now: dt.datetime | None = None) -> list[Slot]:
    """The free slots of these salespeople on `days` days from `start` (each day in the
    salesperson's own time zone): their working hours cut into appointments of their length,
    starting at least MIN_LEAD from now, none overlapping an appointment they already have."""
    now = now or timezone.now()
    salespeople = list(salespeople)
    if not salespeople:
        return []
    window_start = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(days=1)
    window_end = window_start + dt.timedelta(days=days + 2)
    busy = _busy_ranges(salespeople, window_start, window_end)
    slots = []
    for salesperson in salespeople:
        tz = _zone(salesperson)
        length = dt.timedelta(minutes=salesperson.appointment_minutes)
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            if day.weekday() not in (salesperson.weekdays or []):
                continue
            moment = dt.datetime.combine(day, salesperson.work_start, tzinfo=tz)
            closing = dt.datetime.combine(day, salesperson.work_end, tzinfo=tz)
            while moment + length <= closing:
                starts_at = moment.astimezone(dt.UTC)
                ends_at = starts_at + length
                taken = any(b_start < ends_at and b_end > starts_at for b_start, b_end in busy[salesperson.pk])
                if starts_at >= now + MIN_LEAD and not taken:
                    slots.append(Slot(salesperson, starts_at, ends_at))
                moment += length
    return sorted(slots, key=lambda slot: (slot.starts_at, slot.salesperson.name, slot.salesperson.pk))


def _local(moment: dt.datetime, tz) -> str:
    return formats.date_format(moment.astimezone(tz).replace(tzinfo=None), "SHORT_DATETIME_FORMAT")


def slot_problems(
    *, salesperson: Salesperson, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime, min_lead=MIN_LEAD
) -> list[str]:
    """Why this salesperson cannot take an appointment at this time (empty when they can, as far
    as their hours say: whether the slot is still free is the constraint's answer)."""
    if not salesperson.active:
        return [_("%(name)s does not take appointments at the moment.") % {"name": salesperson.name}]
    if starts_at < now + min_lead:
        return [
            _("The appointment must start at least %(minutes)s minutes from now.")
            % {"minutes": int(min_lead.total_seconds() // 60)}
        ]
    tz = _zone(salesperson)
    local_start, local_end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    if (
        local_start.weekday() not in (salesperson.weekdays or [])
        or local_start.date() != local_end.date()
        or local_start.time() < salesperson.work_start
        or local_end.time() > salesperson.work_end
    ):
        return [
            _("%(time)s is outside %(name)s's working hours (%(start)s–%(end)s, %(zone)s).")
            % {
                "time": _local(starts_at, tz),
                "name": salesperson.name,
                "start": f"{salesperson.work_start:%H:%M}",
                "end": f"{salesperson.work_end:%H:%M}",
                "zone": salesperson.time_zone,
            }
        ]
    return []


def _insert_refusing_double_booking(appointment: Appointment) -> Appointment:
    """INSERT in a savepoint: the exclusion constraint's refusal becomes a form error."""
    try:
        with transaction.atomic():
            appointment.save(force_insert=True)
    except IntegrityError as error:
        if getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) == DOUBLE_BOOKING_CONSTRAINT:
            raise ValidationError({"appointment": [SLOT_TAKEN_MESSAGE]}) from None
        raise
    return appointment


def _invite_after_commit(appointment_id: int) -> None:
    # A Celery task on the mail queue: no request waits for a mail server. robust: the appointment
    # is committed; a broker that is away must not turn it into an error page (Django logs the
    # failure; the salesperson still has the calendar and its feed).
    from ..tasks.mail import send_appointment_invitation

    transaction.on_commit(lambda: send_appointment_invitation.delay(appointment_id), robust=True)


def _cancel_after_commit(appointment_id: int) -> None:
    from ..tasks.mail import send_appointment_cancellation

    transaction.on_commit(lambda: send_appointment_cancellation.delay(appointment_id), robust=True)


def _summary(appointment: Appointment) -> str:
    return f"{appointment.salesperson.name} {appointment.starts_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def record_outcome_with_appointment(*, entry, operator, booking: Booking, now=None, **outcome) -> BookedOutcome:
    """Record the call's outcome (`outcomes.record_outcome`, same arguments) and book the
    appointment in the same transaction: both are saved or neither. Raises what record_outcome
    raises, or ValidationError({"appointment": [...]}) when the salesperson cannot take it or the
    slot was taken meanwhile. A repeat of a saved request (same client token) answers with the
    appointment booked the first time."""
    now = now or timezone.now()
    disposition = outcome["disposition"]
    if not disposition.books_appointment:
        raise ValidationError({"disposition": [_("This outcome does not book an appointment.")]})
    with transaction.atomic():
        result = outcomes.record_outcome(entry=entry, operator=operator, now=now, **outcome)
        if not result.created:
            return BookedOutcome(result=result, appointment=Appointment.objects.filter(attempt=result.attempt).first())
        attempt = result.attempt
        customer = Customer.objects.get(pk=attempt.customer_id)
        salesperson = booking.salesperson
        ends_at = booking.starts_at + dt.timedelta(minutes=salesperson.appointment_minutes)
        problems = slot_problems(salesperson=salesperson, starts_at=booking.starts_at, ends_at=ends_at, now=now)
        if not problems and not salespeople_for(customer).filter(pk=salesperson.pk).exists():
            problems = [_("%(name)s does not cover this customer's area or products.") % {"name": salesperson.name}]
        if problems:
            raise ValidationError({"appointment": problems})
        appointment = _insert_refusing_double_booking(
            Appointment(
                salesperson=salesperson,
                customer=customer,
                campaign_id=attempt.campaign_id,
                call_list_id=attempt.call_list_id,
                attempt=attempt,
                booked_by=operator,
                starts_at=booking.starts_at,
                ends_at=ends_at,
                mode=booking.mode,
                place=booking.place,
                notes=booking.notes,
                set_at=now,
            )
        )
        record_event(actor=operator, action="appointment.booked", target=appointment, summary=_summary(appointment))
        _invite_after_commit(appointment.pk)
    return BookedOutcome(result=result, appointment=appointment)


# What the visit's outcome may become from each status. Held and no-show can be corrected into
# each other; a cancelled or rescheduled appointment is closed (its successor carries on).
TRANSITIONS = {
    Status.BOOKED: {Status.HELD, Status.NO_SHOW, Status.CANCELLED},
    Status.HELD: {Status.NO_SHOW},
    Status.NO_SHOW: {Status.HELD},
}


def _locked(appointment_id) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related("salesperson").get(pk=appointment_id)


def set_status(*, appointment_id, status: str, by, now=None) -> Appointment:
    """Mark an appointment held, no-show or cancelled (rescheduling is `reschedule`)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment_id)
        if status not in TRANSITIONS.get(appointment.status, ()):
            raise ValidationError(
                _("An appointment that is “%(current)s” cannot be marked “%(new)s”.")
                % {"current": appointment.get_status_display(), "new": Status(status).label}
            )
        if status in (Status.HELD, Status.NO_SHOW) and appointment.starts_at > now:
            raise ValidationError(_("Only an appointment that has started can be marked held or no-show."))
        previous = appointment.status
        appointment.status = status
        appointment.status_changed_at = now
        appointment.status_changed_by = by
        appointment.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        record_event(
            actor=by,
            action="appointment.status",
            target=appointment,
            summary=f"{previous} → {status}",
            previous=previous,
            status=status,
        )
        if status == Status.CANCELLED:
            _cancel_after_commit(appointment.pk)
    return appointment


def reschedule(*, appointment_id, starts_at: dt.datetime, by, now=None) -> Appointment:
    """Move a booked appointment: it becomes "rescheduled" and a new one, at `starts_at` with the
    same length, salesperson and customer, takes over (the KPIs follow the new one). The new time
    may overlap the old one (the old one frees its slot in the same statement order)."""
    now = now or timezone.now()
    with transaction.atomic():
        old = _locked(appointment_id)
        if old.status != Status.BOOKED:
            raise ValidationError(
                _("Only a booked appointment can be rescheduled; this one is “%(status)s”.")
                % {"status": old.get_status_display()}
            )
        ends_at = starts_at + (old.ends_at - old.starts_at)
        problems = slot_problems(
            salesperson=old.salesperson, starts_at=starts_at, ends_at=ends_at, now=now, min_lead=dt.timedelta(0)
        )
        if problems:
            raise ValidationError({"starts_at": problems})
        old.status = Status.RESCHEDULED
        old.status_changed_at = now
        old.status_changed_by = by
        old.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        new = _insert_refusing_double_booking(
            Appointment(
                salesperson=old.salesperson,
                customer_id=old.customer_id,
                campaign_id=old.campaign_id,
                call_list_id=old.call_list_id,
                booked_by_id=old.booked_by_id,
                starts_at=starts_at,
                ends_at=ends_at,
                mode=old.mode,
                place=old.place,
                notes=old.notes,
                set_at=old.set_at,
                rescheduled_from=old,
            )
        )
        record_event(
            actor=by, action="appointment.rescheduled", target=new, summary=_summary(new), rescheduled_from=old.pk
        )
        _cancel_after_commit(old.pk)
        _invite_after_commit(new.pk)
    return new
