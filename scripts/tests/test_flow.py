"""Graph validation (what a publish refuses), the outline, and the path a call takes."""

import pytest
from django.utils import translation

from contacts.tests.factories import CustomerFactory
from scripts.flow import Flow, compare, customer_facts, rule_matches
from scripts.models import Choice, Step

from .factories import ScriptVersionFactory, StepFactory, branching_script


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _problems(version):
    return [(p.step_key, p.message) for p in Flow(version).problems()]


def _linear(*kinds):
    version = ScriptVersionFactory()
    steps = [StepFactory(version=version, key=f"s{i}", kind=kind) for i, kind in enumerate(kinds)]
    for step, following in zip(steps, steps[1:]):
        step.next_step = following
        step.save()
    version.start_step = steps[0]
    version.save()
    return version, steps


def test_the_canonical_branching_script_is_valid(db):
    version = branching_script(publish=False)
    assert _problems(version) == []


def test_empty_version_and_missing_start(db):
    version = ScriptVersionFactory()
    assert _problems(version) == [("", "The script has no steps yet.")]
    StepFactory(version=version, kind=Step.Kind.END)
    assert any("opening step" in message for _key, message in _problems(version))


def test_unreachable_step_is_refused(db):
    version, steps = _linear("say", "end")
    StepFactory(version=version, key="orphan", kind=Step.Kind.END)
    assert ("orphan", "No path from the opening step leads to this step.") in _problems(version)


def test_link_into_another_version_is_dangling(db):
    version, steps = _linear("say", "end")
    elsewhere = StepFactory(kind=Step.Kind.END)
    steps[0].next_step = elsewhere
    steps[0].save()
    problems = _problems(version)
    assert ("s0", "A link points to a step that is not in this version.") in problems


def test_choice_and_rule_links_to_missing_steps_are_dangling(db):
    version, (start, end) = _linear("question", "end")
    start.answer_type = Step.AnswerType.SINGLE
    start.next_step = None
    start.save()
    Choice.objects.create(step=start, value="a", label="A", next_step=end)
    Choice.objects.create(step=start, value="b", label="B", next_step=StepFactory(kind=Step.Kind.END))
    branch = StepFactory(
        version=version,
        key="br",
        kind=Step.Kind.BRANCH,
        next_step=end,
        branch_rules=[{"source": "answer:s0", "op": "eq", "value": "a", "next": "ghost"}],
    )
    Choice.objects.filter(value="a").update(next_step=branch)
    problems = _problems(version)
    assert ("s0", "A link points to a step that is not in this version.") in problems
    assert ("br", "A rule leads to “ghost”, which is not a step of this version.") in problems


def test_dead_ends_and_loops_without_an_end(db):
    version, (first, second) = _linear("say", "say")
    problems = _problems(version)
    assert ("s1", "This step leads nowhere: choose the next step or make it an end step.") in problems
    second.next_step = first  # a loop with no way out
    second.save()
    problems = _problems(version)
    assert ("s0", "From this step the call can never reach an end step.") in problems


def test_questions_need_a_type_and_two_distinct_choices(db):
    version, (question, end) = _linear("question", "end")
    assert ("s0", "Choose the answer type of this question.") in _problems(version)
    question.answer_type = Step.AnswerType.MULTIPLE
    question.save()
    Choice.objects.create(step=question, value="a", label="A")
    assert ("s0", "A choice question needs at least two choices.") in _problems(version)
    Choice.objects.create(step=question, value="a", label="A again")
    assert ("s0", "Two choices have the same value.") in _problems(version)


def test_branch_rules_are_checked(db):
    version, (question, branch, end) = _linear("question", "branch", "end")
    question.answer_type = Step.AnswerType.NUMBER
    question.save()
    branch.branch_rules = [
        {"source": "answer:s2", "op": "eq", "value": "1", "next": "s2"},  # not a question
        {"source": "customer:password", "op": "eq", "value": "x", "next": "s2"},  # not whitelisted
        {"source": "answer:s0", "op": "like", "value": "1", "next": "s2"},  # unknown op
        {"source": "answer:s0", "op": "gt", "value": "", "next": "s2"},  # no value
        {"source": "customer:attributes.plan", "op": "empty", "next": "s2"},  # fine
    ]
    branch.save()
    messages = [m for key, m in _problems(version) if key == "s1"]
    assert "A rule tests “s2”, which is not a question of this version." in messages
    assert "A rule tests an unknown customer field “password”." in messages
    assert "A rule has an unknown comparison." in messages
    assert "A rule needs a value to compare with." in messages
    assert len(messages) == 4


def test_branch_on_an_answer_asked_later_is_refused(db):
    version, (branch, question, end) = _linear("branch", "question", "end")
    question.answer_type = Step.AnswerType.TEXT
    question.save()
    branch.branch_rules = [{"source": "answer:s1", "op": "not_empty", "value": "", "next": "s2"}]
    branch.save()
    assert ("s0", "A rule tests the answer to “s1”, which is never asked before this branch.") in _problems(version)


def test_disclosure_must_be_the_opening_say_step(db):
    version, (first, second, end) = _linear("say", "say", "end")
    second.is_disclosure = True
    second.save()
    assert ("s1", "The mandatory disclosure must be the opening step, before any pitch.") in _problems(version)
    first.is_disclosure = True
    first.save()
    assert ("", "Only one step can be the mandatory disclosure.") in _problems(version)


def test_unknown_placeholder_blocks_publishing(db):
    version, (first, end) = _linear("say", "end")
    first.text = "{{ settings.SECRET_KEY }}"
    first.save()
    assert ("s0", "Unknown placeholder {{ settings.SECRET_KEY }}.") in _problems(version)


def test_outline_shows_repeats_as_references(db):
    version = branching_script(publish=False)
    outline = Flow(version).outline()
    assert outline.step.key == "opening"
    keys = []

    def walk(node):
        keys.append((node.step.key, node.repeat))
        for _edge, child in node.edges:
            if child is not None:
                walk(child)

    walk(outline)
    assert ("end_success", False) in keys and ("end_success", True) in keys  # reached twice, expanded once


@pytest.mark.parametrize(
    "op,value,target,expected",
    [
        ("eq", "yes", "yes", True),
        ("eq", 10, "10.0", True),
        ("ne", "", "x", True),
        ("eq", "", "", False),
        ("lt", 5, "10", True),
        ("gte", "2025-03-01", "2025-02-28", True),
        ("gt", "abc", "5", True),
        ("in", "b", "a, b ,c", True),
        ("in", ["x", "c"], "a,c", True),
        ("contains", "とても良い", "良い", True),
        ("contains", ["a", "b"], "b", True),
        ("empty", [], "", True),
        ("not_empty", 0, "", True),
        ("eq", ["a", "b"], "b", True),
        ("lt", ["1"], "5", False),
        ("eq", None, "x", False),
    ],
)
def test_compare(op, value, target, expected):
    assert compare(op, value, target) is expected


def test_path_follows_answers_and_customer(db):
    version = branching_script(publish=False)
    flow = Flow(version)
    rich = customer_facts(CustomerFactory(purchase_count=9))
    new = customer_facts(CustomerFactory(purchase_count=0))
    keys = lambda path: [s.key for s in path]  # noqa: E731
    assert keys(flow.path({"interest": "no"}, new)) == ["opening", "interest", "end_refused"]
    assert keys(flow.path({"interest": "yes", "budget": 20000}, new))[-2:] == ["premium", "end_success"]
    assert keys(flow.path({"interest": "yes", "budget": 100}, new))[-3:] == ["basic", "visit", "end_success"]
    assert keys(flow.path({"interest": "yes", "budget": 100}, rich))[-2:] == ["premium", "end_success"]
    # Without the customer the branch on purchase_count cannot be decided: the path stops there.
    assert keys(flow.path({"interest": "yes", "budget": 100}, None))[-1] == "split"


def test_walk_config_decides_customer_rules_on_the_server(db):
    version = branching_script(publish=False)
    config = Flow(version).walk_config(customer_facts(CustomerFactory(purchase_count=9, name="秘密の名前")))
    rules = config["steps"]["split"]["rules"]
    assert rules[0] == {"source": "answer:budget", "op": "gte", "value": "10000", "next": "premium"}
    assert rules[1] == {"fixed": True, "next": "premium"}
    assert "秘密の名前" not in str(config)
    assert rule_matches({"source": "customer:purchase_count", "op": "gt", "value": "1"}, {}, None) is not True


def test_an_end_step_suggesting_an_outcome_not_in_use_is_refused(reference_data):
    """The editor only offers active outcomes, but an imported file can name any code: the console
    would show an empty suggestion whose button selects nothing."""
    from campaigns.models import Disposition

    version = branching_script(publish=False)
    Step.objects.filter(version=version, key="end_success").update(suggested_disposition="sucess")
    assert ("end_success", "The suggested outcome “sucess” is not an outcome in use.") in _problems(version)
    Step.objects.filter(version=version, key="end_success").update(suggested_disposition="success")
    Disposition.objects.filter(code="refused").update(active=False)
    assert _problems(version) == [("end_refused", "The suggested outcome “refused” is not an outcome in use.")]


def test_links_on_multiple_choice_answers_are_refused(db):
    """Only a single-choice answer picks the next step; a link on a multiple-choice answer would
    be ignored during the call without a word."""
    version = branching_script(publish=False)
    interest = version.steps.get(key="interest")
    interest.answer_type = Step.AnswerType.MULTIPLE
    interest.next_step = version.steps.get(key="budget")
    interest.save()
    Choice.objects.filter(step=interest, value="no").update(next_step=version.steps.get(key="premium"))
    Choice.objects.filter(step=interest, value="yes").update(next_step=None)
    assert _problems(version) == [
        (
            "interest",
            "Only single choice answers lead to a step of their own: remove the link from “いいえ”, "
            "or add a branch step after this question.",
        ),
        ("end_refused", "No path from the opening step leads to this step."),
    ]
