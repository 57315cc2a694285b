"""Whether a draft may be published: the one rule the editor's "ready to publish" and the publish
itself both read, so the editor never calls ready what publishing would refuse."""

from django.utils.translation import gettext as _

from ..flow import Flow, Problem
from ..models import ScriptVersion, Step

# Steps whose text the operator reads out; a branch is decided by rules and says nothing.
SPOKEN_KINDS = (Step.Kind.SAY, Step.Kind.QUESTION, Step.Kind.END)
CHOICE_ANSWERS = (Step.AnswerType.SINGLE, Step.AnswerType.MULTIPLE)


class EmptyStep(Problem):
    """A problem that is a step nobody has written yet; publishing names these steps."""


def empty_step_problems(flow: Flow) -> list[Problem]:
    """Steps not written yet: no text to read, or a choice question with no choice to pick."""
    problems = []
    for step in flow.steps:
        if step.kind in SPOKEN_KINDS and not step.text.strip():
            problems.append(EmptyStep(_("This step is empty: write what the operator says."), step.key))
        if step.kind == Step.Kind.QUESTION and step.answer_type in CHOICE_ANSWERS and not step.choices.all():
            problems.append(EmptyStep(_("This question has no choices yet: add the answers to pick from."), step.key))
    return problems


def publish_problems(version: ScriptVersion, flow: Flow | None = None) -> list[Problem]:
    """Everything that keeps `version` from being published; empty when it is ready."""
    flow = flow or Flow(version)
    return empty_step_problems(flow) + flow.problems()
