"""Row locks of the scripts app, in one place. Authoring services lock the version (or the script)
first, so edits, publishes and new drafts of the same script run one after the other."""
from .models import Script, ScriptVersion


def lock_script(script_id: int) -> Script:
    return Script.objects.select_for_update(of=("self",)).get(pk=script_id)


def lock_version(version_id: int) -> ScriptVersion:
    return ScriptVersion.objects.select_for_update(of=("self",)).select_related("script").get(pk=version_id)
