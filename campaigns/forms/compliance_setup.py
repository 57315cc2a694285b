"""Forms of a campaign's collections and disclosure pages. They validate; the services act."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from callcenter.uploads import check_size
from campaigns.services.disclosure import ITEMS


class DebtImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: external_id, amount_due (yen), due_on (YYYY-MM-DD), account_reference, promise (paid or "
            "broken to close an open promise); the last three optional."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_size(upload, settings.PRENOTICE_MAX_BYTES)
        return upload


class DisclosureConfirmForm(forms.Form):
    """A supervisor confirms which items the wording of one version's disclosure step covers."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    items = forms.MultipleChoiceField(
        label=_("The wording states"),
        choices=list(ITEMS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
