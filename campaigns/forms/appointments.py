"""Forms of appointments: the console's booking panel (fields prefixed "appointment-" inside the
outcome form), the calendar's outcome and reschedule forms, and the salesperson form."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from callcenter.roles import ROLE_GROUPS, SALES

from ..models import Appointment, Salesperson
from ..services.appointments import Booking
from ..services.scheduling import all_zone_names
from .setup import TIME_INPUT, WEEKDAYS

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


def _words(raw: str) -> list[str]:
    """Comma- or space-separated words (full-width commas and spaces too), each once."""
    words = []
    for word in raw.replace("、", ",").replace("，", ",").replace("\u3000", " ").replace(",", " ").split():
        if word not in words:
            words.append(word)
    return words


class SalespersonForm(forms.ModelForm):
    """A salesperson: who they are, when they work, what they cover."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-inline"}),
    )
    prefectures = forms.CharField(
        label=_("Areas (prefectures)"),
        required=False,
        help_text=_("Separated by commas, e.g. 東京都, 神奈川県. Empty: every area."),
    )
    products = forms.CharField(
        label=_("Products"),
        required=False,
        help_text=_("Matched against the customer's tags, separated by commas. Empty: any product."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=())

    class Meta:
        model = Salesperson
        fields = [
            "name",
            "user",
            "email",
            "time_zone",
            "work_start",
            "work_end",
            "weekdays",
            "appointment_minutes",
            "prefectures",
            "products",
            "active",
        ]
        widgets = {"work_start": TIME_INPUT, "work_end": TIME_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["time_zone"].choices = [(name, name) for name in all_zone_names()]
        self.fields["user"].queryset = (
            get_user_model().objects.filter(groups__name=ROLE_GROUPS[SALES]).order_by("username")
        )
        self.fields["user"].help_text = _("A user with the Sales role sees this calendar; empty: no login.")
        if self.instance.pk:
            self.initial["prefectures"] = ", ".join(self.instance.prefectures)
            self.initial["products"] = ", ".join(self.instance.products)

    def clean_prefectures(self):
        return _words(self.cleaned_data.get("prefectures") or "")

    def clean_products(self):
        return _words(self.cleaned_data.get("products") or "")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("work_start"), cleaned.get("work_end")
        if start and end and end <= start:
            self.add_error("work_end", _("The working hours must end after they start."))
        minutes = cleaned.get("appointment_minutes")
        if start and end and minutes:
            span = (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).total_seconds()
            if minutes * 60 > span:
                self.add_error("appointment_minutes", _("An appointment must fit into the working hours."))
        return cleaned
