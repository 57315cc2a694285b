"""The filter of the KPI pages: a date range, a campaign, an operator."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.selectors.kpis.figures import KpiFilter, kpi_day_validators
from campaigns.selectors.kpis.labels import person_name

DEFAULT_DAYS = 30
MAX_DAYS = 731


class OperatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


class KpiFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=kpi_day_validators()
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=kpi_day_validators()
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=None, required=False, empty_label=_("All campaigns")
    )
    operator = OperatorChoiceField(label=_("Operator"), queryset=None, required=False, empty_label=_("All operators"))
    compare = forms.BooleanField(label=_("Previous period in the tables"), required=False)

    def __init__(self, data=None, *, campaigns, operators=None, today=None):
        # An empty query string is an unbound form: the defaults apply and no error shows.
        super().__init__(data or None)
        self.today = today or timezone.localdate()
        self.fields["campaign"].queryset = campaigns
        if operators is None:
            del self.fields["operator"]
        else:
            self.fields["operator"].queryset = operators
        for field in self.fields.values():
            if isinstance(field, forms.BooleanField):
                css = "form-check-input"
            elif isinstance(field, forms.ModelChoiceField):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to:
            if date_from > date_to:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (date_to - date_from).days + 1 > MAX_DAYS:
                self.add_error("date_from", _("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return cleaned

    def kpi_filter(self) -> KpiFilter:
        """The chosen filter. What is missing or invalid falls back to the default (the 30 days up to
        today, every campaign, every operator); the form shows the errors."""
        values = {}
        if self.is_bound:
            self.is_valid()  # keeps the valid fields in cleaned_data
            values = dict(self.cleaned_data)
            if "date_from" in self.errors or "date_to" in self.errors:
                values.pop("date_from", None)  # half a range means nothing: both fall back
                values.pop("date_to", None)
        date_to = values.get("date_to") or self.today
        date_from = values.get("date_from") or date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            date_from = date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
        campaign = values.get("campaign")
        operator = values.get("operator")
        if not self.is_bound:
            self.initial.update(date_from=date_from, date_to=date_to)  # show the dates in use
        return KpiFilter(
            date_from=date_from,
            date_to=date_to,
            campaign_ids=(campaign.id,) if campaign else None,
            operator_id=operator.id if operator else None,
        )

    def compare_tables(self) -> bool:
        """Whether the tables (and their CSV) show each figure of the previous period alongside."""
        if not self.is_bound:
            return False
        self.is_valid()  # cleaned_data keeps the valid fields even when another one is wrong
        return bool(self.cleaned_data.get("compare"))

    def presets(self) -> list[tuple[str, datetime.date, datetime.date]]:
        """Quick ranges: today, last 7 and 30 days, this month, last month."""
        today = self.today
        first_of_month = today.replace(day=1)
        last_month_end = first_of_month - datetime.timedelta(days=1)
        return [
            (_("Today"), today, today),
            (_("Last 7 days"), today - datetime.timedelta(days=6), today),
            (_("Last 30 days"), today - datetime.timedelta(days=29), today),
            (_("This month"), first_of_month, today),
            (_("Last month"), last_month_end.replace(day=1), last_month_end),
        ]
