"""The version editor: readiness to publish, question cards and creating a choice's next step."""

import pytest
from django.urls import reverse
from django.utils import translation

from callcenter.models import AuditEvent
from scripts import services
from scripts.models import Choice, Step

from .factories import branching_script


def ja(message, **values):
    """The supervisor reads the editor in Japanese."""
    with translation.override("ja"):
        return translation.gettext(message) % values if values else translation.gettext(message)


READY = ja("Ready to publish: every step is written, reachable, and every link leads somewhere.")
EMPTY = ja("This step is empty: write what the operator says.")


@pytest.fixture
def sv(login, supervisor):
    return login(supervisor)


def _question_with_unrouted_choices(version, by):
    """A single choice question after the opening step: yes → end, no not routed yet."""
    opening = version.steps.get(key="opening")
    end = version.steps.get(key="end")
    question = services.add_step(version=version, kind=Step.Kind.QUESTION, title="ご興味", after=opening, by=by)
    return services.update_step(
        step=question,
        values={"text": "ご興味はありますか。", "next_step": None},
        choices=[{"value": "yes", "label": "はい", "next_step": end}, {"value": "no", "label": "いいえ"}],
        by=by,
    )


def _write_all(version, by):
    for step in version.steps.filter(text=""):
        services.update_step(step=step, values={"text": f"{step.key}のトーク"}, by=by)


# ------------------------------------------------------------------ readiness


def test_a_new_script_with_empty_steps_is_not_ready_and_cannot_be_published(sv, supervisor):
    script = services.create_script(name="空のスクリプト", by=supervisor)
    version = script.versions.get()
    keys = {p.step_key for p in services.publish_problems(version)}
    assert keys == {"opening", "end"}

    page = sv.get(reverse("scripts:version_detail", args=[version.pk])).content.decode()
    assert READY not in page
    assert EMPTY in page

    response = sv.post(reverse("scripts:version_publish", args=[version.pk]), {"notes": ""}, follow=True)
    text = response.content.decode()
    message = "This draft cannot be published: these steps are still empty: %(keys)s. Write them first."
    assert ja(message, keys="opening, end") in text
    version.refresh_from_db()
    assert version.status == "draft"
    with pytest.raises(services.PublishRefused):
        services.publish_version(version=version, by=supervisor)


def test_the_editor_says_ready_exactly_when_publishing_succeeds(sv, supervisor):
    version = services.create_script(name="書き上げる", by=supervisor).versions.get()
    _write_all(version, supervisor)
    assert services.publish_problems(version) == []
    assert READY in sv.get(reverse("scripts:version_detail", args=[version.pk])).content.decode()
    services.publish_version(version=version, by=supervisor)
    version.refresh_from_db()
    assert version.status == "published"


def test_a_choice_question_without_choices_is_empty(sv, supervisor):
    version = services.create_script(name="選択肢なし", by=supervisor).versions.get()
    _write_all(version, supervisor)
    question = services.add_step(
        version=version, kind=Step.Kind.QUESTION, after=version.steps.get(key="opening"), by=supervisor
    )
    services.update_step(step=question, values={"text": "ご質問"}, by=supervisor)
    messages = [p.message for p in services.publish_problems(version) if p.step_key == question.key]
    assert ja("This question has no choices yet: add the answers to pick from.") in messages
    page = sv.get(reverse("scripts:version_detail", args=[version.pk])).content.decode()
    assert READY not in page and 'data-testid="no-choices"' in page
    with pytest.raises(services.PublishRefused, match=question.key):
        services.publish_version(version=version, by=supervisor)


def test_an_open_question_and_a_branch_need_no_choices_and_no_text(supervisor):
    version = branching_script(by=supervisor, publish=False)
    assert services.publish_problems(version) == []  # "split" is a branch without text, "budget" a number


# ------------------------------------------------------------------ question card


def test_the_question_card_lists_choices_before_they_are_routed(sv, supervisor):
    version = services.create_script(name="未接続の選択肢", by=supervisor).versions.get()
    question = _question_with_unrouted_choices(version, supervisor)
    page = sv.get(reverse("scripts:version_detail", args=[version.pk])).content.decode()
    card = page.split(f'id="step-{question.key}"')[1].split('class="card step-card')[0]
    assert "はい" in card and "いいえ" in card
    assert card.count('data-testid="choice"') == 2
    assert card.count('data-testid="choice-unrouted"') == 1
    assert card.count('data-testid="create-next-step"') == 1  # only where the choice has no route yet


def test_a_published_question_card_offers_no_creation(sv, supervisor):
    version = branching_script(by=supervisor)
    page = sv.get(reverse("scripts:version_detail", args=[version.pk])).content.decode()
    card = page.split('id="step-interest"')[1].split('class="card step-card')[0]
    assert card.count('data-testid="choice"') == 2 and "create-next-step" not in card


# ------------------------------------------------------------------ create next step here


def test_create_next_step_here_creates_the_step_and_routes_the_choice(sv, supervisor):
    version = services.create_script(name="その場で作る", by=supervisor).versions.get()
    question = _question_with_unrouted_choices(version, supervisor)
    services.update_step(step=question, values={"next_step": version.steps.get(key="end")}, by=supervisor)
    choice = question.choices.get(value="no")
    response = sv.post(reverse("scripts:choice_next_step", args=[choice.pk]), {"kind": "say"})
    step = version.steps.get(key="say1")
    assert response.status_code == 302 and response.url.endswith(f"#step-{step.key}")
    choice.refresh_from_db()
    assert choice.next_step == step
    assert step.kind == "say" and step.title == "いいえ"
    assert step.next_step.key == "end"  # goes on where the question went on before
    keys = list(version.steps.order_by("position").values_list("key", flat=True))
    assert keys.index(step.key) == keys.index(question.key) + 1
    event = AuditEvent.objects.get(action="script.choice_step_added")
    assert event.actor == supervisor and step.key in event.summary
    assert EMPTY in sv.get(response.url).content.decode()  # its text comes next


def test_create_next_step_here_refuses_a_stale_choice_a_published_version_and_a_bad_kind(sv, supervisor):
    version = services.create_script(name="古い選択肢", by=supervisor).versions.get()
    question = _question_with_unrouted_choices(version, supervisor)
    stale = question.choices.get(value="no")
    services.update_step(  # saving the question replaces its choices
        step=question,
        values={},
        choices=[{"value": "no", "label": "いいえ"}, {"value": "x", "label": "x"}],
        by=supervisor,
    )
    steps = Step.objects.count()
    response = sv.post(reverse("scripts:choice_next_step", args=[stale.pk]), {"kind": "say"})
    assert response.status_code == 404

    fresh = question.choices.get(value="no")
    bad = sv.post(reverse("scripts:choice_next_step", args=[fresh.pk]), {"kind": "branch"}, follow=True)
    assert ja("The step could not be added: choose its kind.") in bad.content.decode()
    assert Step.objects.count() == steps

    published = branching_script(by=supervisor)
    choice = Choice.objects.get(step__version=published, value="no")
    steps = Step.objects.count()
    refused = sv.post(reverse("scripts:choice_next_step", args=[choice.pk]), {"kind": "end"}, follow=True)
    assert "バージョン" in refused.content.decode() and "変更できません" in refused.content.decode()
    assert Step.objects.count() == steps and not AuditEvent.objects.filter(action="script.choice_step_added").exists()


def test_a_choice_deleted_between_loading_and_locking_is_refused_clearly(supervisor):
    version = services.create_script(name="消えた選択肢", by=supervisor).versions.get()
    question = _question_with_unrouted_choices(version, supervisor)
    choice_id = question.choices.get(value="no").pk
    Choice.objects.filter(pk=choice_id).delete()
    with pytest.raises(services.Gone):
        services.add_step_for_choice(version=version, choice_id=choice_id, kind="say", by=supervisor)
