"""What reaches the salesperson: an e-mail with an iCalendar invitation (RFC 5545/5546: METHOD
REQUEST for a new appointment, CANCEL for a cancelled or moved one) through Django's mail
framework, and the calendar feed of their appointments behind a secret address."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from callcenter.templatetags.callcenter_tags import display_name
from contacts.phones import format_national

from ..models import Appointment
from . import scheduling

PRODUCT_ID = "-//Callcenter//Appointments//JA"
# The feed shows this much of the past (held, no-show) next to everything ahead.
FEED_PAST = dt.timedelta(days=60)


def _description(appointment: Appointment) -> str:
    customer = appointment.customer
    phone = customer.primary_phone
    lines = [
        _("Customer: %(name)s") % {"name": customer.name},
        _("Customer ID: %(id)s") % {"id": customer.external_id},
    ]
    if customer.name_kana:
        lines.append(_("Kana: %(kana)s") % {"kana": customer.name_kana})
    if phone is not None:
        lines.append(_("Phone: %(phone)s") % {"phone": format_national(phone.number)})
    if customer.address or customer.prefecture:
        lines.append(_("Address: %(address)s") % {"address": f"{customer.prefecture}{customer.address}"})
    lines.append(_("Campaign: %(campaign)s") % {"campaign": appointment.campaign.name})
    if appointment.booked_by is not None:
        lines.append(_("Booked by: %(name)s") % {"name": display_name(appointment.booked_by)})
    if appointment.notes:
        lines.extend(["", appointment.notes])
    return "\n".join(lines)


def _location(appointment: Appointment) -> str:
    if appointment.place:
        return appointment.place
    if appointment.mode == Appointment.Mode.ONLINE:
        return str(Appointment.Mode.ONLINE.label)
    return f"{appointment.customer.prefecture}{appointment.customer.address}"


def event_of(appointment: Appointment, *, cancelled: bool = False) -> Event:
    closed = cancelled or appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.RESCHEDULED)
    event = Event()
    event.add("uid", appointment.ics_uid)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
    event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
    # A cancellation must carry a higher sequence than the invitation it withdraws.
    event.add("sequence", 1 if closed else 0)
    event.add("status", "CANCELLED" if closed else "CONFIRMED")
    event.add("summary", _("Appointment: %(customer)s") % {"customer": appointment.customer.name})
    event.add("location", _location(appointment))
    event.add("description", _description(appointment))
    sender = settings.DEFAULT_FROM_EMAIL
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(_("Callcenter appointments"))
    event.add("organizer", organizer)
    if appointment.salesperson.email:
        attendee = vCalAddress(f"mailto:{appointment.salesperson.email}")
        attendee.params["cn"] = vText(appointment.salesperson.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee)
    return event


def calendar_of(appointments, *, method: str | None = None, name: str = "", cancelled: bool = False) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for appointment in appointments:
        calendar.add_component(event_of(appointment, cancelled=cancelled))
    return calendar.to_ical()


def _load(appointment_id: int) -> Appointment:
    return Appointment.objects.select_related("salesperson", "customer", "campaign", "booked_by").get(pk=appointment_id)


def _send(appointment: Appointment, *, method: str, subject: str, body: str) -> bool:
    if not appointment.salesperson.email:
        return False
    message = EmailMessage(subject=subject, body=body, to=[appointment.salesperson.email])
    invitation = calendar_of([appointment], method=method, cancelled=method == "CANCEL")
    message.attach("invite.ics", invitation, f"text/calendar; method={method}; charset=UTF-8")
    message.send()
    return True


def _when(appointment: Appointment) -> str:
    zone = scheduling.zone(appointment.salesperson.time_zone) or timezone.get_current_timezone()
    start = appointment.starts_at.astimezone(zone)
    end = appointment.ends_at.astimezone(zone)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({appointment.salesperson.time_zone})"


def send_invitation(appointment_id: int) -> bool:
    """E-mail the salesperson the appointment with its invitation; False when they have no
    address. In the product's language (salespeople read Japanese)."""
    appointment = _load(appointment_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New appointment: %(customer)s, %(when)s") % {
            "customer": appointment.customer.name,
            "when": _when(appointment),
        }
        body = "\n".join(
            [
                _("An appointment was booked for you."),
                "",
                _when(appointment),
                _location(appointment),
                "",
                _description(appointment),
            ]
        )
        return _send(appointment, method="REQUEST", subject=subject, body=body)


def send_cancellation(appointment_id: int) -> bool:
    """E-mail the salesperson that an appointment was cancelled or moved (its successor comes in
    an invitation of its own)."""
    appointment = _load(appointment_id)
    with translation.override(settings.LANGUAGE_CODE):
        if appointment.status == Appointment.Status.RESCHEDULED:
            intro = _("This appointment was moved to another time; the new one comes in a separate invitation.")
        else:
            intro = _("This appointment was cancelled.")
        subject = _("Cancelled: appointment with %(customer)s, %(when)s") % {
            "customer": appointment.customer.name,
            "when": _when(appointment),
        }
        body = "\n".join([intro, "", _when(appointment), _location(appointment)])
        return _send(appointment, method="CANCEL", subject=subject, body=body)


def feed_of(salesperson, *, now=None) -> bytes:
    """The salesperson's calendar feed: every appointment from FEED_PAST ago on, cancelled and
    moved ones marked cancelled so subscribed calendars drop them."""
    now = now or timezone.now()
    appointments = (
        Appointment.objects.filter(salesperson=salesperson, ends_at__gte=now - FEED_PAST)
        .select_related("salesperson", "customer", "campaign", "booked_by")
        .order_by("starts_at", "id")
    )
    with translation.override(settings.LANGUAGE_CODE):
        return calendar_of(
            appointments, method="PUBLISH", name=_("Appointments: %(name)s") % {"name": salesperson.name}
        )
