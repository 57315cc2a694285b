"""Writing scripts: scripts, drafts and their steps. Only a draft changes; every function here
locks the version (or script) it changes first and refuses anything that is not a draft."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from callcenter.uniqueness import save_keeping_unique

from ..locks import lock_script, lock_version
from ..models import Choice, Script, ScriptVersion, Step
from .errors import Gone, ScriptServiceError, VersionNotEditable

KEY_PREFIX = {Step.Kind.SAY: "say", Step.Kind.QUESTION: "q", Step.Kind.BRANCH: "branch", Step.Kind.END: "end"}
STEP_FIELDS = (
    "key",
    "kind",
    "title",
    "text",
    "is_disclosure",
    "answer_type",
    "required",
    "next_step",
    "suggested_disposition",
)


def _editable_version(version_id: int) -> ScriptVersion:
    version = lock_version(version_id)
    if not version.is_draft:
        raise VersionNotEditable(
            _("Version %(number)s is published and can no longer change. Edit the script to start a new draft.")
            % {"number": version.number}
        )
    return version


def _current_step(version: ScriptVersion, step_id: int) -> Step:
    """The step as it is now, read under the version's lock: the caller loaded it before, and
    another request may have deleted it meanwhile."""
    step = Step.objects.filter(pk=step_id, version=version).first()
    if step is None:
        raise Gone(_("This step was deleted meanwhile. Nothing was saved."))
    return step


def _touch(version: ScriptVersion) -> None:
    """The script list sorts by last change; a step edit is a change of the script."""
    Script.objects.filter(pk=version.script_id).update(updated_at=timezone.now())


# ---------------------------------------------------------------- scripts


def name_taken(name: str) -> ScriptServiceError:
    return ScriptServiceError(_("A talk script named “%(name)s” already exists.") % {"name": name})


def save_with_unique_name(script: Script, **save) -> None:
    """Save, turning a name another request took meanwhile (after the form checked it, before
    this commits: two supervisors, a double click) into a refusal rather than a server error."""
    taken = name_taken(script.name)
    try:
        save_keeping_unique(script, field="name", message=str(taken), **save)
    except ValidationError:
        raise taken from None


@transaction.atomic
def create_script(*, name: str, description: str = "", by) -> Script:
    """A new script with a first draft that already runs: an opening step leading to an end."""
    script = Script(name=name, description=description, created_by=by)
    save_with_unique_name(script)
    version = ScriptVersion.objects.create(script=script, number=1, created_by=by)
    end = Step.objects.create(version=version, key="end", kind=Step.Kind.END, title=_("Closing"), position=2)
    opening = Step.objects.create(
        version=version, key="opening", kind=Step.Kind.SAY, title=_("Opening"), position=1, next_step=end
    )
    version.start_step = opening
    version.save(update_fields=["start_step"])
    record_event(actor=by, action="script.created", target=script, summary=script.name)
    return script


@transaction.atomic
def update_script(*, script: Script, name: str, description: str, by) -> Script:
    script = lock_script(script.pk)
    script.name = name
    script.description = description
    save_with_unique_name(script, update_fields=["name", "description", "updated_at"])
    record_event(actor=by, action="script.updated", target=script, summary=script.name)
    return script


@transaction.atomic
def delete_script(*, script: Script, by) -> None:
    """Only a script that was never published may go: published versions are the record of what
    operators were told to say."""
    script = lock_script(script.pk)
    if script.versions.exclude(status=ScriptVersion.Status.DRAFT).exists():
        raise ScriptServiceError(_("This script has been published, so it is kept as a record and cannot be deleted."))
    name = script.name
    record_event(actor=by, action="script.deleted", target=script, summary=name)
    try:
        with transaction.atomic():
            script.delete()
    except ProtectedError:  # a campaign's script variant may name a script before it is published
        raise ScriptServiceError(
            _("A campaign uses this script for one of its segments. Remove that script variant first.")
        ) from None


# ---------------------------------------------------------------- versions


@transaction.atomic
def start_draft(*, script: Script, by) -> tuple[ScriptVersion, bool]:
    """The script's draft: the existing one, or a new one copied from the latest version.
    Returns (draft, created). Editing a published script always goes through here."""
    script = lock_script(script.pk)
    draft = script.versions.filter(status=ScriptVersion.Status.DRAFT).first()
    if draft is not None:
        return draft, False
    base = script.latest_published() or script.versions.order_by("-number").first()
    number = (script.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    draft = ScriptVersion.objects.create(script=script, number=number, created_by=by)
    if base is not None:
        copy_steps(source=base, target=draft)
    record_event(
        actor=by,
        action="script.draft_started",
        target=draft,
        summary=f"{script.name} v{number}",
        copied_from=base.number if base else None,
    )
    return draft, True


def copy_steps(*, source: ScriptVersion, target: ScriptVersion) -> None:
    """Copy steps, choices and links of `source` into the empty `target` (same keys)."""
    steps = list(source.steps.prefetch_related("choices").order_by("position", "id"))
    copies = Step.objects.bulk_create(
        Step(
            version=target,
            key=step.key,
            position=step.position,
            kind=step.kind,
            title=step.title,
            text=step.text,
            is_disclosure=step.is_disclosure,
            answer_type=step.answer_type,
            required=step.required,
            branch_rules=step.branch_rules,
            suggested_disposition=step.suggested_disposition,
        )
        for step in steps
    )
    new_by_old = {old.id: new for old, new in zip(steps, copies)}
    linked = []
    for old, new in zip(steps, copies):
        if old.next_step_id in new_by_old:
            new.next_step = new_by_old[old.next_step_id]
            linked.append(new)
    Step.objects.bulk_update(linked, ["next_step"])
    Choice.objects.bulk_create(
        Choice(
            step=new_by_old[old.id],
            position=choice.position,
            value=choice.value,
            label=choice.label,
            next_step=new_by_old.get(choice.next_step_id),
        )
        for old in steps
        for choice in old.choices.all()
    )
    if source.start_step_id in new_by_old:
        target.start_step = new_by_old[source.start_step_id]
        target.save(update_fields=["start_step"])


@transaction.atomic
def discard_draft(*, version: ScriptVersion, by) -> None:
    version = _editable_version(version.pk)
    if not version.script.versions.exclude(pk=version.pk).exists():
        raise ScriptServiceError(_("This is the script's only version. Delete the script instead."))
    record_event(
        actor=by,
        action="script.draft_discarded",
        target=version.script,
        summary=f"{version.script.name} v{version.number}",
    )
    version.start_step = None
    version.save(update_fields=["start_step"])
    Step.objects.filter(version=version).update(next_step=None)
    version.delete()


@transaction.atomic
def set_start_step(*, version: ScriptVersion, step: Step, by) -> ScriptVersion:
    version = _editable_version(version.pk)
    if step.version_id != version.pk:
        raise ScriptServiceError(_("That step belongs to another version."))
    version.start_step = _current_step(version, step.pk)
    version.save(update_fields=["start_step"])
    _touch(version)
    return version


@transaction.atomic
def update_version_notes(*, version: ScriptVersion, notes: str, by) -> ScriptVersion:
    version = _editable_version(version.pk)
    version.notes = notes
    version.save(update_fields=["notes"])
    return version


# ---------------------------------------------------------------- steps


def _free_key(version: ScriptVersion, kind: str) -> str:
    prefix = KEY_PREFIX.get(kind, "step")
    taken = set(version.steps.values_list("key", flat=True))
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def _renumber(version: ScriptVersion, ordered: list[Step]) -> None:
    for position, step in enumerate(ordered, start=1):
        step.position = position
    Step.objects.bulk_update(ordered, ["position"])


@transaction.atomic
def add_step(
    *, version: ScriptVersion, kind: str, title: str = "", key: str = "", after: Step | None = None, by
) -> Step:
    """Add a step after `after` (or at the end). A step added after a "say" or open question is
    linked in between, so writing a linear script is just adding steps one after the other."""
    version = _editable_version(version.pk)
    ordered = list(version.steps.order_by("position", "id"))
    if after is None and ordered:
        after = ordered[-1]
    if after is not None and after.version_id != version.pk:
        raise ScriptServiceError(_("That step belongs to another version."))
    if after is not None:
        after = next((s for s in ordered if s.pk == after.pk), None)
        if after is None:
            raise Gone(_("The step to add after was deleted meanwhile. Nothing was saved."))
    key = key or _free_key(version, kind)
    if any(step.key == key for step in ordered):
        raise ScriptServiceError(_("A step with the key “%(key)s” already exists.") % {"key": key})
    step = Step(version=version, kind=kind, title=title, key=key)
    if kind == Step.Kind.QUESTION:
        step.answer_type = Step.AnswerType.SINGLE
    links_through = after is not None and (
        after.kind == Step.Kind.SAY
        or (after.kind == Step.Kind.QUESTION and after.answer_type != Step.AnswerType.SINGLE)
        or (after.kind == Step.Kind.QUESTION and not after.choices.filter(next_step__isnull=False).exists())
    )
    if links_through and kind != Step.Kind.END:
        step.next_step_id = after.next_step_id
    step.save()
    if links_through:
        after.next_step = step
        after.save(update_fields=["next_step"])
    if after is None:
        ordered.append(step)
    else:
        index = next(i for i, s in enumerate(ordered) if s.pk == after.pk)
        ordered.insert(index + 1, step)
    _renumber(version, ordered)
    _touch(version)
    if version.start_step_id is None:
        version.start_step = step
        version.save(update_fields=["start_step"])
    return step


@transaction.atomic
def update_step(
    *, step: Step, values: dict, choices: list[dict] | None = None, rules: list[dict] | None = None, by
) -> Step:
    """Change a step. `values` holds any of STEP_FIELDS; `choices` ([{value, label, next_step}])
    and `rules` ([{source, op, value, next}]) replace the existing ones when given. Renaming the
    key also renames it in the version's branch rules."""
    version = _editable_version(step.version_id)
    step = _current_step(version, step.pk)
    old_key = step.key
    for name, value in values.items():
        if name not in STEP_FIELDS:
            raise ValueError(f"unknown step field {name}")
        setattr(step, name, value)
    for target in [step.next_step] + [c.get("next_step") for c in choices or []]:
        if target is not None and target.version_id != version.pk:
            raise ScriptServiceError(_("A link points to a step of another version."))
    if step.kind != Step.Kind.QUESTION:
        step.answer_type = ""
        step.required = False
    if step.kind != Step.Kind.BRANCH:
        rules = []
    if step.kind != Step.Kind.END:
        step.suggested_disposition = ""
    if step.kind == Step.Kind.END:
        step.next_step = None
    if rules is not None:
        step.branch_rules = [
            {"source": r["source"], "op": r["op"], "value": r.get("value", ""), "next": r["next"]} for r in rules
        ]
    if step.key != old_key and version.steps.filter(key=step.key).exclude(pk=step.pk).exists():
        raise ScriptServiceError(_("A step with the key “%(key)s” already exists.") % {"key": step.key})
    step.save()
    _touch(version)
    if step.key != old_key:
        _rename_key_in_rules(version, old_key, step.key)
    if choices is not None or step.answer_type not in (Step.AnswerType.SINGLE, Step.AnswerType.MULTIPLE):
        step.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(step=step, position=position, value=c["value"], label=c["label"], next_step=c.get("next_step"))
            for position, c in enumerate(choices or [], start=1)
        )
    return step


def _rename_key_in_rules(version: ScriptVersion, old: str, new: str) -> None:
    changed = []
    for step in version.steps.exclude(branch_rules=[]):
        rules = []
        for rule in step.branch_rules:
            rule = dict(rule)
            if rule.get("next") == old:
                rule["next"] = new
            if rule.get("source") == f"answer:{old}":
                rule["source"] = f"answer:{new}"
            rules.append(rule)
        if rules != step.branch_rules:
            step.branch_rules = rules
            changed.append(step)
    Step.objects.bulk_update(changed, ["branch_rules"])


@transaction.atomic
def delete_step(*, step: Step, by) -> None:
    """Remove a step. Steps that led to it are re-linked to where it led, when it had one way on."""
    version = _editable_version(step.version_id)
    step = _current_step(version, step.pk)
    onward = step.next_step_id if step.kind in (Step.Kind.SAY, Step.Kind.QUESTION) else None
    Step.objects.filter(version=version, next_step=step).update(next_step_id=onward)
    Choice.objects.filter(step__version=version, next_step=step).update(next_step_id=onward)
    if version.start_step_id == step.pk:
        version.start_step_id = onward
        version.save(update_fields=["start_step"])
    record_event(
        actor=by,
        action="script.step_deleted",
        target=version,
        summary=f"{version.script.name} v{version.number}: {step.key}",
    )
    step.delete()
    _renumber(version, list(version.steps.order_by("position", "id")))
    _touch(version)


@transaction.atomic
def move_step(*, step: Step, direction: str, by) -> None:
    """Move a step one place up or down in the editor (the flow follows links, not order)."""
    version = _editable_version(step.version_id)
    _current_step(version, step.pk)
    ordered = list(version.steps.order_by("position", "id"))
    index = next(i for i, s in enumerate(ordered) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        _renumber(version, ordered)


@transaction.atomic
def add_step_for_choice(*, version: ScriptVersion, choice_id: int, kind: str, by) -> Step:
    """Create the step a choice leads to, placed right after its question, and route the choice to
    it: one change, so the editor never shows a new step that nothing leads to. A new "say" step
    goes on to where the question went on before, so the rest of the call is unchanged."""
    version = _editable_version(version.pk)
    # Saving a question replaces its choices, so the choice the editor showed may be gone.
    choice = Choice.objects.select_related("step").filter(pk=choice_id, step__version=version).first()
    if choice is None:
        raise Gone(_("This choice was changed meanwhile. Nothing was saved; please check and try again."))
    question = choice.step
    if question.kind != Step.Kind.QUESTION or question.answer_type != Step.AnswerType.SINGLE:
        raise ScriptServiceError(_("Only the choices of a single choice question lead to a step of their own."))
    step = Step(version=version, kind=kind, key=_free_key(version, kind), title=choice.label[:200])
    if kind == Step.Kind.QUESTION:
        step.answer_type = Step.AnswerType.SINGLE
    if kind == Step.Kind.SAY:
        step.next_step_id = question.next_step_id
    step.save()
    choice.next_step = step
    choice.save(update_fields=["next_step"])
    ordered = [s for s in version.steps.order_by("position", "id") if s.pk != step.pk]
    index = next(i for i, s in enumerate(ordered) if s.pk == question.pk)
    ordered.insert(index + 1, step)
    _renumber(version, ordered)
    _touch(version)
    record_event(
        actor=by,
        action="script.choice_step_added",
        target=version,
        summary=f"{version.script.name} v{version.number}: {question.key} → {step.key}",
        choice=choice.value,
        step=step.key,
    )
    return step
