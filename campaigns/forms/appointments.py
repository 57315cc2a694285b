"""Forms of appointments: the console's booking panel (fields prefixed "appointment-" inside the
outcome form), the calendar's outcome and reschedule forms, and the salesperson form."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import Appointment, Salesperson
from ..services.appointments import Booking

BOOKING_PREFIX = "appointment"


class BookingForm(forms.Form):
    """The slot the operator picked ("<salesperson id>@<UTC start>", as the panel lists them),
    visit or online, where, and a note for the salesperson."""

    slot = forms.CharField(
        label=_("Slot"), max_length=64, error_messages={"required": _("Choose a slot for the appointment.")}
    )
    mode = forms.ChoiceField(label=_("Where"), choices=Appointment.Mode.choices, initial=Appointment.Mode.VISIT)
    place = forms.CharField(label=_("Place or meeting link"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes for the salesperson"), max_length=2000, required=False)

    def clean_slot(self):
        raw = self.cleaned_data["slot"]
        salesperson_id, _sep, start = raw.partition("@")
        try:
            starts_at = dt.datetime.strptime(start, "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC)
            salesperson = Salesperson.objects.get(pk=int(salesperson_id))
        except (ValueError, Salesperson.DoesNotExist):
            raise forms.ValidationError(_("This slot could not be read: choose one from the list.")) from None
        return salesperson, starts_at

    def booking(self) -> Booking:
        salesperson, starts_at = self.cleaned_data["slot"]
        return Booking(
            salesperson=salesperson,
            starts_at=starts_at,
            mode=self.cleaned_data["mode"],
            place=self.cleaned_data.get("place") or "",
            notes=self.cleaned_data.get("notes") or "",
        )


def booking_from_post(data, disposition) -> Booking | None:
    """The booking posted with an outcome that books an appointment (None for any other outcome);
    ValidationError({"appointment": [...]}) when it cannot be read."""
    if not disposition.books_appointment:
        return None
    form = BookingForm(data, prefix=BOOKING_PREFIX)
    if not form.is_valid():
        raise ValidationError({"appointment": [str(e) for errors in form.errors.values() for e in errors]})
    return form.booking()


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Appointment.Status.HELD, Appointment.Status.HELD.label),
            (Appointment.Status.NO_SHOW, Appointment.Status.NO_SHOW.label),
            (Appointment.Status.CANCELLED, Appointment.Status.CANCELLED.label),
        ]
    )


class RescheduleForm(forms.Form):
    """The new start, typed in the salesperson's local time."""

    starts_at = forms.DateTimeField(
        label=_("New start (salesperson's time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if self.zone is not None:
            value = value.replace(tzinfo=None).replace(tzinfo=self.zone)
        return value
