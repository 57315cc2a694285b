"""Row locks of the scripts app, in one place. Authoring services lock the version (or the script)
first, so edits, publishes and new drafts of the same script run one after the other.

A page loads its objects before the service locks them; when another request removed the row
meanwhile (a double click on "delete", a stale page), the lock raises services.Gone, a refusal
the views show, instead of DoesNotExist."""

from django.utils.translation import gettext as _

from .models import Script, ScriptVersion


def lock_script(script_id: int) -> Script:
    try:
        return Script.objects.select_for_update(of=("self",)).get(pk=script_id)
    except Script.DoesNotExist:
        from .services.errors import Gone

        raise Gone(_("This script was deleted meanwhile. Nothing was saved.")) from None


def lock_version(version_id: int) -> ScriptVersion:
    try:
        return ScriptVersion.objects.select_for_update(of=("self",)).select_related("script").get(pk=version_id)
    except ScriptVersion.DoesNotExist:
        from .services.errors import Gone

        raise Gone(_("This draft was discarded meanwhile. Nothing was saved.")) from None
