"""Form of the campaign page's "talk script variants" card. It validates; the service acts."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.selectors.script_variants import scripts_for_variants
from contacts.models import Segment


class ScriptChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, script):
        if getattr(script, "published_number", None) is None:
            return _("%(name)s (no published version)") % {"name": script.name}
        return f"{script.name} (v{script.published_number})"


class ScriptVariantForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("name"),
        empty_label=_("Choose a segment"),
    )
    script = ScriptChoiceField(
        label=_("Talk script"),
        queryset=scripts_for_variants(),
        empty_label=_("Choose a talk script"),
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaign is not None and not self.is_bound:
            # Segments already mapped are left out of the menu; a stale form that still posts one
            # gets the service's clear message rather than "not a valid choice".
            self.fields["segment"].queryset = Segment.objects.exclude(
                pk__in=campaign.script_variants.values("segment")
            ).order_by("name")
