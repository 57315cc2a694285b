"""Booking an appointment inside the call: which salespeople fit, their free slots, the outcome
and the appointment in one transaction, the no-double-booking constraint (and its race), the
invitation e-mail, and what comes back from the visit."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from icalendar import Calendar

from callcenter.models import AuditEvent
from campaigns.models import Appointment, CallAttempt, CallListEntry, Disposition
from campaigns.services import appointments
from campaigns.services.appointments import Booking, free_slots, record_outcome_with_appointment, salespeople_for
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_appointments import SalespersonFactory, appointment
from campaigns.tests.factories_console import TOKYO, entry, open_around_the_clock, ready_list, working_campaign
from conftest import make_user, race
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
# Wednesday 2026-11-25 14:00 in Tokyo.
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=TOKYO)
THURSDAY_10 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=TOKYO)


def appointment_outcome():
    return Disposition.objects.get(code="appointment")


@pytest.fixture
def call_list(operator):
    return ready_list(working_campaign(operators=[operator], policy=open_around_the_clock()))


@pytest.fixture
def customer():
    return CustomerFactory(name="山田 花子", prefecture="東京都", address="千代田区1-1", tags=["太陽光"])


@pytest.fixture
def held(operator, call_list, customer):
    one = entry(call_list, customer=customer)
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    return one


def book(held, operator, salesperson, starts_at, **fields):
    fields.setdefault("client_token", None)
    return record_outcome_with_appointment(
        entry=held,
        operator=operator,
        disposition=appointment_outcome(),
        booking=Booking(
            salesperson=salesperson,
            starts_at=starts_at,
            place=fields.pop("place", ""),
            notes=fields.pop("appointment_notes", ""),
        ),
        started_at=NOW,
        ended_at=NOW + dt.timedelta(minutes=3),
        now=NOW + dt.timedelta(minutes=4),
        **fields,
    )


# ---------------------------------------------------------------- who fits, and when


def test_salespeople_fit_by_area_and_product(customer):
    everywhere = SalespersonFactory(name="全国")
    tokyo = SalespersonFactory(name="東京", prefectures=["東京都", "神奈川県"])
    osaka = SalespersonFactory(name="大阪", prefectures=["大阪府"])
    solar = SalespersonFactory(name="太陽光", products=["太陽光", "蓄電池"])
    water = SalespersonFactory(name="浄水器", products=["浄水器"])
    SalespersonFactory(name="休職中", active=False)
    assert set(salespeople_for(customer)) == {everywhere, tokyo, solar}
    assert osaka not in salespeople_for(customer) and water not in salespeople_for(customer)
    nowhere = CustomerFactory(prefecture="", tags=[])
    assert set(salespeople_for(nowhere)) == {everywhere}


def test_free_slots_cut_working_hours_and_skip_what_is_taken(customer, call_list):
    salesperson = SalespersonFactory(work_start=dt.time(9), work_end=dt.time(12), appointment_minutes=60)
    appointment(
        salesperson=salesperson, customer=customer, campaign=call_list.campaign, starts_at=THURSDAY_10, minutes=30
    )
    cancelled = appointment(
        salesperson=salesperson,
        customer=customer,
        campaign=call_list.campaign,
        starts_at=THURSDAY_10 + dt.timedelta(hours=1),
        status=Appointment.Status.CANCELLED,
    )
    slots = free_slots(salespeople=[salesperson], start=NOW.date(), days=6, now=NOW)
    starts = [slot.starts_at.astimezone(TOKYO).strftime("%a %H:%M") for slot in slots]
    # Wednesday's hours are over (it is 14:00); Thursday 10:00 is taken (a half hour overlaps the
    # hour slot), the cancelled 11:00 is free again; Saturday and Sunday are not working days.
    assert starts == [
        "Thu 09:00",
        "Thu 11:00",
        "Fri 09:00",
        "Fri 10:00",
        "Fri 11:00",
        "Mon 09:00",
        "Mon 10:00",
        "Mon 11:00",
    ]
    assert cancelled.status == "cancelled"


def test_slots_follow_the_salespersons_own_zone_and_the_lead_time():
    # 09:00 in New York is 23:00 in Tokyo; the first Tokyo slot is two hours after "now" at least.
    new_york = SalespersonFactory(time_zone="America/New_York", work_start=dt.time(9), work_end=dt.time(10))
    tokyo = SalespersonFactory(work_start=dt.time(15), work_end=dt.time(17), weekdays=[2])
    slots = free_slots(salespeople=[new_york, tokyo], start=NOW.date(), days=1, now=NOW)
    assert [(s.salesperson, s.starts_at.astimezone(TOKYO).strftime("%d %H:%M")) for s in slots] == [
        (tokyo, "25 16:00"),
        (new_york, "25 23:00"),
    ]


# ---------------------------------------------------------------- booking in the call


def test_booking_stores_the_outcome_and_the_appointment_together(
    held, operator, customer, django_capture_on_commit_callbacks
):
    salesperson = SalespersonFactory(name="田中 営業", email="tanaka@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        booked = book(held, operator, salesperson, THURSDAY_10, place="お客様宅", appointment_notes="駐車場あり")
    attempt = booked.result.attempt
    assert attempt.disposition.code == "appointment"
    made = Appointment.objects.get()
    assert made == booked.appointment
    assert (made.attempt, made.customer, made.salesperson, made.booked_by) == (attempt, customer, salesperson, operator)
    assert (made.campaign_id, made.call_list_id) == (held.campaign_id, held.call_list_id)
    assert made.ends_at - made.starts_at == dt.timedelta(minutes=60)
    assert made.status == "booked" and made.place == "お客様宅"
    assert CallListEntry.objects.get(pk=held.pk).status == CallListEntry.Status.DONE
    assert AuditEvent.objects.filter(action="appointment.booked", object_id=str(made.pk)).exists()

    # The salesperson's invitation: a REQUEST with the event, readable by a calendar.
    (message,) = mail.outbox
    assert message.to == ["tanaka@example.jp"]
    assert "山田 花子" in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert name == "invite.ics" and mimetype.startswith("text/calendar") and "method=REQUEST" in mimetype
    calendar = Calendar.from_ical(content)
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == THURSDAY_10
    assert event.decoded("dtend") == THURSDAY_10 + dt.timedelta(hours=1)
    assert str(event["uid"]) == made.ics_uid
    assert str(event["location"]) == "お客様宅"
    assert "山田 花子" in str(event["summary"])
    assert "駐車場あり" in str(event["description"]) and "090" in str(event["description"])
    assert str(event["attendee"]) == "mailto:tanaka@example.jp"


def test_a_salesperson_who_does_not_fit_is_refused_and_nothing_is_saved(held, operator):
    osaka = SalespersonFactory(prefectures=["大阪府"])
    with pytest.raises(ValidationError) as refused:
        book(held, operator, osaka, THURSDAY_10)
    assert "appointment" in refused.value.message_dict
    assert not CallAttempt.objects.exists() and not Appointment.objects.exists()
    assert CallListEntry.objects.get(pk=held.pk).held_by == operator  # the operator still holds the call


@pytest.mark.parametrize(
    "starts_at",
    [
        THURSDAY_10.replace(hour=8),  # before work
        THURSDAY_10.replace(hour=17, minute=30),  # ends after work
        dt.datetime(2026, 11, 28, 10, 0, tzinfo=TOKYO),  # Saturday
        NOW + dt.timedelta(minutes=30),  # too soon
    ],
)
def test_a_time_the_salesperson_cannot_take_is_refused(held, operator, starts_at):
    salesperson = SalespersonFactory()
    with pytest.raises(ValidationError) as refused:
        book(held, operator, salesperson, starts_at)
    assert refused.value.message_dict["appointment"]
    assert not CallAttempt.objects.exists() and not Appointment.objects.exists()


def test_a_taken_slot_refuses_the_second_booking_and_its_outcome(held, operator, call_list, customer):
    salesperson = SalespersonFactory()
    appointment(
        salesperson=salesperson,
        customer=CustomerFactory(),
        campaign=call_list.campaign,
        starts_at=THURSDAY_10 + dt.timedelta(minutes=30),
    )
    with pytest.raises(ValidationError) as refused:
        book(held, operator, salesperson, THURSDAY_10)
    assert refused.value.message_dict["appointment"] == [str(appointments.SLOT_TAKEN_MESSAGE)]
    assert not CallAttempt.objects.exists()
    assert Appointment.objects.count() == 1


def test_a_repeated_request_answers_with_the_first_appointment(held, operator):
    salesperson = SalespersonFactory()
    first = book(held, operator, salesperson, THURSDAY_10, client_token="tok-1")
    again = book(held, operator, salesperson, THURSDAY_10, client_token="tok-1")
    assert again.appointment == first.appointment and again.result.created is False
    assert Appointment.objects.count() == 1 and CallAttempt.objects.count() == 1


def test_another_outcome_cannot_book(held, operator):
    with pytest.raises(ValidationError):
        record_outcome_with_appointment(
            entry=held,
            operator=operator,
            disposition=Disposition.objects.get(code="success"),
            booking=Booking(salesperson=SalespersonFactory(), starts_at=THURSDAY_10),
            now=NOW,
        )
    assert not CallAttempt.objects.exists()


# ---------------------------------------------------------------- the constraint itself


def test_the_database_refuses_overlapping_appointments_of_one_salesperson(call_list, customer):
    salesperson, other = SalespersonFactory(), SalespersonFactory()
    kwargs = dict(customer=customer, campaign=call_list.campaign)
    appointment(salesperson=salesperson, starts_at=THURSDAY_10, **kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment(salesperson=salesperson, starts_at=THURSDAY_10 + dt.timedelta(minutes=59), **kwargs)
    # Back to back, another salesperson at the same time, or over a cancelled one: allowed.
    appointment(salesperson=salesperson, starts_at=THURSDAY_10 + dt.timedelta(hours=1), **kwargs)
    appointment(salesperson=other, starts_at=THURSDAY_10, **kwargs)
    cancelled = appointment(
        salesperson=salesperson, starts_at=THURSDAY_10 + dt.timedelta(hours=3), status="cancelled", **kwargs
    )
    appointment(salesperson=salesperson, starts_at=cancelled.starts_at, **kwargs)
    # Un-cancelling into an occupied slot is refused too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=cancelled.pk).update(status="booked")


@pytest.mark.django_db(transaction=True)
def test_two_operators_racing_for_one_slot_book_it_once(reference_data):
    operators = [make_user(f"racer{i}", "operator") for i in range(2)]
    campaign = working_campaign(operators=operators, policy=open_around_the_clock())
    call_list = ready_list(campaign)
    entries = [entry(call_list, customer=CustomerFactory()) for _ in operators]
    for operator in operators:
        dispatch_next(operator=operator, now=NOW)
    salesperson = SalespersonFactory()
    held = {e.held_by_id: e for e in CallListEntry.objects.filter(pk__in=[e.pk for e in entries])}

    def booking(operator):
        return lambda: book(held[operator.pk], operator, salesperson, THURSDAY_10)

    results = race([booking(operator) for operator in operators])
    refused = [r for r in results if isinstance(r, ValidationError)]
    booked = [r for r in results if not isinstance(r, Exception)]
    assert len(booked) == 1 and len(refused) == 1, results
    assert refused[0].message_dict["appointment"] == [str(appointments.SLOT_TAKEN_MESSAGE)]
    assert Appointment.objects.count() == 1
    # The refused operator's outcome went with it: one attempt, and the loser still holds the call.
    assert CallAttempt.objects.count() == 1
    winner = booked[0].appointment.booked_by_id
    loser = next(o for o in operators if o.pk != winner)
    assert CallListEntry.objects.get(pk=held[loser.pk].pk).held_by_id == loser.pk


# ---------------------------------------------------------------- after the visit


def test_held_no_show_and_cancel_follow_the_rules(held, operator, supervisor, django_capture_on_commit_callbacks):
    salesperson = SalespersonFactory(email="s@example.jp")
    made = book(held, operator, salesperson, THURSDAY_10).appointment
    with pytest.raises(ValidationError):  # not started yet
        appointments.set_status(appointment_id=made.pk, status="held", by=supervisor, now=NOW)
    later = THURSDAY_10 + dt.timedelta(hours=2)
    assert (
        appointments.set_status(appointment_id=made.pk, status="no_show", by=supervisor, now=later).status == "no_show"
    )
    assert appointments.set_status(appointment_id=made.pk, status="held", by=supervisor, now=later).status == "held"
    with pytest.raises(ValidationError):
        appointments.set_status(appointment_id=made.pk, status="cancelled", by=supervisor, now=later)
    assert AuditEvent.objects.filter(action="appointment.status", object_id=str(made.pk)).count() == 2

    other = appointment(
        salesperson=salesperson,
        customer=made.customer,
        campaign=made.campaign,
        starts_at=THURSDAY_10 + dt.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointments.set_status(appointment_id=other.pk, status="cancelled", by=supervisor, now=NOW)
    (message,) = [m for m in mail.outbox if "method=CANCEL" in m.attachments[0][2]]
    (event,) = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED" and str(event["uid"]) == other.ics_uid
    assert int(event["sequence"]) == 1


def test_rescheduling_moves_the_appointment_and_keeps_when_it_was_set(
    held, operator, supervisor, django_capture_on_commit_callbacks
):
    salesperson = SalespersonFactory(email="s@example.jp")
    made = book(held, operator, salesperson, THURSDAY_10).appointment
    with django_capture_on_commit_callbacks(execute=True):
        # Overlapping its own old time is fine: the old one frees its slot.
        moved = appointments.reschedule(
            appointment_id=made.pk, starts_at=THURSDAY_10 + dt.timedelta(minutes=30), by=supervisor, now=NOW
        )
    made.refresh_from_db()
    assert made.status == "rescheduled" and moved.rescheduled_from == made
    assert (moved.status, moved.set_at, moved.booked_by, moved.attempt) == ("booked", made.set_at, operator, None)
    assert moved.ends_at - moved.starts_at == dt.timedelta(hours=1)
    methods = sorted(m.attachments[0][2].split("method=")[1].split(";")[0] for m in mail.outbox)
    assert methods == ["CANCEL", "REQUEST"]
    with pytest.raises(ValidationError):  # a Saturday
        appointments.reschedule(
            appointment_id=moved.pk, starts_at=dt.datetime(2026, 11, 28, 10, tzinfo=TOKYO), by=supervisor, now=NOW
        )
    with pytest.raises(ValidationError):  # only booked ones move
        appointments.reschedule(appointment_id=made.pk, starts_at=THURSDAY_10, by=supervisor, now=NOW)
