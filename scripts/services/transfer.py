"""Scripts as JSON files: export a version, import one as a new draft (never published directly:
an imported script passes the same checks as one written here)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..locks import lock_script
from ..models import Choice, Rebuttal, Script, ScriptVersion, Step
from ..placeholders import unknown_placeholders
from .authoring import save_with_unique_name
from .errors import ImportRefused, ScriptServiceError

FORMAT = "callcenter-script"
FORMAT_VERSION = 1
MAX_STEPS = 500
MAX_REBUTTALS = 500


def export_version(version: ScriptVersion) -> dict:
    """The version, with its script's rebuttals, as a JSON-ready dict (links by step key)."""
    steps = list(version.steps.prefetch_related("choices").order_by("position", "id"))
    key_of = {step.id: step.key for step in steps}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "script": {"name": version.script.name, "description": version.script.description},
        "version": {
            "number": version.number,
            "status": version.status,
            "notes": version.notes,
            "start": key_of.get(version.start_step_id),
        },
        "steps": [
            {
                "key": step.key,
                "kind": step.kind,
                "title": step.title,
                "text": step.text,
                "is_disclosure": step.is_disclosure,
                "answer_type": step.answer_type,
                "required": step.required,
                "next": key_of.get(step.next_step_id),
                "branch_rules": step.branch_rules,
                "suggested_disposition": step.suggested_disposition,
                "choices": [
                    {"value": c.value, "label": c.label, "next": key_of.get(c.next_step_id)} for c in step.choices.all()
                ],
            }
            for step in steps
        ],
        "rebuttals": [
            {"objection": r.objection, "answer": r.answer, "tags": r.tags} for r in version.script.rebuttals.all()
        ],
    }


def _text(data, name, limit, problems, where, required=False):
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(_("%(where)s: “%(field)s” must be text.") % {"where": where, "field": name})
        return ""
    if required and not value.strip():
        problems.append(_("%(where)s: “%(field)s” is missing.") % {"where": where, "field": name})
    if limit and len(value) > limit:
        problems.append(
            _("%(where)s: “%(field)s” is longer than %(limit)s characters.")
            % {"where": where, "field": name, "limit": limit}
        )
    return value


def parse_export(data) -> dict:
    """Check an exported script's structure; returns it cleaned, or raises ImportRefused with
    every problem found (so one upload shows them all)."""
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRefused(_("This file is not a script exported by Callcenter."))
    if data.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(_("This script file has an unsupported format version."))
    script = data.get("script") if isinstance(data.get("script"), dict) else {}
    version = data.get("version") if isinstance(data.get("version"), dict) else {}
    raw_steps = data.get("steps")
    raw_rebuttals = data.get("rebuttals", [])
    if not isinstance(raw_steps, list) or not isinstance(raw_rebuttals, list):
        raise ImportRefused(_("This file is not a script exported by Callcenter."))
    if len(raw_steps) > MAX_STEPS or len(raw_rebuttals) > MAX_REBUTTALS:
        raise ImportRefused(_("This script is too large to import."))

    cleaned = {
        "name": _text(script, "name", 200, problems, _("Script"), required=True),
        "description": _text(script, "description", 5000, problems, _("Script")),
        "notes": _text(version, "notes", 5000, problems, _("Version")),
        "start": version.get("start") or "",
        "steps": [],
        "rebuttals": [],
    }
    kinds, answer_types = set(Step.Kind.values), set(Step.AnswerType.values)
    keys = set()
    for index, raw in enumerate(raw_steps, start=1):
        where = _("Step %(number)s") % {"number": index}
        if not isinstance(raw, dict):
            problems.append(_("%(where)s is malformed.") % {"where": where})
            continue
        key = raw.get("key")
        try:
            validate_slug(key)
            if len(key) > 50:
                raise ValidationError("too long")
        except (ValidationError, TypeError):
            problems.append(_("%(where)s: the key must be up to 50 letters, digits, - or _.") % {"where": where})
            continue
        if key in keys:
            problems.append(_("%(where)s: the key “%(key)s” is used twice.") % {"where": where, "key": key})
        keys.add(key)
        kind = raw.get("kind")
        if kind not in kinds:
            problems.append(_("%(where)s: unknown kind “%(kind)s”.") % {"where": where, "kind": kind})
        answer_type = raw.get("answer_type") or ""
        if answer_type and answer_type not in answer_types:
            problems.append(_("%(where)s: unknown answer type “%(type)s”.") % {"where": where, "type": answer_type})
        rules = raw.get("branch_rules") or []
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            problems.append(_("%(where)s: branch rules are malformed.") % {"where": where})
            rules = []
        choices = []
        for choice in raw.get("choices") or []:
            if not isinstance(choice, dict):
                problems.append(_("%(where)s: a choice is malformed.") % {"where": where})
                continue
            choices.append(
                {
                    "value": _text(choice, "value", 100, problems, where, required=True),
                    "label": _text(choice, "label", 200, problems, where, required=True),
                    "next": choice.get("next") or "",
                }
            )
        cleaned["steps"].append(
            {
                "key": key,
                "kind": kind,
                "answer_type": answer_type,
                "title": _text(raw, "title", 200, problems, where),
                "text": _text(raw, "text", 20000, problems, where),
                "is_disclosure": raw.get("is_disclosure") is True,
                "required": raw.get("required") is True,
                "next": raw.get("next") or "",
                "branch_rules": [{k: str(r.get(k, "")) for k in ("source", "op", "value", "next")} for r in rules],
                "suggested_disposition": _text(raw, "suggested_disposition", 32, problems, where),
                "choices": choices,
            }
        )
    for step in cleaned["steps"]:
        for target in [step["next"]] + [c["next"] for c in step["choices"]]:
            if target and target not in keys:
                problems.append(
                    _("Step “%(key)s” links to “%(target)s”, which is not in the file.")
                    % {"key": step["key"], "target": target}
                )
    if cleaned["start"] and cleaned["start"] not in keys:
        problems.append(_("The opening step “%(key)s” is not in the file.") % {"key": cleaned["start"]})
    for index, raw in enumerate(raw_rebuttals, start=1):
        where = _("Rebuttal %(number)s") % {"number": index}
        if not isinstance(raw, dict):
            problems.append(_("%(where)s is malformed.") % {"where": where})
            continue
        answer = _text(raw, "answer", 20000, problems, where, required=True)
        for name in unknown_placeholders(answer):  # the rebuttal form refuses them too
            problems.append(_("%(where)s: unknown placeholder {{ %(name)s }}.") % {"where": where, "name": name})
        cleaned["rebuttals"].append(
            {
                "objection": _text(raw, "objection", 300, problems, where, required=True),
                "answer": answer,
                "tags": _text(raw, "tags", 200, problems, where),
            }
        )
    if problems:
        raise ImportRefused(_("The file could not be imported."), problems)
    return cleaned


@transaction.atomic
def import_script(*, data, by, name: str = "", into: Script | None = None) -> ScriptVersion:
    """Import an exported script as a draft: a new script (named `name` or as in the file), or a
    new draft of `into` (which must not have a draft already). Rebuttals are added to a new script
    only; an existing script keeps its own library."""
    cleaned = parse_export(data)
    if into is None:
        name = name or cleaned["name"]
        if Script.objects.filter(name=name).exists():
            raise ImportRefused(
                _("A script named “%(name)s” already exists. Choose another name, or import into that script.")
                % {"name": name}
            )
        script = Script(name=name, description=cleaned["description"], created_by=by)
        try:
            save_with_unique_name(script)
        except ScriptServiceError as error:  # the same name imported or created meanwhile
            raise ImportRefused(error.message) from None
        Rebuttal.objects.bulk_create(
            Rebuttal(script=script, position=position, **rebuttal)
            for position, rebuttal in enumerate(cleaned["rebuttals"], start=1)
        )
        number = 1
    else:
        script = lock_script(into.pk)
        if script.versions.filter(status=ScriptVersion.Status.DRAFT).exists():
            raise ImportRefused(_("This script already has a draft. Publish or discard it before importing."))
        number = (script.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = ScriptVersion.objects.create(script=script, number=number, notes=cleaned["notes"], created_by=by)
    steps = Step.objects.bulk_create(
        Step(
            version=version,
            key=raw["key"],
            position=position,
            kind=raw["kind"],
            title=raw["title"],
            text=raw["text"],
            is_disclosure=raw["is_disclosure"],
            answer_type=raw["answer_type"],
            required=raw["required"],
            branch_rules=raw["branch_rules"],
            suggested_disposition=raw["suggested_disposition"],
        )
        for position, raw in enumerate(cleaned["steps"], start=1)
    )
    by_key = {step.key: step for step in steps}
    for step, raw in zip(steps, cleaned["steps"]):
        step.next_step = by_key.get(raw["next"])
    Step.objects.bulk_update(steps, ["next_step"])
    Choice.objects.bulk_create(
        Choice(step=step, position=position, value=c["value"], label=c["label"], next_step=by_key.get(c["next"]))
        for step, raw in zip(steps, cleaned["steps"])
        for position, c in enumerate(raw["choices"], start=1)
    )
    version.start_step = by_key.get(cleaned["start"])
    version.save(update_fields=["start_step"])
    record_event(
        actor=by,
        action="script.imported",
        target=version,
        summary=f"{script.name} v{number}",
        steps=len(steps),
    )
    return version
