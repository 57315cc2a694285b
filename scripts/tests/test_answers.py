"""validate_answers: answer types always; disclosure and required questions for a full conversation."""

import pytest
from django.utils import translation

from campaigns.models import Disposition
from contacts.tests.factories import CustomerFactory
from scripts.services import needs_complete_script, validate_answers

from .factories import branching_script


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def version(reference_data):
    return branching_script()


def outcome(code):
    return Disposition.objects.get(code=code)


FULL = {"opening": True, "interest": "yes", "budget": 20000}


def test_complete_answers_pass(version):
    assert validate_answers(version=version, answers=FULL, disposition=outcome("success")) == []
    assert (
        validate_answers(version=version, answers={"opening": True, "interest": "no"}, disposition=outcome("success"))
        == []
    )


@pytest.mark.parametrize("code", ["no_answer", "busy", "voicemail", "invalid_number"])
def test_no_contact_outcomes_need_no_answers(version, code):
    assert validate_answers(version=version, answers={}, disposition=outcome(code)) == []


@pytest.mark.parametrize("code", ["refused", "dnc_request", "callback", "wrong_person", "hung_up"])
def test_conversations_cut_short_need_no_answers(version, code):
    assert validate_answers(version=version, answers={"opening": True}, disposition=outcome(code)) == []


def test_success_needs_disclosure_and_required_answers_on_the_path(version):
    errors = validate_answers(version=version, answers={"interest": "yes"}, disposition=outcome("success"))
    assert "The mandatory disclosure (開示) was not confirmed." in errors
    assert "Required question not answered: ご予算" in errors
    # "no" leads straight to the end: the budget question is not on that path.
    assert (
        validate_answers(version=version, answers={"opening": True, "interest": "no"}, disposition=outcome("success"))
        == []
    )


def test_custom_contact_outcome_needs_answers(version):
    Disposition.objects.create(code="interested", label="Interested", label_ja="興味あり", is_contact=True)
    assert validate_answers(version=version, answers={"opening": True}, disposition=outcome("interested")) == [
        "Required question not answered: ご興味"
    ]
    assert needs_complete_script(Disposition.objects.get(code="success"))
    assert not needs_complete_script(Disposition.objects.get(code="no_answer"))


@pytest.mark.parametrize(
    "answers,message",
    [
        ({"interest": "maybe"}, "“ご興味”: choose one of the offered answers."),
        ({"interest": ["yes"]}, "“ご興味”: choose one of the offered answers."),
        ({"budget": "5000"}, "“ご予算”: enter a number."),
        ({"budget": True}, "“ご予算”: enter a number."),
        ({"visit": "2025-13-01"}, "“訪問希望日”: enter a date as YYYY-MM-DD."),
        ({"visit": 20250101}, "“訪問希望日”: enter a date as YYYY-MM-DD."),
        ({"premium": "read"}, "“上位プラン” is not a question."),
        ({"opening": "yes"}, "“開示”: the disclosure is confirmed with true."),
        ({"nope": 1}, "“nope” is not a step of this script."),
    ],
)
def test_wrong_types_are_refused_whatever_the_outcome(version, answers, message):
    assert message in validate_answers(version=version, answers=answers, disposition=outcome("no_answer"))


def test_multiple_and_text_types(reference_data):
    from scripts import services
    from scripts.models import Choice, Step

    version = branching_script(publish=False, name="複数")
    interest = version.steps.get(key="interest")
    services.update_step(
        step=version.steps.get(key="visit"),
        values={"answer_type": Step.AnswerType.MULTIPLE},
        choices=[
            {"value": "am", "label": "午前", "next_step": None},
            {"value": "pm", "label": "午後", "next_step": None},
        ],
        by=None,
    )
    version = services.publish_version(version=version, by=None)
    assert (
        interest.choices.count() == 2 and Choice.objects.filter(step__key="visit", step__version=version).count() == 2
    )
    check = lambda answers: validate_answers(version=version, answers=answers, disposition=outcome("no_answer"))  # noqa: E731
    assert check({"visit": ["am", "pm"]}) == []
    assert check({"visit": ["am", "am"]}) == ["“訪問希望日”: an answer is repeated."]
    assert check({"visit": "am"}) == ["“訪問希望日”: choose from the offered answers."]


def test_not_an_object_and_no_version(version):
    assert validate_answers(version=version, answers=["x"], disposition=outcome("success")) == [
        "Script answers must be an object of step key to answer."
    ]
    assert validate_answers(version=None, answers={}, disposition=outcome("success")) == []
    assert validate_answers(version=None, answers={"a": 1}, disposition=outcome("success")) == [
        "Script answers were given without a script version."
    ]


def test_draft_versions_are_not_for_calls(reference_data):
    draft = branching_script(publish=False, name="下書き")
    assert validate_answers(version=draft, answers={}, disposition=outcome("no_answer")) == [
        "Script version 1 is a draft; calls use published versions only."
    ]


def test_customer_branch_is_followed_when_the_customer_is_given(version):
    heavy_buyer = CustomerFactory(purchase_count=9)
    answers = {"opening": True, "interest": "yes", "budget": 100}
    # Heavy buyer → premium → end: nothing else required.
    assert (
        validate_answers(version=version, answers=answers, disposition=outcome("success"), customer=heavy_buyer) == []
    )
