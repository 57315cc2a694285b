"""Supervisor pages, through the Django test client."""

import json

import pytest
from django.urls import reverse

from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import CustomerFactory
from scripts.models import Rebuttal, Script, ScriptVersion

from .factories import RebuttalFactory, branching_script


@pytest.fixture
def sv(login, supervisor):
    return login(supervisor)


def test_pages_need_the_supervisor_permission(client, login, operator, manager, reference_data):
    version = branching_script()
    urls = [
        reverse("scripts:script_list"),
        reverse("scripts:script_create"),
        reverse("scripts:script_import"),
        reverse("scripts:script_detail", args=[version.script_id]),
        reverse("scripts:version_detail", args=[version.pk]),
        reverse("scripts:version_preview", args=[version.pk]),
        reverse("scripts:version_export", args=[version.pk]),
        reverse("scripts:rebuttal_list", args=[version.script_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    for user in (operator, manager):
        logged_in = login(user)
        for url in urls:
            assert logged_in.get(url).status_code == 403, url


def test_script_list_search_and_empty_state(sv, reference_data):
    response = sv.get(reverse("scripts:script_list"))
    assert (
        "No talk scripts yet" in response.content.decode()
        or "トークスクリプトがまだありません" in response.content.decode()
    )
    branching_script(name="休眠掘り起こし")
    branching_script(name="満足度調査", publish=False)
    page = sv.get(reverse("scripts:script_list"), {"q": "休眠"}).content.decode()
    assert "休眠掘り起こし" in page and "満足度調査" not in page


def test_create_script_then_edit_a_step_with_choices(sv, supervisor):
    response = sv.post(reverse("scripts:script_create"), {"name": "新しい台本", "description": "説明"})
    script = Script.objects.get(name="新しい台本")
    version = script.versions.get()
    assert response.url == reverse("scripts:version_detail", args=[version.pk])
    assert (
        sv.post(reverse("scripts:script_create"), {"name": "新しい台本"}).status_code == 200
    )  # duplicate name: form error

    response = sv.post(
        reverse("scripts:step_add", args=[version.pk]),
        {"kind": "question", "title": "ご興味", "after": version.steps.get(key="opening").pk},
    )
    question = version.steps.get(key="q1")
    assert response.url == reverse("scripts:step_edit", args=[question.pk])
    end = version.steps.get(key="end")
    form = {
        "kind": "question",
        "key": "interest",
        "title": "ご興味",
        "text": "{{ customer.name }}様、いかがですか",
        "answer_type": "single",
        "required": "on",
        "next_step": end.pk,
        "suggested_disposition": "",
        "choices-TOTAL_FORMS": "3",
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "50",
        "choices-0-label": "はい",
        "choices-0-value": "yes",
        "choices-0-next_step": end.pk,
        "choices-1-label": "いいえ",
        "choices-1-value": "",
        "choices-1-next_step": "",
        "choices-2-label": "",
        "choices-2-value": "",
        "choices-2-next_step": "",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "30",
    }
    response = sv.post(reverse("scripts:step_edit", args=[question.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.key == "interest" and question.required
    assert [(c.value, c.label) for c in question.choices.all()] == [("yes", "はい"), ("いいえ", "いいえ")]
    page = sv.get(reverse("scripts:version_detail", args=[version.pk])).content.decode()
    assert "interest" in page and "flow-outline" in page and "ph-known" in page


def test_branch_rule_form_validation(sv, supervisor, reference_data):
    version = branching_script(publish=False)
    split = version.steps.get(key="split")
    base = {
        "kind": "branch",
        "key": "split",
        "title": "分岐",
        "text": "",
        "answer_type": "",
        "next_step": version.steps.get(key="basic").pk,
        "suggested_disposition": "",
        "choices-TOTAL_FORMS": "0",
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "50",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "30",
        "rules-0-source": "answer:budget",
        "rules-0-op": "gt",
        "rules-0-value": "",
        "rules-0-next": "premium",
    }
    response = sv.post(reverse("scripts:step_edit", args=[split.pk]), base)
    assert response.status_code == 200  # value missing
    base.update(
        {
            "rules-0-source": "customer:attributes.",
            "rules-0-attribute": "plan",
            "rules-0-op": "eq",
            "rules-0-value": "gold",
        }
    )
    response = sv.post(reverse("scripts:step_edit", args=[split.pk]), base)
    assert response.status_code == 302
    split.refresh_from_db()
    assert split.branch_rules == [
        {"source": "customer:attributes.plan", "op": "eq", "value": "gold", "next": "premium"}
    ]
    page = sv.get(reverse("scripts:step_edit", args=[split.pk])).content.decode()
    assert 'value="plan"' in page  # the attribute key comes back into its own field


def test_publish_with_problems_shows_them_and_keeps_the_draft(sv, supervisor):
    sv.post(reverse("scripts:script_create"), {"name": "未完成"})
    version = ScriptVersion.objects.get(script__name="未完成")
    sv.post(
        reverse("scripts:step_add", args=[version.pk]),
        {"kind": "say", "title": "孤立", "after": version.steps.get(key="end").pk},
    )
    response = sv.post(reverse("scripts:version_publish", args=[version.pk]), {"notes": ""}, follow=True)
    version.refresh_from_db()
    assert version.status == ScriptVersion.Status.DRAFT
    assert 'data-testid="problems"' in response.content.decode()


def test_stale_edit_of_a_published_version_gets_a_message(sv, supervisor):
    version = branching_script(by=supervisor)
    step = version.steps.get(key="premium")
    response = sv.post(reverse("scripts:step_move", args=[step.pk]), {"direction": "up"}, follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"])
    response = sv.get(reverse("scripts:step_edit", args=[step.pk]))
    assert response.status_code == 302


def test_edit_published_starts_draft_and_publish(sv, supervisor):
    version = branching_script(by=supervisor)
    response = sv.post(reverse("scripts:draft_start", args=[version.script_id]))
    draft = ScriptVersion.objects.get(script=version.script, status="draft")
    assert response.url == reverse("scripts:version_detail", args=[draft.pk])
    response = sv.post(reverse("scripts:version_publish", args=[draft.pk]), {"notes": "文言修正"})
    draft.refresh_from_db()
    assert draft.status == "published" and draft.notes == "文言修正"
    detail = sv.get(reverse("scripts:script_detail", args=[version.script_id])).content.decode()
    assert "v2" in detail and "文言修正" in detail


def test_export_import_round_trip_through_pages(sv, supervisor, reference_data):
    version = branching_script(by=supervisor)
    response = sv.get(reverse("scripts:version_export", args=[version.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["steps"][0]["key"] == "opening" and data["version"]["start"] == "opening"
    response = sv.post(reverse("scripts:script_import"), {"text": json.dumps(data)})
    assert response.status_code == 200  # the name already exists
    assert "already exists" in response.content.decode() or "既に存在" in response.content.decode()
    response = sv.post(reverse("scripts:script_import"), {"text": json.dumps(data), "name": "コピー"})
    copy = ScriptVersion.objects.get(script__name="コピー")
    assert response.url == reverse("scripts:version_detail", args=[copy.pk])
    assert copy.status == "draft" and copy.steps.count() == version.steps.count()
    assert copy.script.rebuttals.count() == 2
    response = sv.post(reverse("scripts:script_import"), {"text": "{not json"})
    assert response.status_code == 200 and ScriptVersion.objects.count() == 2


def test_rebuttal_library(sv, supervisor, reference_data):
    version = branching_script(by=supervisor)
    url = reverse("scripts:rebuttal_list", args=[version.script_id])
    sv.post(url, {"objection": "家族に相談したい", "answer": "資料をお送りします", "tags": "相談"})
    assert Rebuttal.objects.filter(objection="家族に相談したい").exists()
    page = sv.get(url, {"q": "相談"}).content.decode()
    assert "家族に相談したい" in page and "忙しい" not in page
    rebuttal = Rebuttal.objects.get(objection="家族に相談したい")
    sv.post(
        reverse("scripts:rebuttal_edit", args=[rebuttal.pk]),
        {"objection": "家族と相談", "answer": "どうぞ", "tags": ""},
    )
    rebuttal.refresh_from_db()
    assert rebuttal.objection == "家族と相談"
    sv.post(reverse("scripts:rebuttal_delete", args=[rebuttal.pk]))
    assert not Rebuttal.objects.filter(pk=rebuttal.pk).exists()
    refused = sv.post(url, {"objection": "鍵", "answer": "{{ settings.SECRET_KEY }}", "tags": ""})
    assert refused.status_code == 200 and not Rebuttal.objects.filter(objection="鍵").exists()


def test_preview_renders_with_a_sample_customer(sv, reference_data):
    version = branching_script(publish=False)
    customer = CustomerFactory(name="<script>alert(1)</script>")
    page = sv.get(reverse("scripts:version_preview", args=[version.pk]), {"customer": customer.pk}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert 'id="script-walk-config"' in page and "script_walk.js" in page


def test_admin_shows_published_versions_read_only(login, admin_user, reference_data):
    version = branching_script()
    client = login(admin_user)
    url = reverse("admin:scripts_scriptversion_change", args=[version.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"notes": "x"}).status_code == 403
    step = version.steps.get(key="premium")
    assert client.post(reverse("admin:scripts_step_delete", args=[step.pk]), {"post": "yes"}).status_code == 403
    draft = branching_script(publish=False, name="下書き")
    assert 'name="_save"' in client.get(reverse("admin:scripts_scriptversion_change", args=[draft.pk])).content.decode()


def test_deleting_an_unpublished_script_a_campaign_variant_uses_is_refused_with_a_message(sv, supervisor):
    """Variants may name a script before it is published; deleting such a script must say why it
    cannot go (it was a server error: the variant's protected foreign key)."""
    from campaigns.services.script_variants import add_variant
    from contacts.tests.factories import SegmentFactory

    draft_only = branching_script(name="未公開の台本", publish=False)
    add_variant(campaign=CampaignFactory(), segment=SegmentFactory(), script=draft_only.script, by=supervisor)

    response = sv.post(reverse("scripts:script_delete", args=[draft_only.script_id]))

    assert response.url == reverse("scripts:script_detail", args=[draft_only.script_id])
    page = sv.get(response.url).content.decode()
    assert "スクリプト割り当てを削除してください" in page or "Remove that script variant first" in page
    assert Script.objects.filter(pk=draft_only.script_id).exists()


def test_rebuttal_library_empty_states(sv, reference_data):
    version = branching_script()
    url = reverse("scripts:rebuttal_list", args=[version.script_id])
    Rebuttal.objects.filter(script=version.script).delete()
    assert "切り返しトークがまだありません" in sv.get(url).content.decode()
    RebuttalFactory(script=version.script, objection="高い")
    assert "検索に一致する切り返しトークはありません" in sv.get(url, {"q": "存在しない言葉"}).content.decode()
