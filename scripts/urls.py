from django.urls import path

from .views import authoring, rebuttals, transfer, walk

app_name = "scripts"

urlpatterns = [
    path("", authoring.script_list, name="script_list"),
    path("new/", authoring.script_create, name="script_create"),
    path("import/", transfer.script_import, name="script_import"),
    path("<int:pk>/", authoring.script_detail, name="script_detail"),
    path("<int:pk>/edit/", authoring.script_edit, name="script_edit"),
    path("<int:pk>/delete/", authoring.script_delete, name="script_delete"),
    path("<int:pk>/draft/", authoring.draft_start, name="draft_start"),
    path("<int:pk>/rebuttals/", rebuttals.rebuttal_list, name="rebuttal_list"),
    path("rebuttals/<int:pk>/edit/", rebuttals.rebuttal_edit, name="rebuttal_edit"),
    path("rebuttals/<int:pk>/delete/", rebuttals.rebuttal_delete, name="rebuttal_delete"),
    path("versions/<int:pk>/", authoring.version_detail, name="version_detail"),
    path("versions/<int:pk>/publish/", authoring.version_publish, name="version_publish"),
    path("versions/<int:pk>/discard/", authoring.version_discard, name="version_discard"),
    path("versions/<int:pk>/start/", authoring.version_set_start, name="version_set_start"),
    path("versions/<int:pk>/steps/add/", authoring.step_add, name="step_add"),
    path("versions/<int:pk>/export/", transfer.version_export, name="version_export"),
    path("versions/<int:pk>/preview/", walk.version_preview, name="version_preview"),
    path("steps/<int:pk>/edit/", authoring.step_edit, name="step_edit"),
    path("steps/<int:pk>/move/", authoring.step_move, name="step_move"),
    path("choices/<int:pk>/next-step/", authoring.choice_next_step, name="choice_next_step"),
    path("steps/<int:pk>/delete/", authoring.step_delete, name="step_delete"),
]
