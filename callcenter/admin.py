from django.contrib import admin

from .models import AuditEvent

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
