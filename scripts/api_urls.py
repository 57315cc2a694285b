"""scripts routes under /api/v1/. (Checking answers for a call, script-versions/<id>/check-answers/,
is operator work: campaigns routes it, since only campaigns knows which customer an operator holds.)"""

from django.urls import path

from . import api

urlpatterns = [
    path("scripts/", api.ScriptList.as_view(), name="api_script_list"),
    path("scripts/import/", api.ScriptImport.as_view(), name="api_script_import"),
    path("scripts/<int:pk>/", api.ScriptDetail.as_view(), name="api_script_detail"),
    path("scripts/<int:pk>/export/", api.ScriptExport.as_view(), name="api_script_export"),
    path("scripts/<int:pk>/draft/", api.ScriptStartDraft.as_view(), name="api_script_draft"),
    path("scripts/<int:pk>/publish/", api.ScriptPublish.as_view(), name="api_script_publish"),
    path("scripts/<int:pk>/rebuttals/", api.ScriptRebuttals.as_view(), name="api_script_rebuttals"),
    path("script-versions/<int:pk>/", api.VersionDetail.as_view(), name="api_script_version"),
]
