"""scripts routes under /api/v1/."""
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
    path("script-versions/<int:pk>/check-answers/", api.VersionCheckAnswers.as_view(), name="api_script_check_answers"),
]
