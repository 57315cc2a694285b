"""Forms of the import pages: the upload, and the column mapping step."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from callcenter.uploads import check_size

from .imports import fields
from .imports.reading import ENCODINGS, ImportFileError, file_format
from .models import DoNotCall, ImportJob

ATTRIBUTE_CHOICE = "__attribute__"


def encoding_choices():
    return [("", _("Detect automatically")), *ENCODINGS.items()]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or Shift_JIS) or Excel .xlsx, with the column names in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=ImportJob.Kind.choices, initial=ImportJob.Kind.CUSTOMERS
    )
    encoding = forms.ChoiceField(label=_("Encoding"), choices=encoding_choices, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_size(upload, settings.IMPORT_MAX_BYTES)
        try:
            file_format(upload.name)
        except ImportFileError as error:
            raise forms.ValidationError(error.message) from None
        return upload


class MappingForm(forms.Form):
    """One choice per column of the file ("do not import", a field, or a custom attribute),
    plus the encoding and, for do-not-call files, the reason, scope and note of the entries."""

    encoding = forms.ChoiceField(label=_("Encoding"), choices=encoding_choices, required=False)

    def __init__(self, *args, headers: list[str], kind: str, initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.kind = kind
        choices = [("", _("— do not import —"))]
        choices += [(target.key, target.label) for target in fields.TARGETS[kind]]
        if kind == ImportJob.Kind.CUSTOMERS:
            choices.append((ATTRIBUTE_CHOICE, _("Custom attribute (keeps the column name)")))
        self.column_fields = []
        for index, header in enumerate(headers):
            target = initial_mapping.get(header, "")
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=ATTRIBUTE_CHOICE if fields.is_attribute(target) else target,
            )
            self.column_fields.append((index, header, name))
        if kind == ImportJob.Kind.DNC:
            campaign_model = DoNotCall._meta.get_field("campaign").related_model
            self.fields["reason"] = forms.ChoiceField(
                label=_("Reason"),
                choices=DoNotCall.Reason.choices,
                initial=DoNotCall.Reason.CUSTOMER_REQUEST,
                help_text=_("Used for rows without a reason column."),
            )
            self.fields["campaign"] = forms.ModelChoiceField(
                label=_("Scope"),
                queryset=campaign_model.objects.order_by("name"),
                required=False,
                empty_label=_("All campaigns (global)"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields["note"] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def bound_columns(self):
        return [(index, header, self[name]) for index, header, name in self.column_fields]

    def clean(self):
        cleaned = super().clean()
        mapping = {}
        for _index, header, name in self.column_fields:
            choice = cleaned.get(name, "")
            mapping[header] = fields.attribute_target(header) if choice == ATTRIBUTE_CHOICE else choice
        for message in fields.validate_mapping(mapping, headers=self.headers, kind=self.kind):
            self.add_error(None, message)
        cleaned["mapping"] = mapping
        return cleaned
