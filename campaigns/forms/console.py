"""Forms of the operator console: the outcome of a call and agent-state changes. They validate
input only; campaigns.services.outcomes / agent_state apply the rules."""

import datetime as dt
import json

from django import forms
from django.db.models import Case, When
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from callcenter.api_parsers import unstorable

from ..models import AgentStateLog, CallAttempt, Disposition
from ..services import outcome_sets
from ..services.agent_state import BREAK_REASONS


class DispositionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_label


class OutcomeForm(forms.Form):
    """What the operator logs after a call. Timings come from the console's timers (hidden
    fields); the callback time is typed in the customer's local time."""

    disposition = DispositionChoiceField(
        label=_("Outcome"),
        queryset=Disposition.objects.none(),
        to_field_name="code",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose the outcome of the call.")},
    )
    reaction = forms.ChoiceField(label=_("Reaction"), choices=CallAttempt.Reaction.choices, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    callback_personal = forms.BooleanField(label=_("Personal callback (only I call back)"), required=False)
    dnc_request = forms.BooleanField(label=_("The customer asked not to be called again"), required=False)
    started_at = forms.CharField(required=False, widget=forms.HiddenInput)
    answered_at = forms.CharField(required=False, widget=forms.HiddenInput)
    ended_at = forms.CharField(required=False, widget=forms.HiddenInput)
    talk_seconds = forms.IntegerField(required=False, min_value=0, max_value=86400, widget=forms.HiddenInput)
    hold_seconds = forms.IntegerField(required=False, min_value=0, max_value=86400, widget=forms.HiddenInput)
    acw_seconds = forms.IntegerField(required=False, min_value=0, max_value=86400, widget=forms.HiddenInput)
    client_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # Filled by the scripts walk-through panel (inputs with form="outcome-form").
    script_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    answers = forms.CharField(required=False, widget=forms.HiddenInput)
    # Shown when the campaign's policy requires the disclosure and no script step asks for it.
    disclosure_confirmed = forms.BooleanField(
        label=_(
            "I have stated the business name, my name, the product and that this is a sales call "
            "(特定商取引法 Art. 16)."
        ),
        required=False,
    )
    # A promise to pay (支払約束): shown with a promise-to-pay outcome.
    promised_on = forms.DateField(
        label=_("Promised payment date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    promised_amount = forms.DecimalField(
        label=_("Promised amount (yen)"), required=False, min_value=1, max_digits=14, decimal_places=0
    )

    def __init__(self, *args, customer_zone=None, campaign=None, **kwargs):
        """`campaign`: offer its own outcome set, on its keys. Without it (a post for a call the
        operator no longer holds) any outcome in use parses, and the service decides."""
        super().__init__(*args, **kwargs)
        self.customer_zone = customer_zone
        self.outcome_set = []
        if campaign is None:
            self.fields["disposition"].queryset = Disposition.objects.filter(active=True)
            return
        self.outcome_set = outcome_sets.campaign_outcomes(campaign, active_only=True)
        in_key_order = [row.disposition_id for row in self.outcome_set]
        self.fields["disposition"].queryset = Disposition.objects.filter(pk__in=in_key_order).order_by(
            Case(*[When(pk=pk, then=rank) for rank, pk in enumerate(in_key_order)], default=len(in_key_order))
        )

    @property
    def grid(self):
        """(campaign outcome, radio) pairs in key order, for the console's outcome grid."""
        return list(zip(self.outcome_set, self["disposition"], strict=False))

    def _moment(self, name):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        value = parse_datetime(raw)
        if value is None or value.tzinfo is None:
            raise forms.ValidationError({name: _("Not a valid time.")})
        return value

    def clean_callback_at(self):
        value = self.cleaned_data.get("callback_at")
        if value is not None and self.customer_zone is not None:
            # Typed as the customer's wall-clock time (shown next to the field).
            value = value.replace(tzinfo=None).replace(tzinfo=self.customer_zone)
            value = value.astimezone(dt.UTC).astimezone(self.customer_zone)
        return value

    def clean_answers(self):
        raw = (self.cleaned_data.get("answers") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("The script answers could not be read.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The script answers could not be read."))
        problem = unstorable(value)  # a NUL or 1e400: the database would refuse the attempt (a 500)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean(self):
        cleaned = super().clean()
        for name in ("started_at", "answered_at", "ended_at"):
            try:
                cleaned[name] = self._moment(name)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def outcome_kwargs(self) -> dict:
        """Keyword arguments for campaigns.services.outcomes.record_outcome."""
        data = self.cleaned_data
        return {
            "disposition": data["disposition"],
            "reaction": data.get("reaction") or "",
            "notes": data.get("notes") or "",
            "callback_at": data.get("callback_at"),
            "callback_personal": bool(data.get("callback_personal")),
            "dnc_request": bool(data.get("dnc_request")),
            "started_at": data.get("started_at"),
            "answered_at": data.get("answered_at"),
            "ended_at": data.get("ended_at"),
            "talk_seconds": data.get("talk_seconds") or 0,
            "hold_seconds": data.get("hold_seconds") or 0,
            "acw_seconds": data.get("acw_seconds") or 0,
            "client_token": data.get("client_token") or None,
            "script_version": data.get("script_version"),
            "answers": data.get("answers") or {},
            "disclosure_confirmed": bool(data.get("disclosure_confirmed")),
            "promised_on": data.get("promised_on"),
            "promised_amount": data.get("promised_amount"),
        }


class AgentStateForm(forms.Form):
    state = forms.ChoiceField(choices=AgentStateLog.State.choices)
    reason = forms.ChoiceField(choices=[("", "—"), *BREAK_REASONS], required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == AgentStateLog.State.BREAK and not cleaned.get("reason"):
            self.add_error("reason", _("Choose a reason for the break."))
        return cleaned
