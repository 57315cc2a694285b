import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Customer, DoNotCall, Segment
from .phones import normalize_phone
from .segments import page_errors, validate_criteria
from .selectors import DEFAULT_SORT, SORTS, CustomerFilters

ANY = ""


def _with_any(choices, any_label=None):
    return [(ANY, any_label or _("All")), *choices]


def campaign_model():
    """The campaign model, reached through the DNC entry's lazy foreign key (contacts does not
    import campaigns)."""
    return DoNotCall._meta.get_field("campaign").related_model


class CustomerFilterForm(forms.Form):
    """The customer list's search and filters (GET). Unknown values are ignored, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    prefecture = forms.CharField(label=_("Prefecture"), required=False, max_length=10)
    gender = forms.ChoiceField(label=_("Gender"), required=False)
    subscription = forms.ChoiceField(label=_("Subscription"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    segment = forms.ModelChoiceField(
        label=_("Segment"), required=False, queryset=Segment.objects.order_by("name"), empty_label=_("All customers")
    )
    dnc = forms.ChoiceField(
        label=_("Do-not-call"),
        required=False,
        choices=[
            (ANY, _("All")),
            ("clear", _("Callable")),
            ("blocked", _("On the do-not-call registry")),
        ],
    )
    sort = forms.CharField(required=False)

    # "unknown"/"none" stand for the empty stored value, so "" can keep meaning "any".
    gender_choices = _with_any(
        [("unknown" if value == "" else value, label) for value, label in Customer.Gender.choices]
    )
    subscription_choices = _with_any(
        [("none" if value == "" else value, label) for value, label in Customer.Subscription.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = self.gender_choices
        self.fields["subscription"].choices = self.subscription_choices

    def filters(self) -> CustomerFilters:
        data = (
            self.cleaned_data
            if self.is_valid()
            else {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        )
        gender = data.get("gender") or None
        subscription = data.get("subscription") or None
        sort = data.get("sort") or DEFAULT_SORT
        if sort.lstrip("-") not in SORTS:
            sort = DEFAULT_SORT
        return CustomerFilters(
            q=data.get("q", "").strip(),
            prefecture=data.get("prefecture", "").strip(),
            gender="" if gender == "unknown" else gender,
            subscription_status="" if subscription == "none" else subscription,
            tag=data.get("tag", "").strip(),
            segment=data.get("segment"),
            dnc=data.get("dnc", ""),
            sort=sort,
        )

    def is_filtered(self) -> bool:
        filters = self.filters()
        return any(
            [
                filters.q,
                filters.prefecture,
                filters.gender is not None,
                filters.subscription_status is not None,
                filters.tag,
                filters.segment,
                filters.dnc,
            ]
        )


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DncCreateForm(forms.Form):
    SCOPE_GLOBAL = "global"
    SCOPE_CAMPAIGN = "campaign"

    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        help_text=_("Any format: 090-1234-5678, ０９０１２３４５６７８, +81 90 1234 5678."),
    )
    customer = forms.CharField(
        label=_("Customer ID"),
        required=False,
        max_length=64,
        help_text=_("An entry for a customer blocks all of their numbers."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        widget=forms.RadioSelect,
        initial=SCOPE_GLOBAL,
        choices=[(SCOPE_GLOBAL, _("All campaigns")), (SCOPE_CAMPAIGN, _("One campaign only"))],
    )
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False, queryset=None)
    reason = forms.ChoiceField(label=_("Reason"), choices=DoNotCall.Reason.choices)
    source = forms.ChoiceField(
        label=_("Received via"), choices=DoNotCall.Source.choices, initial=DoNotCall.Source.SUPERVISOR
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty for a permanent entry."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaign_model().objects.order_by("name")

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        number, valid = normalize_phone(raw)
        if not valid:
            raise ValidationError(_("“%(value)s” is not a valid phone number."), params={"value": raw})
        return number

    def clean_customer(self):
        external_id = self.cleaned_data["customer"].strip()
        if not external_id:
            return None
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise ValidationError(_("No customer has the ID “%(value)s”."), params={"value": external_id})
        return customer

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(_("The expiry must be in the future."))
        return expires_at

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("phone") and not data.get("customer"):
            raise ValidationError(_("Give a phone number, a customer or both."))
        if data.get("scope") == self.SCOPE_CAMPAIGN and not data.get("campaign"):
            self.add_error("campaign", _("Choose the campaign."))
        if data.get("scope") == self.SCOPE_GLOBAL:
            data["campaign"] = None
        return data


class DncRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the entry revoked?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the entry is revoked.")},
    )


class DncFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        initial="active",
        choices=[
            ("active", _("Active")),
            ("revoked", _("Revoked")),
            ("expired", _("Expired")),
            ("all", _("All")),
        ],
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        required=False,
        choices=[
            (ANY, _("All")),
            ("global", _("All campaigns")),
            ("campaign", _("One campaign only")),
        ],
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=_with_any(DoNotCall.Reason.choices))
    source = forms.ChoiceField(label=_("Received via"), required=False, choices=_with_any(DoNotCall.Source.choices))

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status") or ("active" if not self.data.get("status") else "")
        return {
            "q": data.get("q", "").strip(),
            "status": "" if status == "all" else status,
            "scope": data.get("scope", ""),
            "reason": data.get("reason", ""),
            "source": data.get("source", ""),
        }


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    criteria = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_criteria(self):
        raw = self.cleaned_data["criteria"] or "{}"
        try:
            criteria = json.loads(raw)
        except ValueError:
            raise ValidationError(_("The rules could not be read; reload the page and try again."))
        errors = page_errors(criteria)  # worded with labels: the API's machine keys mean nothing here
        if errors:
            raise ValidationError(errors)
        return validate_criteria(criteria)


def add_service_errors(form, error: ValidationError):
    """Show a service's refusal on the form: on its field when the form has that field, else on the
    whole form."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)
