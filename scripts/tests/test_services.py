"""Publishing rules and immutability: in the services, and in the database itself."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from callcenter.models import AuditEvent
from conftest import another_transaction, race
from scripts import services
from scripts.models import Choice, Script, ScriptVersion, Step

from .factories import branching_script


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_new_script_starts_as_a_draft_publishable_once_its_steps_are_written(db, supervisor):
    script = services.create_script(name="新規", description="", by=supervisor)
    version = script.versions.get()
    assert version.status == ScriptVersion.Status.DRAFT and version.number == 1
    assert [s.key for s in version.steps.order_by("position")] == ["opening", "end"]
    assert {p.step_key for p in services.publish_problems(version)} == {"opening", "end"}  # no text yet
    for step in version.steps.all():
        services.update_step(step=step, values={"text": "こんにちは"}, by=supervisor)
    published = services.publish_version(version=version, by=supervisor, notes="初版")
    assert published.status == ScriptVersion.Status.PUBLISHED
    assert published.published_by == supervisor and published.published_at is not None
    assert AuditEvent.objects.filter(action="script.published", object_id=str(version.pk)).exists()


def test_publish_refuses_a_flow_with_problems(db, supervisor):
    script = services.create_script(name="壊れた", by=supervisor)
    version = script.versions.get()
    services.add_step(
        version=version, kind=Step.Kind.SAY, title="孤立", after=version.steps.get(key="end"), by=supervisor
    )
    with pytest.raises(services.PublishRefused) as refused:
        services.publish_version(version=version, by=supervisor)
    assert any("No path from the opening step" in p.message for p in refused.value.problems)
    version.refresh_from_db()
    assert version.status == ScriptVersion.Status.DRAFT


def test_published_version_cannot_be_edited_through_services(db, supervisor):
    version = branching_script(by=supervisor)
    step = version.steps.get(key="premium")
    for attempt in (
        lambda: services.update_step(step=step, values={"text": "変更"}, by=supervisor),
        lambda: services.add_step(version=version, kind="say", by=supervisor),
        lambda: services.delete_step(step=step, by=supervisor),
        lambda: services.move_step(step=step, direction="up", by=supervisor),
        lambda: services.set_start_step(version=version, step=step, by=supervisor),
        lambda: services.publish_version(version=version, by=supervisor),
        lambda: services.discard_draft(version=version, by=supervisor),
    ):
        with pytest.raises(services.VersionNotEditable):
            attempt()
    step.refresh_from_db()
    assert step.text == "プレミアムプランをご案内します。"


@pytest.mark.parametrize(
    "change",
    [
        "update step",
        "queryset update",
        "delete step",
        "insert step",
        "update choice",
        "insert choice",
        "change version",
        "unpublish",
        "delete version",
    ],
)
def test_database_refuses_any_change_to_a_published_version(db, change):
    """The triggers of migration 0002_version_guards: whatever path a change takes, a published version stays."""
    version = branching_script()
    step = version.steps.get(key="interest")
    actions = {
        "update step": lambda: Step.objects.filter(pk=step.pk).update(text="x"),
        "queryset update": lambda: Step.objects.filter(version=version).update(required=False),
        "delete step": lambda: Step.objects.filter(pk=version.steps.get(key="premium").pk).delete(),
        "insert step": lambda: Step.objects.create(version=version, key="new", kind="say"),
        "update choice": lambda: Choice.objects.filter(step=step).update(label="x"),
        "insert choice": lambda: Choice.objects.create(step=step, value="maybe", label="たぶん"),
        "change version": lambda: ScriptVersion.objects.filter(pk=version.pk).update(notes="x"),
        "unpublish": lambda: ScriptVersion.objects.filter(pk=version.pk).update(status="draft"),
        "delete version": lambda: ScriptVersion.objects.filter(pk=version.pk).delete(),
    }
    with pytest.raises(IntegrityError, match="published|cannot be"):
        with transaction.atomic():
            actions[change]()
    assert Step.objects.get(pk=step.pk).text == "ご興味はありますか。"


def test_editing_a_published_script_starts_a_draft_copied_from_it(db, supervisor):
    published = branching_script(by=supervisor)
    draft, created = services.start_draft(script=published.script, by=supervisor)
    assert created and draft.number == 2 and draft.status == ScriptVersion.Status.DRAFT
    again, created_again = services.start_draft(script=published.script, by=supervisor)
    assert again == draft and not created_again
    copied = {s.key: s for s in draft.steps.prefetch_related("choices")}
    original = {s.key: s for s in published.steps.prefetch_related("choices")}
    assert copied.keys() == original.keys()
    assert draft.start_step.key == "opening" and draft.start_step.version == draft
    interest = copied["interest"]
    assert [(c.value, c.next_step.key, c.next_step.version_id) for c in interest.choices.all()] == [
        ("yes", "budget", draft.pk),
        ("no", "end_refused", draft.pk),
    ]
    assert copied["split"].branch_rules == original["split"].branch_rules
    # The draft is fully editable and publishing it retires the old version.
    services.update_step(step=copied["premium"], values={"text": "新しい案内"}, by=supervisor)
    services.publish_version(version=draft, by=supervisor)
    published.refresh_from_db()
    assert published.status == ScriptVersion.Status.RETIRED
    assert published.steps.get(key="premium").text == "プレミアムプランをご案内します。"
    assert published.script.latest_published() == draft


def test_discard_draft_and_delete_rules(db, supervisor):
    published = branching_script(by=supervisor)
    draft, _ = services.start_draft(script=published.script, by=supervisor)
    services.discard_draft(version=draft, by=supervisor)
    assert not ScriptVersion.objects.filter(pk=draft.pk).exists()
    with pytest.raises(services.ScriptServiceError):
        services.delete_script(script=published.script, by=supervisor)
    fresh = services.create_script(name="下書きのみ", by=supervisor)
    with pytest.raises(services.ScriptServiceError):
        services.discard_draft(version=fresh.versions.get(), by=supervisor)
    services.delete_script(script=fresh, by=supervisor)
    assert not Script.objects.filter(pk=fresh.pk).exists()


def test_add_step_links_itself_in_and_keys_are_generated(db, supervisor):
    script = services.create_script(name="追加", by=supervisor)
    version = script.versions.get()
    opening = version.steps.get(key="opening")
    question = services.add_step(version=version, kind=Step.Kind.QUESTION, title="質問", after=opening, by=supervisor)
    opening.refresh_from_db()
    assert question.key == "q1" and opening.next_step == question
    assert question.next_step.key == "end"
    assert [s.key for s in version.steps.order_by("position")] == ["opening", "q1", "end"]
    services.move_step(step=question, direction="down", by=supervisor)
    assert [s.key for s in version.steps.order_by("position")] == ["opening", "end", "q1"]
    with pytest.raises(services.ScriptServiceError):
        services.add_step(version=version, kind="say", key="q1", by=supervisor)


def test_delete_step_relinks_around_it(db, supervisor):
    script = services.create_script(name="削除", by=supervisor)
    version = script.versions.get()
    middle = services.add_step(
        version=version, kind="say", title="中", after=version.steps.get(key="opening"), by=supervisor
    )
    services.delete_step(step=middle, by=supervisor)
    assert version.steps.get(key="opening").next_step.key == "end"


def test_renaming_a_key_renames_it_in_branch_rules(db, supervisor):
    version = branching_script(by=supervisor, publish=False)
    budget = version.steps.get(key="budget")
    services.update_step(step=budget, values={"key": "yosan"}, by=supervisor)
    rules = version.steps.get(key="split").branch_rules
    assert rules[0]["source"] == "answer:yosan"
    premium = version.steps.get(key="premium")
    services.update_step(step=premium, values={"key": "jou"}, by=supervisor)
    assert [r["next"] for r in version.steps.get(key="split").branch_rules] == ["jou", "jou"]


def test_update_step_refuses_links_into_another_version(db, supervisor):
    draft = branching_script(by=supervisor, publish=False)
    other = branching_script(by=supervisor, publish=False, name="別")
    with pytest.raises(services.ScriptServiceError):
        services.update_step(
            step=draft.steps.get(key="premium"), values={"next_step": other.steps.get(key="end_success")}, by=supervisor
        )


# ---------------------------------------------------------------- races


@pytest.mark.django_db(transaction=True)
def test_racing_drafts_make_one_draft(reference_data):
    published = branching_script()
    script = Script.objects.get(pk=published.script_id)
    results = race([lambda: services.start_draft(script=script, by=None) for _ in range(4)])
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(created for _draft, created in results) == 1
    assert script.versions.filter(status=ScriptVersion.Status.DRAFT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_publishes_publish_once(reference_data):
    draft = branching_script(publish=False)
    results = race([lambda: services.publish_version(version=draft, by=None) for _ in range(3)])
    assert sum(isinstance(r, ScriptVersion) for r in results) == 1
    assert all(isinstance(r, (ScriptVersion, services.VersionNotEditable)) for r in results), results


@pytest.mark.django_db(transaction=True)
def test_an_edit_racing_a_publish_never_lands_behind_it(reference_data):
    """A raw step update that starts while a publish holds the version row waits for it, then
    fails: the published steps are exactly the validated ones."""
    draft = branching_script(publish=False)
    step_id = draft.steps.get(key="premium").pk

    with another_transaction(lambda: services.publish_version(version=draft, by=None), commit_once_waited_on=True):
        try:
            with transaction.atomic():
                Step.objects.filter(pk=step_id).update(text="公開後の変更")
            outcome = {"edit": "saved"}
        except IntegrityError:
            outcome = {"edit": "refused"}
    assert outcome["edit"] == "refused"
    assert Step.objects.get(pk=step_id).text == "プレミアムプランをご案内します。"
