"""Forms of campaign setup. They validate; the services act."""

import json

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from callcenter.uploads import check_size
from campaigns.models import CallingPolicy, CallList, Campaign, Disposition, PreNotice
from campaigns.presets import PRESETS
from campaigns.selectors.setup import operator_users
from campaigns.services.campaigns import edit_problems, value_problems
from campaigns.services.lists import LIST_PRIORITY_LIMIT, list_operator_choices, recyclable_dispositions
from campaigns.services.people import clean_skills
from campaigns.services.policies import MAX_DELAY_MINUTES, disposition_problems, policy_problems
from contacts.attributes import validate_attribute_key
from contacts.models import Segment

WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OperatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        # Family name first, as Japanese names are written.
        return f"{user.last_name} {user.first_name}".strip() or user.username


class BlackoutDatesField(forms.CharField):
    """Blackout periods typed one a line: "12-29 01-03 年末年始" (every year), "2026-08-13
    2026-08-16 お盆" or "2026-05-01 創立記念日" (once). Stored as CallingPolicy.blackout_dates."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "12-29 01-03 年末年始\n2026-08-13 2026-08-16 お盆"})

    def prepare_value(self, value):
        if isinstance(value, list):
            lines = []
            for item in value:
                if isinstance(item, dict):
                    bounds = [item.get("from", "")]
                    if item.get("to") and item.get("to") != item.get("from"):
                        bounds.append(item["to"])
                    lines.append(" ".join(bounds + ([item["label"]] if item.get("label") else [])))
            return "\n".join(lines)
        return value

    def to_python(self, value):
        periods = []
        for line in (value or "").splitlines():
            words = line.split()
            if not words:
                continue
            start, rest = words[0], words[1:]
            has_end = bool(rest) and len(rest[0]) == len(start) and rest[0][:1].isdigit()
            end = rest.pop(0) if has_end else start
            periods.append({"from": start, "to": end, "label": " ".join(rest)})
        return periods


class PolicyForm(forms.ModelForm):
    """Each field says in plain words what it does to the calls."""

    blackout_dates = BlackoutDatesField(
        label=_("Blackout dates"),
        required=False,
        help_text=_(
            "Days without calls on top of the public holidays, one period a line: MM-DD repeats every year "
            "(12-29 01-03 年末年始), YYYY-MM-DD happens once (2026-08-13 2026-08-16 お盆); a name may follow."
        ),
    )
    # The preset the form was started from (campaigns.presets); recorded on the new policy.
    preset_key = forms.CharField(required=False, widget=forms.HiddenInput)

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days on which calls are allowed"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-inline"}),
    )

    class Meta:
        model = CallingPolicy
        fields = [
            "name",
            "description",
            "call_window_start",
            "call_window_end",
            "weekdays",
            "skip_holidays",
            "holiday_country",
            "max_attempts",
            "max_attempts_per_day",
            "min_gap_minutes",
            "cap_attempts",
            "cap_days",
            "cooloff_days_after_contact",
            "no_resolicit_after_refusal",
            "refusal_scope",
            "prefer_best_hours",
            "blackout_dates",
            "disclosure_required",
            "no_workplace_calls_rule",
        ]
        widgets = {
            "call_window_start": TIME_INPUT,
            "call_window_end": TIME_INPUT,
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "name": _("A name supervisors recognise when they attach the policy to a campaign."),
            "call_window_start": _("No call starts before this time, in the customer's own time zone."),
            "call_window_end": _("No call starts after this time, in the customer's own time zone."),
            "skip_holidays": _("No calls on the public holidays of the calendar below."),
            "holiday_country": _("Two-letter country code of the holiday calendar, e.g. JP or US."),
            "max_attempts": _("How many times one customer in one list may be called before the entry is closed."),
            "max_attempts_per_day": _("How many of those calls may fall on the same day."),
            "min_gap_minutes": _("The least time between two calls to the same customer."),
            "cap_attempts": _(
                "Cross-campaign cap: at most this many calls to one customer, counting every campaign ..."
            ),
            "cap_days": _("... in any period of this many days. Leave both empty for no cap."),
            "cooloff_days_after_contact": _(
                "After a conversation with a customer (in any campaign), wait this many days before calling them "
                "again. Empty = no cool-off."
            ),
            "prefer_best_hours": _(
                "Retries move to the weekday hours when this segment answers best (from the KPI heat map); callbacks "
                "keep their time."
            ),
            "no_resolicit_after_refusal": _(
                "A customer who refused is never called again in the scope below, not even in a new list "
                "(特定商取引法 再勧誘の禁止)."
            ),
            "refusal_scope": _(
                "Which campaigns a refusal closes: this one, every campaign selling the same product for the same "
                "company, or every campaign of the company. A campaign that names no product (or company) falls "
                "back to itself."
            ),
            "disclosure_required": _(
                "Every script must open with the company, the caller's name, the product and that this is a sales "
                "call, and a conversation is logged only with the disclosure confirmed (特定商取引法 Art. 16)."
            ),
            "no_workplace_calls_rule": _(
                "Numbers of kind “workplace” are never dialed for a customer who asked not to be called at work "
                "(貸金業法 Art. 21)."
            ),
        }

    def clean_refusal_scope(self):
        # Optional like in the API: a form that does not show it keeps the default.
        return self.cleaned_data.get("refusal_scope") or CallingPolicy.RefusalScope.PRODUCT

    def clean_holiday_country(self):
        # As the API: "jp" is JP.
        return (self.cleaned_data.get("holiday_country") or "").strip().upper()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refusal_scope"].required = False
        delays = (
            (self.instance.retry_delays if self.instance and self.instance.pk else None)
            or self.initial.get("retry_delays")
            or {}
        )
        self.retry_fields = []
        for disposition in Disposition.objects.filter(active=True, is_final=False).order_by("position", "code"):
            name = f"retry_{disposition.code}"
            default = disposition.retry_delay_minutes
            self.fields[name] = forms.IntegerField(
                label=disposition.display_label,
                required=False,
                min_value=0,
                initial=delays.get(disposition.code),
                help_text=(_("Default: %(minutes)s minutes") % {"minutes": default})
                if default is not None
                else _("No default delay"),
            )
            self.retry_fields.append((name, disposition.code))

    def clean(self):
        cleaned = super().clean()
        cleaned["retry_delays"] = {
            code: cleaned[name] for name, code in self.retry_fields if cleaned.get(name) is not None
        }
        for field, messages in policy_problems(cleaned).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned

    def save(self, commit=True):
        self.instance.retry_delays = self.cleaned_data["retry_delays"]
        if self.instance.pk is None and self.cleaned_data.get("preset_key") in PRESETS:
            key = self.cleaned_data["preset_key"]
            self.instance.preset_key = key
            self.instance.preset_version = PRESETS[key]["version"]
        return super().save(commit=commit)


class SecondsOrZeroField(forms.IntegerField):
    """A number of seconds where an empty input means 0 (and is no change from 0)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return super().to_python(value) or 0


class CampaignForm(forms.ModelForm):
    operators = OperatorChoiceField(
        label=_("Operators"),
        queryset=operator_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only they receive this campaign's calls."),
    )

    progressive_dial_seconds = SecondsOrZeroField(
        label=Campaign._meta.get_field("progressive_dial_seconds").verbose_name, min_value=0, max_value=600
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "purpose",
            "description",
            "company",
            "product",
            "policy",
            "script",
            "operators",
            "starts_on",
            "ends_on",
            "cost_per_hour",
            "cost_per_minute",
            "fixed_cost",
            "prenotice_days",
            "progressive_dial_seconds",
            "caller_id",
        ]
        widgets = {"starts_on": DATE_INPUT, "ends_on": DATE_INPUT, "description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "starts_on": _("The campaign becomes active on this day (when it has a list and operators)."),
            "ends_on": _("The last calling day; the campaign finishes after it."),
            "cost_per_hour": _("Labour cost of one operator hour, for the cost per call (CPC)."),
            "cost_per_minute": _("Telephone charge per minute of call."),
            "fixed_cost": _("Fixed costs of the campaign (system, list purchase, ...)."),
            "prenotice_days": _(
                "When set, only customers whose DM/SMS notice went out at least this many days ago are called."
                " A change applies to later calls: the compliance report judges each call by the value in force"
                " when it was made."
            ),
            "company": _("The company whose product is sold (your client, or your own company)."),
            "product": _(
                "What the call sells. A refusal blocks every campaign of the same company and product."
                " A change applies to later calls."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operators"].queryset = operator_users().order_by("username")
        self.fields["policy"].required = False

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end date cannot be before the start date."))
        for field, messages in value_problems(cleaned).items():
            for message in messages:
                self.add_error(field, message)
        if self.instance.pk and "policy" in cleaned:
            for field, messages in edit_problems(status=self.instance.status, policy=cleaned["policy"]).items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned


class DispositionForm(forms.ModelForm):
    class Meta:
        model = Disposition
        fields = [
            "code",
            "label",
            "label_ja",
            "is_contact",
            "is_success",
            "is_final",
            "is_refusal",
            "adds_dnc",
            "is_callback",
            "retry_delay_minutes",
            "position",
            "active",
            "default_key",
        ]
        help_texts = {
            "code": _("Short identifier used by the API and exports (letters, digits, _ and -)."),
            "is_contact": _("The operator spoke with the customer: counts for the contact rate."),
            "is_success": _("Counts as a success (sale, appointment, answer...)."),
            "is_final": _("The customer is not called again in this list."),
            "is_refusal": _("The customer refused: never called again by this campaign."),
            "adds_dnc": _("Also puts the customer on the do-not-call registry."),
            "is_callback": _("The operator schedules a callback time."),
            "retry_delay_minutes": _("How long to wait before the next attempt after this outcome."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A bigger delay overflows the retry time (see policies.MAX_DELAY_MINUTES).
        self.fields["retry_delay_minutes"].validators.append(MaxValueValidator(MAX_DELAY_MINUTES))
        self.fields["retry_delay_minutes"].widget.attrs["max"] = MAX_DELAY_MINUTES
        if self.instance.pk:
            # Codes are referenced by history, policies and integrations: fixed once created.
            self.fields["code"].disabled = True

    def clean(self):
        cleaned = super().clean()
        for field, messages in disposition_problems(cleaned, instance=self.instance).items():
            for message in messages:
                self.add_error(field, message)
        return cleaned


class CallListForm(forms.Form):
    name = forms.CharField(label=_("List name"), max_length=200)
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.all(),
        required=False,
        help_text=_("The customers to call, as saved on the Segments page."),
    )
    criteria = forms.CharField(
        label=_("Or criteria (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=_('Ad-hoc criteria, e.g. {"match": "all", "rules": [{"field": "tag", "op": "eq", "value": "vip"}]}'),
    )
    order_by = forms.ChoiceField(
        label=_("Call order"), choices=CallList.Order.choices, initial=CallList.Order.RECENT_PURCHASE
    )
    order_attribute = forms.CharField(
        label=_("Attribute for ordering"),
        required=False,
        validators=[validate_attribute_key],
        help_text=_('For "numeric attribute": the key in the customer attributes, e.g. churn_score.'),
    )
    priority = forms.IntegerField(
        label=_("List priority"),
        initial=0,
        min_value=-LIST_PRIORITY_LIMIT,
        max_value=LIST_PRIORITY_LIMIT,
        help_text=_("Lists with a higher number are dialed first."),
    )
    required_skill = forms.CharField(
        label=_("Required operator skill"),
        required=False,
        max_length=50,
        help_text=_("Only operators with this skill tag get this list's calls."),
    )
    operators = OperatorChoiceField(
        label=_("Only these operators"),
        queryset=operator_users(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every operator of the campaign."),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["operators"].queryset = list_operator_choices(campaign)

    def clean_criteria(self):
        raw = self.cleaned_data["criteria"].strip()
        if not raw:
            return None
        try:
            criteria = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("This is not valid JSON."))
        if not isinstance(criteria, dict):
            raise forms.ValidationError(_("Criteria are a JSON object with match and rules."))
        return criteria

    def clean(self):
        from contacts.segments import validate_criteria

        cleaned = super().clean()
        segment, criteria = cleaned.get("segment"), cleaned.get("criteria")
        if not segment and criteria is None and "criteria" not in self.errors:
            self.add_error("segment", _("Choose a segment or give criteria."))
        if segment and criteria is not None:
            self.add_error("criteria", _("Choose a segment or give criteria, not both."))
        if criteria is not None and not self.errors.get("criteria"):
            try:
                cleaned["criteria"] = validate_criteria(criteria)
            except forms.ValidationError as error:
                self.add_error("criteria", error)
        if (
            cleaned.get("order_by") == CallList.Order.ATTRIBUTE
            and not cleaned.get("order_attribute")
            and "order_attribute" not in self.errors
        ):
            self.add_error("order_attribute", _("Name the numeric attribute to order by."))
        return cleaned

    def effective_criteria(self):
        segment = self.cleaned_data.get("segment")
        return segment.criteria if segment else self.cleaned_data.get("criteria")


class RecycleForm(forms.Form):
    dispositions = forms.ModelMultipleChoiceField(
        label=_("Entries that ended with"),
        queryset=Disposition.objects.none(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one outcome to recycle.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dispositions"].queryset = recyclable_dispositions().order_by("position", "code")


class PreNoticeForm(forms.Form):
    external_id = forms.CharField(label=_("Customer ID"), max_length=64)
    channel = forms.ChoiceField(label=_("Channel"), choices=PreNotice.Channel.choices)
    sent_on = forms.DateField(label=_("Sent on"), widget=DATE_INPUT)

    def clean_external_id(self):
        from contacts.models import Customer

        external_id = self.cleaned_data["external_id"].strip()
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this ID."))
        self.customer = customer
        return external_id


class PreNoticeImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: external_id, sent_on (YYYY-MM-DD), channel (dm, sms or email; optional)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_size(upload, settings.PRENOTICE_MAX_BYTES)
        return upload


class OperatorSkillsForm(forms.Form):
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=500,
        help_text=_("Comma-separated tags, e.g. veteran, collections"),
    )

    def clean_skills(self):
        try:
            return clean_skills(self.cleaned_data["skills"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["skills"]) from None


class CampaignOutcomeForm(forms.Form):
    """Add an outcome to a campaign's set, or move one to another key. The key rules
    (campaigns.services.outcome_sets) are checked by the service."""

    disposition = forms.ModelChoiceField(
        label=_("Outcome"),
        queryset=Disposition.objects.filter(active=True),
        to_field_name="code",
        error_messages={"required": _("Choose an outcome."), "invalid_choice": _("Choose an outcome in use.")},
    )
    key = forms.CharField(
        label=_("Key"),
        max_length=1,
        error_messages={"required": _("Choose the key operators press for it.")},
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["disposition"].label_from_instance = lambda d: d.display_label
        if campaign is not None and not self.is_bound:
            # Offered: what the set does not hold yet.
            self.fields["disposition"].queryset = Disposition.objects.filter(active=True).exclude(
                campaign_outcomes__campaign=campaign
            )
