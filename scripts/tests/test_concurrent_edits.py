"""Two requests on the same script at once (a double click, two supervisors): the second one loaded
its objects before the first removed them, then waited for the first's lock. It must answer with
a message, never a server error. Real transactions: the first request's work runs on its own
thread and connection and holds its lock until the second one is waiting for it."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import another_transaction, race
from scripts import services
from scripts.locks import lock_script, lock_version
from scripts.models import Script, ScriptVersion, Step

from .factories import branching_script

pytestmark = pytest.mark.django_db(transaction=True)


def draft_of(version):
    draft, _created = services.start_draft(script=version.script, by=None)
    return draft


def delete_step_now(step_id):
    def change():
        step = Step.objects.get(pk=step_id)
        services.delete_step(step=step, by=None)

    return change


@pytest.fixture
def supervisor_client(supervisor):
    from callcenter.signin.testing import sign_in

    return sign_in(Client(), supervisor)  # second factor included


def post_meanwhile(supervisor_client, url, data, change):
    """POST `url` while `change` (another request's work) commits; the response."""
    with another_transaction(change, commit_once_waited_on=True):
        return supervisor_client.post(url, data)


def follow(client, response):
    assert response.status_code == 302, response.status_code
    page = client.get(response.url)
    assert page.status_code == 200, (response.url, page.status_code)
    return page.content.decode()


@pytest.mark.parametrize("action", ["delete", "move", "edit", "set_start", "add_after"])
def test_a_step_deleted_by_another_request_meanwhile_gives_a_message(supervisor_client, reference_data, action):
    draft = draft_of(branching_script(name=f"並行 {action}"))
    step = draft.steps.get(key="premium")
    url, data = {
        "delete": (reverse("scripts:step_delete", args=[step.pk]), {}),
        "move": (reverse("scripts:step_move", args=[step.pk]), {"direction": "up"}),
        "edit": (
            reverse("scripts:step_edit", args=[step.pk]),
            {
                "kind": "say",
                "key": step.key,
                "title": "変更",
                "text": "",
                "next_step": draft.steps.get(key="end_success").pk,
                "choices-TOTAL_FORMS": "0",
                "choices-INITIAL_FORMS": "0",
                "rules-TOTAL_FORMS": "0",
                "rules-INITIAL_FORMS": "0",
            },
        ),
        "set_start": (reverse("scripts:version_set_start", args=[draft.pk]), {"step": step.pk}),
        "add_after": (reverse("scripts:step_add", args=[draft.pk]), {"kind": "say", "title": "追加", "after": step.pk}),
    }[action]

    response = post_meanwhile(supervisor_client, url, data, delete_step_now(step.pk))

    page = follow(supervisor_client, response)
    assert "deleted meanwhile" in page or "削除されていました" in page
    assert not Step.objects.filter(pk=step.pk).exists()
    draft.refresh_from_db()
    assert draft.start_step_id != step.pk


def test_a_second_click_on_discard_gives_a_message(supervisor_client, reference_data):
    draft = draft_of(branching_script(name="二度押し 破棄"))

    def discard():
        services.discard_draft(version=lock_version(draft.pk), by=None)

    response = post_meanwhile(supervisor_client, reverse("scripts:version_discard", args=[draft.pk]), {}, discard)

    assert response.url == reverse("scripts:script_detail", args=[draft.script_id])
    page = follow(supervisor_client, response)
    assert "discarded meanwhile" in page or "破棄されていました" in page
    assert not ScriptVersion.objects.filter(pk=draft.pk).exists()


def test_publishing_a_draft_discarded_meanwhile_gives_a_message(supervisor_client, reference_data):
    draft = draft_of(branching_script(name="破棄と公開"))

    def discard():
        services.discard_draft(version=lock_version(draft.pk), by=None)

    response = post_meanwhile(supervisor_client, reverse("scripts:version_publish", args=[draft.pk]), {}, discard)

    page = follow(supervisor_client, response)
    assert "discarded meanwhile" in page or "破棄されていました" in page
    assert not draft.script.versions.filter(status=ScriptVersion.Status.DRAFT).exists()


@pytest.mark.parametrize("action", ["delete", "edit", "draft"])
def test_a_script_deleted_by_another_request_meanwhile_gives_a_message(supervisor_client, reference_data, action):
    script = branching_script(name=f"削除済み {action}", publish=False).script
    url, data = {
        "delete": (reverse("scripts:script_delete", args=[script.pk]), {}),
        "edit": (reverse("scripts:script_edit", args=[script.pk]), {"name": "新しい名前", "description": ""}),
        "draft": (reverse("scripts:draft_start", args=[script.pk]), {}),
    }[action]

    def delete_script():
        services.delete_script(script=lock_script(script.pk), by=None)

    response = post_meanwhile(supervisor_client, url, data, delete_script)

    page = follow(supervisor_client, response)
    assert "deleted meanwhile" in page or "削除されていました" in page
    assert not Script.objects.filter(pk=script.pk).exists()


# ---------------------------------------------------------------- the same name at the same moment


def another_request_creates(name):
    def change():
        services.create_script(name=name, by=None)

    return change


@pytest.mark.parametrize("action", ["create", "rename"])
def test_a_name_taken_by_another_request_meanwhile_is_a_form_error(supervisor_client, reference_data, action):
    """The form checked the name before the other request committed it: the save then hits the
    unique name. A double click on "create" does exactly this."""
    if action == "create":
        url, expected_scripts = reverse("scripts:script_create"), 1
    else:
        url, expected_scripts = (
            reverse("scripts:script_edit", args=[services.create_script(name="元の名前", by=None).pk]),
            2,
        )

    response = post_meanwhile(
        supervisor_client, url, {"name": "同時の名前", "description": ""}, another_request_creates("同時の名前")
    )

    assert response.status_code == 200  # the form again, with the error
    page = response.content.decode()
    assert "already exists" in page or "すでにあります" in page
    assert Script.objects.filter(name="同時の名前").count() == 1
    assert Script.objects.count() == expected_scripts


def test_an_api_create_with_a_name_taken_meanwhile_is_a_400(api_as, supervisor, reference_data):
    with another_transaction(another_request_creates("APIの同時"), commit_once_waited_on=True):
        response = api_as(supervisor).post("/api/v1/scripts/", {"name": "APIの同時"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]


def test_importing_a_new_script_under_a_name_taken_meanwhile_is_refused(supervisor, reference_data):
    from .factories import branching_export

    with another_transaction(another_request_creates("取込の同時"), commit_once_waited_on=True):
        with pytest.raises(services.ImportRefused):
            services.import_script(data=branching_export("取込の同時"), by=supervisor)
    assert Script.objects.filter(name="取込の同時").count() == 1


# ---------------------------------------------------------------- rebuttals


def test_a_rebuttal_deleted_by_another_request_meanwhile_is_not_written_back(supervisor_client, reference_data):
    script = branching_script(name="切り返し 削除", publish=False).script
    rebuttal = services.save_rebuttal(script=script, objection="高い", answer="月々なら", by=None)
    url = reverse("scripts:rebuttal_edit", args=[rebuttal.pk])

    def delete_rebuttal():
        services.delete_rebuttal(rebuttal=rebuttal, by=None)

    response = post_meanwhile(
        supervisor_client, url, {"objection": "高い", "answer": "一日あたりなら", "tags": ""}, delete_rebuttal
    )

    page = follow(supervisor_client, response)
    assert "deleted meanwhile" in page or "削除されていました" in page
    assert not script.rebuttals.filter(answer__in=["月々なら", "一日あたりなら"]).exists()  # not created again


def test_a_second_click_on_deleting_a_rebuttal_changes_nothing(supervisor_client, reference_data):
    from callcenter.models import AuditEvent

    script = branching_script(name="切り返し 二度押し", publish=False).script
    rebuttal = services.save_rebuttal(script=script, objection="忙しい", answer="1分だけ", by=None)
    url = reverse("scripts:rebuttal_delete", args=[rebuttal.pk])

    def delete_rebuttal():
        services.delete_rebuttal(rebuttal=rebuttal, by=None)

    response = post_meanwhile(supervisor_client, url, {}, delete_rebuttal)

    assert response.status_code in (302, 404)
    assert AuditEvent.objects.filter(action="script.rebuttal_deleted").count() == 1


def test_rebuttals_added_at_the_same_moment_get_their_own_positions(reference_data):
    script = branching_script(name="切り返し 同時追加", publish=False).script

    def add(n):
        services.save_rebuttal(script=Script.objects.get(pk=script.pk), objection=f"反論 {n}", answer="回答", by=None)

    errors = [result for result in race([lambda n=n: add(n) for n in range(6)]) if isinstance(result, Exception)]

    assert errors == []
    positions = list(script.rebuttals.values_list("position", flat=True))
    assert script.rebuttals.filter(objection__startswith="反論 ").count() == 6
    assert len(positions) == len(set(positions))  # nobody took another's place
