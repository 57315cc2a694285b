import json

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from contacts.attributes import clean_attribute_key, validate_attribute_key

from .flow import ATTRIBUTE_PREFIX, CUSTOMER_FIELDS, OPS_WITHOUT_VALUE, RULE_OPS
from .models import Rebuttal, Script, Step
from .placeholders import unknown_placeholders
from .selectors import disposition_labels

MAX_IMPORT_BYTES = 1024 * 1024


class ScriptForm(forms.ModelForm):
    class Meta:
        model = Script
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AddStepForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), choices=Step.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    title = forms.CharField(
        label=_("title"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    after = forms.ModelChoiceField(
        label=_("after step"),
        queryset=Step.objects.none(),
        required=False,
        empty_label=_("(at the end)"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["after"].queryset = version.steps.order_by("position", "id")
        self.fields["after"].label_from_instance = lambda s: f"{s.key} · {s.title or s.get_kind_display()}"


def _step_choices(version, exclude=None):
    steps = version.steps.order_by("position", "id")
    if exclude is not None:
        steps = steps.exclude(pk=exclude.pk)
    return steps


class StepForm(forms.ModelForm):
    """The step's own fields. Choices and branch rules are formsets next to it."""

    suggested_disposition = forms.ChoiceField(label=_("suggested outcome"), required=False)

    class Meta:
        model = Step
        fields = [
            "kind",
            "key",
            "title",
            "text",
            "is_disclosure",
            "answer_type",
            "required",
            "next_step",
            "suggested_disposition",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 6, "data-placeholder-target": "1"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.instance.version
        self.fields["next_step"].queryset = _step_choices(version, exclude=self.instance)
        self.fields["next_step"].label_from_instance = lambda s: f"{s.key} · {s.title or s.get_kind_display()}"
        self.fields["answer_type"].required = False
        labels = disposition_labels()
        current = self.instance.suggested_disposition
        choices = [("", "—")] + list(labels.items())
        if current and current not in labels:
            choices.append((current, current))
        self.fields["suggested_disposition"].choices = choices

    def clean_key(self):
        key = self.cleaned_data["key"]
        clash = self.instance.version.steps.filter(key=key).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another step of this version already uses this key."))
        return key

    def clean(self):
        data = super().clean()
        if data.get("kind") == Step.Kind.QUESTION and not data.get("answer_type"):
            self.add_error("answer_type", _("Choose the answer type of this question."))
        return data


TEXT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class ChoiceForm(forms.Form):
    value = forms.SlugField(
        label=_("value"), max_length=100, allow_unicode=True, required=False, widget=forms.TextInput(attrs=TEXT)
    )
    label = forms.CharField(label=_("label"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))
    next_step = forms.ModelChoiceField(
        label=_("next step"), queryset=Step.objects.none(), required=False, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_step"].queryset = _step_choices(version)
        self.fields["next_step"].label_from_instance = lambda s: f"{s.key} · {s.title or s.get_kind_display()}"

    def clean(self):
        data = super().clean()
        if data.get("label") and not data.get("value") and "value" not in self.errors:
            # The value is what answers and exports store; derived from the label when left empty.
            data["value"] = (
                slugify(data["label"], allow_unicode=True)[:100] or f"choice-{self.prefix.rsplit('-', 1)[-1]}"
            )
        if data.get("value") and not data.get("label"):
            self.add_error("label", _("Give each choice the label the operator reads."))
        return data


class BaseChoiceFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        values = [f.cleaned_data["value"] for f in self.forms if self._kept(f)]
        if len(values) != len(set(values)):
            raise forms.ValidationError(_("Two choices have the same value."))

    def _kept(self, form):
        return form.cleaned_data.get("value") and not form.cleaned_data.get("DELETE")

    def choices(self):
        return [
            {
                "value": f.cleaned_data["value"],
                "label": f.cleaned_data["label"],
                "next_step": f.cleaned_data["next_step"],
            }
            for f in self.forms
            if self._kept(f)
        ]


ChoiceFormSet = forms.formset_factory(ChoiceForm, formset=BaseChoiceFormSet, extra=2, can_delete=True, max_num=50)

CUSTOM_ATTRIBUTE = "customer:" + ATTRIBUTE_PREFIX


class RuleForm(forms.Form):
    source = forms.ChoiceField(label=_("condition"), required=False, widget=forms.Select(attrs=SELECT))
    attribute = forms.CharField(
        label=_("attribute key"),
        required=False,
        validators=[validate_attribute_key],
        widget=forms.TextInput(attrs=TEXT),
    )
    op = forms.ChoiceField(
        label=_("comparison"), choices=list(RULE_OPS.items()), required=False, widget=forms.Select(attrs=SELECT)
    )
    value = forms.CharField(label=_("value"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))
    next = forms.ChoiceField(label=_("go to"), required=False, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        steps = list(_step_choices(version))
        questions = [
            (f"answer:{s.key}", _("Answer: %(step)s") % {"step": f"{s.key} · {s.title}"})
            for s in steps
            if s.kind == Step.Kind.QUESTION
        ]
        customer = [
            (f"customer:{name}", _("Customer: %(field)s") % {"field": label}) for name, label in CUSTOMER_FIELDS.items()
        ]
        customer.append((CUSTOM_ATTRIBUTE, _("Customer: attribute (key below)")))
        self.fields["source"].choices = [("", "—")] + questions + customer
        self.fields["next"].choices = [("", "—")] + [
            (s.key, f"{s.key} · {s.title or s.get_kind_display()}") for s in steps
        ]
        source = self.initial.get("source", "")
        if source.startswith(CUSTOM_ATTRIBUTE):
            self.initial["attribute"] = source[len(CUSTOM_ATTRIBUTE) :]
            self.initial["source"] = CUSTOM_ATTRIBUTE

    def clean(self):
        data = super().clean()
        if not data.get("source") or data.get("DELETE"):
            return data
        if data["source"] == CUSTOM_ATTRIBUTE and "attribute" not in self.errors:  # else the key's own error
            if not data.get("attribute"):
                self.add_error("attribute", _("Enter the attribute key."))
            else:
                data["source"] = CUSTOM_ATTRIBUTE + clean_attribute_key(data["attribute"])
        if not data.get("op"):
            self.add_error("op", _("Choose a comparison."))
        elif data["op"] not in OPS_WITHOUT_VALUE and not data.get("value", "").strip():
            self.add_error("value", _("Enter the value to compare with."))
        if not data.get("next"):
            self.add_error("next", _("Choose the step this rule leads to."))
        return data


class BaseRuleFormSet(forms.BaseFormSet):
    def rules(self):
        return [
            {
                "source": f.cleaned_data["source"],
                "op": f.cleaned_data["op"],
                "value": f.cleaned_data.get("value", ""),
                "next": f.cleaned_data["next"],
            }
            for f in self.forms
            if f.cleaned_data.get("source") and not f.cleaned_data.get("DELETE")
        ]


RuleFormSet = forms.formset_factory(RuleForm, formset=BaseRuleFormSet, extra=1, can_delete=True, max_num=30)


class PublishForm(forms.Form):
    notes = forms.CharField(label=_("change notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RebuttalForm(forms.ModelForm):
    class Meta:
        model = Rebuttal
        fields = ["objection", "answer", "tags"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}

    def clean_answer(self):
        answer = self.cleaned_data["answer"]
        unknown = unknown_placeholders(answer)
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholder: %(names)s. Only the listed placeholders can be used.")
                % {"names": ", ".join(f"{{{{ {name} }}}}" for name in unknown)}
            )
        return answer


class ImportForm(forms.Form):
    file = forms.FileField(label=_("JSON file"), required=False)
    text = forms.CharField(label=_("or paste the JSON"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    name = forms.CharField(
        label=_("name of the new script"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the name in the file."),
    )
    into = forms.ModelChoiceField(label=_("or import as a new draft of"), queryset=Script.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), data.get("text", "").strip()
        if upload:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(_("The file is larger than 1 MB."))
            raw = upload.read()
        elif text:
            raw = text.encode()
        else:
            raise forms.ValidationError(_("Choose a JSON file or paste its content."))
        try:
            data["data"] = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise forms.ValidationError(_("This is not valid JSON (UTF-8)."))
        return data
