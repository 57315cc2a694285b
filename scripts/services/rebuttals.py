"""The rebuttal library (切り返しトーク) of a script. Rebuttals belong to the script, not to a
version: a better answer to an objection helps every call at once, without a new version."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..locks import lock_script
from ..models import Rebuttal, Script
from .errors import Gone


@transaction.atomic
def save_rebuttal(
    *, script: Script, objection: str, answer: str, tags: str = "", rebuttal: Rebuttal | None = None, by
) -> Rebuttal:
    """Add a rebuttal to the script's library, or change `rebuttal`. The script's lock puts two
    additions at once one after the other (each its own position); a rebuttal deleted meanwhile
    is not written back (Gone)."""
    lock_script(script.pk)
    if rebuttal is None:
        position = (script.rebuttals.aggregate(top=Max("position"))["top"] or 0) + 1
        rebuttal = Rebuttal(script=script, position=position)
        action = "script.rebuttal_added"
    else:
        if not Rebuttal.objects.filter(pk=rebuttal.pk).exists():
            raise Gone(_("This rebuttal was deleted meanwhile. Nothing was saved."))
        action = "script.rebuttal_changed"
    rebuttal.objection = objection
    rebuttal.answer = answer
    rebuttal.tags = tags
    rebuttal.save()
    record_event(actor=by, action=action, target=script, summary=objection[:200])
    return rebuttal


@transaction.atomic
def delete_rebuttal(*, rebuttal: Rebuttal, by) -> None:
    """Delete a rebuttal; a second click (it is gone already) changes nothing."""
    lock_script(rebuttal.script_id)
    if not Rebuttal.objects.filter(pk=rebuttal.pk).delete()[0]:
        return
    record_event(actor=by, action="script.rebuttal_deleted", target=rebuttal.script, summary=rebuttal.objection[:200])
