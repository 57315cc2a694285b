"""The rebuttal library (切り返しトーク) of a script. Rebuttals belong to the script, not to a
version: a better answer to an objection helps every call at once, without a new version."""
from django.db import transaction
from django.db.models import Max

from callcenter.audit import record_event

from ..models import Rebuttal, Script


@transaction.atomic
def save_rebuttal(*, script: Script, objection: str, answer: str, tags: str = "", rebuttal: Rebuttal | None = None, by) -> Rebuttal:
    """Add a rebuttal to the script's library, or change `rebuttal`."""
    if rebuttal is None:
        position = (script.rebuttals.aggregate(top=Max("position"))["top"] or 0) + 1
        rebuttal = Rebuttal(script=script, position=position)
        action = "script.rebuttal_added"
    else:
        action = "script.rebuttal_changed"
    rebuttal.objection = objection
    rebuttal.answer = answer
    rebuttal.tags = tags
    rebuttal.save()
    record_event(actor=by, action=action, target=script, summary=objection[:200])
    return rebuttal


@transaction.atomic
def delete_rebuttal(*, rebuttal: Rebuttal, by) -> None:
    record_event(actor=by, action="script.rebuttal_deleted", target=rebuttal.script, summary=rebuttal.objection[:200])
    rebuttal.delete()
