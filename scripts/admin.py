from django.contrib import admin

from .models import Choice, Rebuttal, Script, ScriptVersion, Step


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


class StepInline(admin.StackedInline):
    model = Step
    extra = 0
    fk_name = "version"


@admin.register(ScriptVersion)
class ScriptVersionAdmin(admin.ModelAdmin):
    list_display = ("script", "number", "status", "published_at", "published_by")
    list_filter = ("status", "script")
    inlines = [StepInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    fk_name = "step"
    extra = 0


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ("version", "key", "position", "kind", "title", "required")
    list_filter = ("kind", "version__script")
    search_fields = ("key", "title", "text")
    inlines = [ChoiceInline]


@admin.register(Rebuttal)
class RebuttalAdmin(admin.ModelAdmin):
    list_display = ("script", "objection", "tags")
    search_fields = ("objection", "answer", "tags")
    list_filter = ("script",)
