"""Forms of the callbacks page: its filters, a reassignment of many, a new time for one."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from campaigns.selectors.callbacks import SHARED
from campaigns.selectors.setup import operator_users


def _operator_label(user) -> str:
    return f"{user.last_name} {user.first_name}".strip() or user.username


class CallbackFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.order_by("name"), required=False, empty_label=_("All campaigns")
    )
    operator = forms.ChoiceField(label=_("Operator"), required=False)
    day_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = {"overdue": "form-check-input", "campaign": "form-select form-select-sm"}
            css["operator"] = css["campaign"]
            field.widget.attrs["class"] = css.get(name, "form-control form-control-sm")
        self.fields["operator"].choices = [
            ("", _("Everyone")),
            (SHARED, _("Shared (any operator)")),
            *[(str(user.pk), _operator_label(user)) for user in operator_users().order_by("username")],
        ]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        campaign = data.get("campaign")
        return {
            "campaign_id": campaign.pk if campaign else None,
            "operator": data.get("operator", ""),
            "day_from": data.get("day_from"),
            "day_to": data.get("day_to"),
            "overdue": bool(data.get("overdue")),
        }


class ReassignForm(forms.Form):
    operator = forms.ChoiceField(label=_("Give to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [
            (SHARED, _("Shared (any operator)")),
            *[(str(user.pk), _operator_label(user)) for user in operator_users().order_by("username")],
        ]


class MoveForm(forms.Form):
    """The new time as the customer's wall clock shows it (as the console's callback field)."""

    callback_at = forms.CharField(
        label=_("New time (customer's local time)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_callback_at(self):
        try:
            naive = dt.datetime.strptime(self.cleaned_data["callback_at"], "%Y-%m-%dT%H:%M")
        except ValueError:
            raise forms.ValidationError(_("Give a date and time.")) from None
        return naive.replace(tzinfo=self.zone)
