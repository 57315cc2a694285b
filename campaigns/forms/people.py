"""Forms of the users page: an account, and the CSV of many accounts."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from callcenter import people, roles
from campaigns.models import Campaign

ROLE_LABELS = {
    roles.OPERATOR: _("Operator"),
    roles.SUPERVISOR: _("Supervisor"),
    roles.MANAGER: _("Manager"),
    roles.CLIENT_VIEWER: _("Client viewer"),
    roles.SALES: _("Sales"),
    roles.ADMIN: _("Administrator"),
}
IMPORT_MAX_BYTES = 2 * 1024 * 1024
OPEN_STATUSES = [status for status in Campaign.Status.values if status != Campaign.Status.FINISHED]


class AccountForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, help_text=_("What the user signs in with."))
    name = forms.CharField(
        label=_("Name"), max_length=301, required=False, help_text=_("Family name first, e.g. 鈴木 一郎.")
    )
    role = forms.ChoiceField(label=_("Role"))
    campaigns = forms.ModelMultipleChoiceField(
        label=_("Campaigns"),
        queryset=Campaign.objects.filter(status__in=OPEN_STATUSES).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("An operator works these campaigns; a client viewer sees their figures."),
    )
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=500,
        help_text=_("Operators only. Comma-separated tags, e.g. veteran, collections"),
    )
    password = forms.CharField(
        label=_("First password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to have a temporary password made. The user chooses their own at the first sign-in."),
    )

    def __init__(self, *args, actor, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (role, ROLE_LABELS[role]) for role in people.ASSIGNABLE_ROLES if people.may_grant(actor, role)
        ]
        if account is not None:
            del self.fields["password"]
            current = people.role_of(account)
            if current and current not in dict(self.fields["role"].choices):
                self.fields["role"].choices.append((current, ROLE_LABELS[current]))
            # A finished campaign the account still has stays ticked (unticking it would drop it).
            assigned = account.client_campaigns if current == roles.CLIENT_VIEWER else account.operator_campaigns
            open_or_assigned = Q(status__in=OPEN_STATUSES) | Q(pk__in=assigned.values("pk"))
            self.fields["campaigns"].queryset = Campaign.objects.filter(open_or_assigned).order_by("name")


class AccountImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: username, name, and optionally role, campaigns (names separated by ;), skills, password. "
            "UTF-8 or Shift_JIS."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 2 MB)."))
        return upload
