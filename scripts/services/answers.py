"""Checking the answers an operator captured during a call, before the attempt is stored."""

import datetime
import math

from django.utils.translation import gettext as _

from ..flow import Flow, customer_facts, is_empty
from ..models import ScriptVersion, Step

MAX_TEXT_ANSWER = 2000

# Contact outcomes where the conversation was cut short, so the script could not be finished: the
# flags cover refusals, DNC requests and callbacks; these two default codes have no flag of their own.
CUT_SHORT_CODES = {"wrong_person", "hung_up"}


def needs_complete_script(disposition) -> bool:
    """Whether an outcome claims a full conversation, so the disclosure must have been confirmed
    and the required questions on the way answered. No-contact outcomes never need answers."""
    if disposition is None or not disposition.is_contact:
        return False
    if disposition.is_refusal or disposition.adds_dnc or disposition.is_callback:
        return False
    return disposition.code not in CUT_SHORT_CODES


def disclosure_confirmed_in(*, version, answers) -> bool:
    """Whether the answers captured with `version` confirm its mandatory disclosure step."""
    if version is None or not isinstance(answers, dict):
        return False
    keys = version.steps.filter(is_disclosure=True).values_list("key", flat=True)
    return any(answers.get(key) is True for key in keys)


def validate_answers(*, version, answers, disposition, customer=None) -> list[str]:
    """Error messages for answers captured with `version` before logging the outcome `disposition`
    (campaigns owns outcomes and passes it; None for an unknown code); empty when they may be
    stored. Checks every answer's type, and for an outcome that claims a full conversation (see
    needs_complete_script) the confirmed disclosure and the required questions on the path the
    answers take. Give `customer` so branches on customer fields can be
    followed; without it the path stops at such a branch."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        return [_("Script answers must be an object of step key to answer.")]
    if version is None:
        return [_("Script answers were given without a script version.")] if answers else []
    if version.status == ScriptVersion.Status.DRAFT:
        return [
            _("Script version %(number)s is a draft; calls use published versions only.") % {"number": version.number}
        ]

    flow = Flow(version)
    errors = []
    for key, value in answers.items():
        step = flow.by_key.get(key)
        if step is None:
            errors.append(_("“%(key)s” is not a step of this script.") % {"key": key})
            continue
        message = _type_error(step, value)
        if message:
            errors.append(message)
    if errors:
        return errors

    if not needs_complete_script(disposition):
        return []
    facts = customer_facts(customer) if customer is not None else None
    for step in flow.path(answers, facts):
        if step.is_disclosure and answers.get(step.key) is not True:
            errors.append(
                _("The mandatory disclosure (%(title)s) was not confirmed.") % {"title": step.title or step.key}
            )
        elif step.kind == Step.Kind.QUESTION and step.required and is_empty(answers.get(step.key)):
            errors.append(_("Required question not answered: %(title)s") % {"title": step.title or step.key})
    return errors


def _type_error(step: Step, value) -> str | None:
    label = step.title or step.key
    if step.is_disclosure:
        return (
            None
            if value in (True, False, None)
            else _("“%(step)s”: the disclosure is confirmed with true.") % {"step": label}
        )
    if step.kind != Step.Kind.QUESTION:
        return _("“%(step)s” is not a question.") % {"step": label}
    if value is None or value == "" or value == []:
        return None  # not answered
    values = {choice.value for choice in step.choices.all()}
    kind = step.answer_type
    if kind == Step.AnswerType.SINGLE:
        if not isinstance(value, str) or value not in values:
            return _("“%(step)s”: choose one of the offered answers.") % {"step": label}
    elif kind == Step.AnswerType.MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(item, str) and item in values for item in value):
            return _("“%(step)s”: choose from the offered answers.") % {"step": label}
        if len(set(value)) != len(value):
            return _("“%(step)s”: an answer is repeated.") % {"step": label}
    elif kind == Step.AnswerType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return _("“%(step)s”: enter a number.") % {"step": label}
    elif kind == Step.AnswerType.DATE:
        try:
            datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return _("“%(step)s”: enter a date as YYYY-MM-DD.") % {"step": label}
    elif kind == Step.AnswerType.TEXT:
        if not isinstance(value, str):
            return _("“%(step)s”: enter text.") % {"step": label}
        if len(value) > MAX_TEXT_ANSWER:
            return _("“%(step)s”: the answer is longer than %(max)s characters.") % {
                "step": label,
                "max": MAX_TEXT_ANSWER,
            }
    return None
