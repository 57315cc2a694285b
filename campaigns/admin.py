from django.contrib import admin

from .models import (
    AgentStateLog,
    CallAttempt,
    CallingPolicy,
    CallList,
    CallListEntry,
    Campaign,
    CampaignScriptVariant,
    Disposition,
    OperatorProfile,
    PreNotice,
)


@admin.register(CallingPolicy)
class CallingPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "call_window_start",
        "call_window_end",
        "weekdays",
        "max_attempts",
        "min_gap_minutes",
        "cap_attempts",
        "cap_days",
        "cooloff_days_after_contact",
    )
    search_fields = ("name",)


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "label",
        "label_ja",
        "is_contact",
        "is_success",
        "is_final",
        "is_refusal",
        "adds_dnc",
        "retry_delay_minutes",
        "active",
    )
    list_filter = ("is_contact", "is_success", "is_final", "active")
    list_editable = ("active",)
    search_fields = ("code", "label", "label_ja")


class VariantInline(admin.TabularInline):
    model = CampaignScriptVariant
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "purpose", "status", "policy", "script", "starts_on", "ends_on")
    list_filter = ("status", "purpose")
    search_fields = ("name",)
    filter_horizontal = ("operators", "client_viewers")
    inlines = [VariantInline]


@admin.register(CallList)
class CallListAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "status", "priority", "order_by", "required_skill", "built_at")
    list_filter = ("status", "campaign")
    search_fields = ("name", "campaign__name")
    filter_horizontal = ("operators",)


@admin.register(CallListEntry)
class CallListEntryAdmin(admin.ModelAdmin):
    list_display = (
        "call_list",
        "rank",
        "customer",
        "phone",
        "status",
        "attempts",
        "next_attempt_at",
        "held_by",
        "held_until",
    )
    list_filter = ("status", "campaign")
    search_fields = ("phone", "customer__name", "customer__external_id")
    raw_id_fields = ("customer", "call_list", "campaign")
    show_full_result_count = False

    # Read-only: setting attempts back to 0 or a status by hand would get round the calling rules
    # (max attempts per entry) without a trace. Entries change through dispatch, outcomes, the
    # list pages and their services, which audit who did what.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallAttempt)
class CallAttemptAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "campaign",
        "operator",
        "customer",
        "phone",
        "disposition",
        "talk_seconds",
        "reaction",
    )
    list_filter = ("disposition", "campaign", "reaction")
    search_fields = ("phone", "customer__name", "customer__external_id", "notes")
    raw_id_fields = ("entry", "customer", "call_list", "campaign", "script_version")
    date_hierarchy = "started_at"
    show_full_result_count = False

    # Attempts are append-only evidence, written by the outcome service only (a call history
    # typed in here would count towards the rules as if the calls had been made).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgentStateLog)
class AgentStateLogAdmin(admin.ModelAdmin):
    list_display = ("operator", "state", "reason", "started_at", "ended_at")
    list_filter = ("state", "operator")
    date_hierarchy = "started_at"


@admin.register(OperatorProfile)
class OperatorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "skills")
    search_fields = ("user__username",)


@admin.register(PreNotice)
class PreNoticeAdmin(admin.ModelAdmin):
    list_display = ("customer", "campaign", "channel", "sent_on")
    list_filter = ("channel", "campaign")
    raw_id_fields = ("customer",)
