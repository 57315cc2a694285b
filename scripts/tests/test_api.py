"""REST API of talk scripts."""

import pytest

from scripts.models import Script, ScriptVersion

from .factories import branching_export, branching_script


def test_list_and_detail_for_readers(api_as, supervisor, operator, client_viewer, reference_data):
    published = branching_script()
    draft_only = branching_script(publish=False, name="下書きだけ")
    api = api_as(operator)
    body = api.get("/api/v1/scripts/").json()
    rows = {row["name"]: row for row in body["results"]}
    assert rows["分岐テスト"]["published_version"] == {"id": published.pk, "number": 1}
    assert rows["下書きだけ"]["published_version"] is None
    detail = api.get(f"/api/v1/scripts/{published.script_id}/").json()
    assert [v["number"] for v in detail["versions"]] == [1] and len(detail["rebuttals"]) == 2
    version = api.get(f"/api/v1/script-versions/{published.pk}/").json()
    assert version["start"] == "opening" and version["steps"][1]["choices"][0] == {
        "value": "yes",
        "label": "はい",
        "next": "budget",
    }
    # Operators never see drafts; supervisors do.
    assert api.get(f"/api/v1/script-versions/{draft_only.pk}/").status_code == 404
    assert api_as(supervisor).get(f"/api/v1/script-versions/{draft_only.pk}/").status_code == 200
    assert api_as(client_viewer).get("/api/v1/scripts/").status_code == 403


def test_create_requires_a_supervisor_and_a_unique_name(api_as, supervisor, operator, reference_data):
    assert api_as(operator).post("/api/v1/scripts/", {"name": "x"}, format="json").status_code == 403
    api = api_as(supervisor)
    response = api.post("/api/v1/scripts/", {"name": "API台本", "description": "説明"}, format="json")
    assert response.status_code == 201 and response.json()["draft_version"]["number"] == 1
    again = api.post("/api/v1/scripts/", {"name": "API台本"}, format="json")
    assert again.status_code == 400 and "name" in again.json()["errors"]


def test_export_then_import_round_trip(api_as, supervisor, reference_data):
    published = branching_script()
    api = api_as(supervisor)
    exported = api.get(f"/api/v1/scripts/{published.script_id}/export/").json()
    assert exported == api.get(f"/api/v1/scripts/{published.script_id}/export/?version=1").json()
    assert exported["format"] == "callcenter-script" and len(exported["steps"]) == 9
    refused = api.post("/api/v1/scripts/import/", exported, format="json")
    assert refused.status_code == 400  # the name exists
    created = api.post("/api/v1/scripts/import/?name=コピー", exported, format="json")
    assert created.status_code == 201
    copy = ScriptVersion.objects.get(pk=created.json()["version"])
    assert copy.status == "draft" and copy.script.name == "コピー"
    copied = api.get(f"/api/v1/scripts/{copy.script_id}/export/").json()
    for key in ("steps", "rebuttals"):
        assert copied[key] == exported[key]
    # Into an existing script: a new draft version.
    into = api.post(f"/api/v1/scripts/import/?into={published.script_id}", exported, format="json")
    assert into.status_code == 201 and into.json()["number"] == 2
    again = api.post(f"/api/v1/scripts/import/?into={published.script_id}", exported, format="json")
    assert again.status_code == 400  # a draft exists already


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="something-else"),
        lambda d: d["steps"][1]["choices"][0].update(next="nowhere"),
        lambda d: d["steps"].append(dict(d["steps"][0])),
        lambda d: d["steps"][0].update(kind="dance"),
        lambda d: d["steps"][0].update(key="bad key!"),
        lambda d: d.update(steps="nope"),
        # The rebuttal form refuses unknown placeholders; a file must not get round it.
        lambda d: d["rebuttals"][0].update(answer="{{ settings.SECRET_KEY }}"),
    ],
)
def test_bad_import_files_get_clear_errors(api_as, supervisor, mutate, reference_data):
    data = branching_export(name="壊れたファイル")
    mutate(data)
    response = api_as(supervisor).post("/api/v1/scripts/import/", data, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"]
    assert not Script.objects.filter(name="壊れたファイル").exists()


def test_publish_through_the_api(api_as, supervisor, reference_data):
    published = branching_script()
    api = api_as(supervisor)
    assert api.post(f"/api/v1/scripts/{published.script_id}/publish/").status_code == 409  # no draft
    draft = api.post(f"/api/v1/scripts/{published.script_id}/draft/")
    assert draft.status_code == 201 and draft.json()["number"] == 2
    assert api.post(f"/api/v1/scripts/{published.script_id}/draft/").status_code == 200  # the same draft
    # Break the draft: an unreachable step.
    version = ScriptVersion.objects.get(pk=draft.json()["id"])
    version.steps.create(key="orphan", kind="end", title="孤立")
    refused = api.post(f"/api/v1/scripts/{published.script_id}/publish/", {"notes": "v2"}, format="json")
    assert refused.status_code == 400 and "orphan" in refused.json()["errors"]
    version.steps.filter(key="orphan").delete()
    ok = api.post(f"/api/v1/scripts/{published.script_id}/publish/", {"notes": "v2"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "published" and ok.json()["notes"] == "v2"
    published.refresh_from_db()
    assert published.status == "retired"


def test_rebuttal_search(api_as, operator, reference_data):
    published = branching_script()
    rows = api_as(operator).get(f"/api/v1/scripts/{published.script_id}/rebuttals/", {"q": "価格"}).json()
    assert [r["objection"] for r in rows] == ["高い"]


def test_check_answers_endpoint(api_as, operator, reference_data):
    published = branching_script()
    api = api_as(operator)
    url = f"/api/v1/script-versions/{published.pk}/check-answers/"
    ok = api.post(url, {"answers": {"opening": True, "interest": "no"}, "disposition": "success"}, format="json")
    assert ok.status_code == 200 and ok.json() == {"errors": []}
    bad = api.post(url, {"answers": {"interest": "yes"}, "disposition": "success"}, format="json").json()
    assert len(bad["errors"]) == 2
    assert api.post(url, {"answers": {}}, format="json").status_code == 400
