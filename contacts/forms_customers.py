"""The customer create/edit page's form: every field of the API, phones as rows, tags, attributes
and preferred call times as text. It only reads what was typed; normalizing and checking is the
service's (contacts.services.customers), the same for imports, the API and this page."""

import json
import re
import zoneinfo
from functools import lru_cache

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Customer, PhoneNumber
from .phones import format_national

WEEKDAY_NAMES = ["月", "火", "水", "木", "金", "土", "日"]
WEEKDAY_WORDS = {
    **{name: day for day, name in enumerate(WEEKDAY_NAMES)},
    **{name: day for day, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
}
_WINDOW = re.compile(r"^(?P<days>.*?)\s*(?P<start>\d{1,2}:\d{2})\s*[-–〜~]\s*(?P<end>\d{1,2}:\d{2})$")
FIELDS = [
    "external_id",
    "name",
    "name_kana",
    "gender",
    "birth_date",
    "email",
    "postal_code",
    "prefecture",
    "address",
    "time_zone",
    "registered_at",
    "first_purchase_at",
    "last_purchase_at",
    "purchase_count",
    "total_spent",
    "subscription_status",
    "mail_open_rate",
    "last_web_visit_at",
    "no_workplace_calls",
    "notes",
]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


@lru_cache(maxsize=1)
def time_zone_choices() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def windows_as_text(windows) -> str:
    lines = []
    for window in windows or []:
        if not isinstance(window, dict):
            continue
        days = "".join(WEEKDAY_NAMES[d] for d in window.get("weekdays") or [] if 0 <= int(d) <= 6)
        lines.append(f"{days} {window.get('start', '')}-{window.get('end', '')}".strip())
    return "\n".join(lines)


def windows_from_text(text: str) -> list[dict]:
    windows = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _WINDOW.match(line)
        if match is None:
            raise forms.ValidationError(
                _("Write each call time as weekdays and HH:MM-HH:MM, e.g. 月 火 10:00-12:00."), code="window"
            )
        days = []
        for word in re.findall(r"[月火水木金土日]|[A-Za-z]{3}", match["days"]):
            if word.lower() not in WEEKDAY_WORDS:
                raise forms.ValidationError(_("Unknown weekday %(day)s.") % {"day": word}, code="weekday")
            days.append(WEEKDAY_WORDS[word.lower()])
        start, end = match["start"].zfill(5), match["end"].zfill(5)
        windows.append({"weekdays": sorted(set(days)), "start": start, "end": end})
    return windows


def attributes_as_text(attributes) -> str:
    if not isinstance(attributes, dict):
        return ""
    return "\n".join(
        f"{key} = {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in attributes.items()
    )


def attributes_from_text(text: str, previous: dict) -> dict:
    """key = value lines. A value that reads as a JSON number, true/false or null is that; else
    text. A line left as it was keeps its stored value (and type)."""
    attributes = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise forms.ValidationError(_("Line %(n)s: write key = value.") % {"n": number}, code="attribute")
        key, value = (part.strip() for part in line.split("=", 1))
        if key in previous and attributes_as_text({key: previous[key]}) == f"{key} = {value}":
            attributes[key] = previous[key]
            continue
        try:
            parsed = json.loads(value)
            attributes[key] = parsed if isinstance(parsed, (int, float, bool)) or parsed is None else value
        except ValueError:
            attributes[key] = value
    return attributes


class CustomerForm(forms.ModelForm):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=5000, help_text=_("Separated by commas, e.g. vip, 定期")
    )
    attributes = forms.CharField(
        label=_("Attributes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: key = value."),
    )
    preferred_call_windows = forms.CharField(
        label=_("Preferred call times"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line in the customer's time zone, e.g. 月火水木金 18:00-20:00 (no weekday: every day)."),
    )

    class Meta:
        model = Customer
        fields = FIELDS
        widgets = {
            "birth_date": DATE_INPUT,
            "registered_at": DATETIME_INPUT,
            "first_purchase_at": DATETIME_INPUT,
            "last_purchase_at": DATETIME_INPUT,
            "last_web_visit_at": DATETIME_INPUT,
            "notes": forms.Textarea(attrs={"rows": 4}),
            "address": forms.TextInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customer = self.instance
        self.fields["time_zone"].widget = forms.TextInput(attrs={"list": "time-zones"})
        self.fields["mail_open_rate"] = forms.FloatField(
            label=self.fields["mail_open_rate"].label, required=False, min_value=0, max_value=1, help_text=_("0 to 1")
        )
        self.fields["total_spent"].min_value = 0
        self.fields["external_id"].validators = []  # unique: the service answers it, also in a race
        for name in ("prefecture", "postal_code", "email", "name_kana"):
            # The import's converters check these (東京 → 東京都): the model's own checks come after.
            self.fields[name] = forms.CharField(
                label=self.fields[name].label, required=False, max_length=300, help_text=self.fields[name].help_text
            )
        if customer.pk and not self.is_bound:
            self.initial.update(
                {
                    "version": customer.updated_at.isoformat(),
                    "tags": ", ".join(customer.tags),
                    "attributes": attributes_as_text(customer.attributes),
                    "preferred_call_windows": windows_as_text(customer.preferred_call_windows),
                }
            )

    def _post_clean(self):
        """The model's checks run in the service, after the import's normalization."""

    def clean_tags(self):
        return [tag.strip() for tag in re.split(r"[,、，;]", self.cleaned_data["tags"]) if tag.strip()]

    def clean_attributes(self):
        previous = self.instance.attributes if isinstance(self.instance.attributes, dict) else {}
        return attributes_from_text(self.cleaned_data["attributes"], previous)

    def clean_preferred_call_windows(self):
        return windows_from_text(self.cleaned_data["preferred_call_windows"])

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in FIELDS if name in data}
        for name in ("name_kana", "postal_code", "prefecture", "email"):
            fields[name] = fields[name] or ""
        fields["mail_open_rate"] = data.get("mail_open_rate")
        fields.update(
            tags=data["tags"], attributes=data["attributes"], preferred_call_windows=data["preferred_call_windows"]
        )
        return fields


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Phone number"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "tel"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("From the number")), *PhoneNumber.Kind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    is_primary = forms.BooleanField(
        label=_("Primary"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )


PhoneFormSet = forms.formset_factory(PhoneForm, extra=2, max_num=20, absolute_max=20)


def phone_initial(customer) -> list[dict]:
    return [
        {
            "number": format_national(p.number) if p.is_valid else (p.raw or p.number),
            "kind": p.kind,
            "is_primary": p.is_primary,
        }
        for p in customer.phones.all()
    ]


def phones_from(formset) -> list[dict]:
    return [
        {
            "number": form.cleaned_data["number"],
            "kind": form.cleaned_data["kind"],
            "is_primary": form.cleaned_data["is_primary"],
        }
        for form in formset.forms
        if form.cleaned_data.get("number", "").strip()
    ]
