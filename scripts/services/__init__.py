"""Business actions on talk scripts. Import from here: `from scripts import services`."""

from .answers import disclosure_confirmed_in, needs_complete_script, validate_answers
from .authoring import (
    add_step,
    add_step_for_choice,
    create_script,
    delete_script,
    delete_step,
    discard_draft,
    move_step,
    set_start_step,
    start_draft,
    update_script,
    update_step,
    update_version_notes,
)
from .errors import Gone, ImportRefused, PublishRefused, ScriptServiceError, VersionNotEditable
from .publishing import publish_version
from .readiness import publish_problems
from .rebuttals import delete_rebuttal, save_rebuttal
from .transfer import export_version, import_script, parse_export

__all__ = [
    "Gone",
    "ImportRefused",
    "PublishRefused",
    "ScriptServiceError",
    "VersionNotEditable",
    "add_step",
    "add_step_for_choice",
    "create_script",
    "delete_rebuttal",
    "delete_script",
    "delete_step",
    "discard_draft",
    "disclosure_confirmed_in",
    "export_version",
    "import_script",
    "move_step",
    "needs_complete_script",
    "parse_export",
    "publish_problems",
    "publish_version",
    "save_rebuttal",
    "set_start_step",
    "start_draft",
    "update_script",
    "update_step",
    "update_version_notes",
    "validate_answers",
]
