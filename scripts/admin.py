from django.contrib import admin

from .models import Choice, Rebuttal, Script, ScriptVersion, Step


class FrozenWhenPublished:
    """Published versions never change (the database refuses it too): the admin shows them
    read-only instead of failing on save."""

    def _version_of(self, obj):
        if obj is None:
            return None
        return obj if isinstance(obj, ScriptVersion) else getattr(obj, "version", None) or obj.step.version

    def has_change_permission(self, request, obj=None):
        version = self._version_of(obj)
        return super().has_change_permission(request, obj) and (version is None or version.is_draft)

    def has_delete_permission(self, request, obj=None):
        version = self._version_of(obj)
        return super().has_delete_permission(request, obj) and (version is None or version.is_draft)

    def has_add_permission(self, request, obj=None):
        version = self._version_of(obj)
        allowed = super().has_add_permission(request, obj) if obj is not None else super().has_add_permission(request)
        return allowed and (version is None or version.is_draft)


class VersionInline(admin.TabularInline):
    model = ScriptVersion
    extra = 0
    fields = ("number", "status", "published_at", "published_by")
    readonly_fields = fields
    show_change_link = True


class RebuttalInline(admin.TabularInline):
    model = Rebuttal
    extra = 0


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "updated_at")
    search_fields = ("name", "description")
    inlines = [VersionInline, RebuttalInline]


class StepInline(FrozenWhenPublished, admin.StackedInline):
    model = Step
    extra = 0
    fk_name = "version"


@admin.register(ScriptVersion)
class ScriptVersionAdmin(FrozenWhenPublished, admin.ModelAdmin):
    list_display = ("script", "number", "status", "published_at", "published_by")
    list_filter = ("status", "script")
    inlines = [StepInline]


class ChoiceInline(FrozenWhenPublished, admin.TabularInline):
    model = Choice
    fk_name = "step"
    extra = 0


@admin.register(Step)
class StepAdmin(FrozenWhenPublished, admin.ModelAdmin):
    list_display = ("version", "key", "position", "kind", "title", "required")
    list_filter = ("kind", "version__script")
    search_fields = ("key", "title", "text")
    inlines = [ChoiceInline]


@admin.register(Rebuttal)
class RebuttalAdmin(admin.ModelAdmin):
    list_display = ("script", "objection", "tags")
    search_fields = ("objection", "answer", "tags")
    list_filter = ("script",)
