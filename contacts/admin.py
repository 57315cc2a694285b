from django.contrib import admin

from .models import Customer, DoNotCall, ImportJob, ImportRowError, PhoneNumber, Segment


class PhoneInline(admin.TabularInline):
    model = PhoneNumber
    extra = 0
    fields = ("number", "raw", "kind", "is_primary", "is_valid")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "name",
        "name_kana",
        "prefecture",
        "subscription_status",
        "purchase_count",
        "total_spent",
        "last_purchase_at",
        "last_contact_at",
    )
    list_filter = ("gender", "subscription_status", "prefecture")
    search_fields = ("external_id", "name", "name_kana", "phones__number", "email")
    inlines = [PhoneInline]
    readonly_fields = (
        "last_attempt_at",
        "last_contact_at",
        "last_disposition",
        "last_reaction",
        "consecutive_no_contact",
        "attempt_count",
        "created_at",
        "updated_at",
    )
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is slow


@admin.register(DoNotCall)
class DoNotCallAdmin(admin.ModelAdmin):
    list_display = (
        "phone_number",
        "customer",
        "campaign",
        "reason",
        "source",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("reason", "source", "campaign", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("phone_number", "customer__name", "customer__external_id", "note")
    raw_id_fields = ("customer",)
    readonly_fields = ("created_by", "created_at", "revoked_at", "revoked_by", "revoke_reason")

    # The registry is evidence: register and revoke through the product (contacts.services.dnc,
    # which audits who and when), never here. A change form would let an entry's expiry, number or
    # customer be edited without a trace, silently undoing an opt-out; so the admin only reads.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "updated_at")
    search_fields = ("name", "description")


class ImportRowErrorInline(admin.TabularInline):
    model = ImportRowError
    extra = 0
    readonly_fields = ("line", "column", "value", "message")
    can_delete = False
    max_num = 0


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "kind",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "failed_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("original_name",)
    inlines = [ImportRowErrorInline]
