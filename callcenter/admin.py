from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, AuditEvent, IntegrationAccount
from .signin import tokens, two_factor
from .signin.integrations import create_integration_account

admin.site.site_header = "Callcenter"
admin.site.site_title = "Callcenter"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id", "summary")
    list_filter = ("action", "object_type", "created_at")
    search_fields = ("summary", "object_id", "actor__username", "action")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # The audit trail is evidence: nobody edits or deletes it, not even in the admin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- sign-in


# django-otp's own admin pages show and edit the authenticators' secret keys: a superuser resets
# a user's two-factor sign-in with the audited action below instead.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.action(description=_("Reset two-factor sign-in (they set it up again at their next sign-in)"))
def reset_two_factor(modeladmin, request, queryset):
    if not request.user.is_superuser:
        raise PermissionDenied
    for user in queryset:
        two_factor.reset(user, by=request.user, via="admin")
    modeladmin.message_user(request, _("Two-factor sign-in reset for %(count)d user(s).") % {"count": len(queryset)})


class CallcenterUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, reset_two_factor]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, CallcenterUserAdmin)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every token, for a superuser to see and revoke; secrets are never shown (only stored as
    digests). Integration tokens are issued from the integration accounts."""

    list_display = ("prefix", "user", "kind", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("kind", "revoked_at", "expires_at")
    search_fields = ("user__username", "prefix", "name")
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted (old ones go after a month: callcenter.tasks)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        count = sum(tokens.revoke(token, by=request.user, reason="revoked in the admin") for token in queryset)
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count})


class IntegrationAccountForm(forms.ModelForm):
    """A new integration account is a new user with no password: it signs in only with tokens."""

    username = forms.CharField(label=_("username"), max_length=150)
    groups = forms.ModelMultipleChoiceField(
        label=_("roles"),
        queryset=Group.objects.all(),
        required=False,
        help_text=_("What the integration may do, as for a person (e.g. Supervisor for the do-not-call API)."),
    )

    class Meta:
        model = IntegrationAccount
        fields = ["note"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is taken: an integration account is a user of its own."))
        return username


@admin.register(IntegrationAccount)
class IntegrationAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "note", "created_at")
    search_fields = ("user__username", "note")
    actions = ["issue_token"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = IntegrationAccountForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["username", "groups", "note"] if obj is None else ["note"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        account = create_integration_account(
            form.cleaned_data["username"], groups=form.cleaned_data["groups"], note=obj.note, by=request.user
        )
        obj.user, obj.created_at = account.user, account.created_at  # what the admin's message and log name

    @admin.action(description=_("Issue a long-lived API token (shown once)"))
    def issue_token(self, request, queryset):
        if not request.user.is_superuser:
            raise PermissionDenied
        issued = []
        for account in queryset.select_related("user"):
            token, secret = tokens.issue_integration_token(
                account.user, name=f"admin: {request.user.get_username()}", created_by=request.user
            )
            issued.append((account.user, token, secret))
        context = {**self.admin_site.each_context(request), "issued": issued, "title": _("Integration tokens")}
        return TemplateResponse(request, "admin/callcenter/integration_tokens_issued.html", context)
