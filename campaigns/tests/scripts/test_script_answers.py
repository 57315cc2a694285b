"""Script answers captured with an attempt: validated by scripts.services.validate_answers inside
the console's record_outcome, stored with the script version on the CallAttempt."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import CallAttempt, CallListEntry, Disposition
from campaigns.services.outcomes import record_outcome
from campaigns.tests.factories import CallListEntryFactory, CampaignFactory
from contacts.tests.factories import CustomerFactory
from scripts.tests.factories import branching_script


@pytest.fixture
def held(operator, reference_data):
    version = branching_script()
    campaign = CampaignFactory(script=version.script)
    entry = CallListEntryFactory(
        call_list__campaign=campaign,
        status=CallListEntry.Status.HELD,
        held_by=operator,
        held_until=timezone.now() + datetime.timedelta(minutes=10),
        customer=CustomerFactory(purchase_count=0),
    )
    return entry, version


def _record(entry, operator, code, version, answers):
    return record_outcome(
        entry=entry,
        operator=operator,
        disposition=Disposition.objects.get(code=code),
        script_version=version,
        answers=answers,
    )


def test_answers_and_version_are_stored_with_the_attempt(held, operator):
    entry, version = held
    answers = {"opening": True, "interest": "yes", "budget": 8000, "visit": "2025-06-01"}
    result = _record(entry, operator, "success", version, answers)
    attempt = CallAttempt.objects.get(pk=result.attempt.pk)
    assert attempt.script_version == version and attempt.answers == answers


def test_missing_required_answers_refuse_a_success_and_store_nothing(held, operator):
    entry, version = held
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _record(entry, operator, "success", version, {"opening": True, "interest": "yes"})
    assert refused.value.message_dict["answers"] == ["Required question not answered: ご予算"]
    assert not CallAttempt.objects.exists()
    # The same answers are fine for an outcome that ends the call early.
    assert _record(entry, operator, "refused", version, {"opening": True, "interest": "yes"}).created


def test_wrong_types_are_refused_even_without_contact(held, operator):
    entry, version = held
    with pytest.raises(ValidationError) as refused:
        _record(entry, operator, "no_answer", version, {"budget": "たくさん"})
    assert "answers" in refused.value.message_dict
    assert not CallAttempt.objects.exists()


def test_answers_through_the_attempts_api(held, operator, api_as, eager_celery):
    entry, version = held
    api = api_as(operator)
    now = timezone.now()
    body = {
        "entry": entry.pk,
        "disposition": "success",
        "started_at": (now - datetime.timedelta(minutes=5)).isoformat(),
        "ended_at": now.isoformat(),
        "script_version": version.pk,
        "answers": {"opening": True, "interest": "yes"},
    }
    with translation.override("en"):
        refused = api.post("/api/v1/attempts/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert any("ご予算" in message for message in refused.json()["errors"]["answers"])
    assert not CallAttempt.objects.exists()
    body["answers"] = {"opening": True, "interest": "yes", "budget": 12000, "visit": "2025-06-01"}
    created = api.post("/api/v1/attempts/", body, format="json")
    assert created.status_code == 201
    attempt = CallAttempt.objects.get(pk=created.json()["id"])
    assert attempt.script_version == version and attempt.answers == body["answers"]


@pytest.fixture
def eager_celery():
    from callcenter.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _api_body(entry, disposition, **extra):
    now = timezone.now()
    return {
        "entry": entry.pk,
        "disposition": disposition,
        "started_at": (now - datetime.timedelta(minutes=5)).isoformat(),
        "ended_at": now.isoformat(),
        **extra,
    }


def test_an_attempt_without_a_version_records_the_version_the_console_shows(held, operator, api_as, eager_celery):
    """A dialer that leaves out script_version still gets the attempt counted for the version
    the customer hears (per-version dials and rates need it on every attempt)."""
    entry, version = held
    created = api_as(operator).post("/api/v1/attempts/", _api_body(entry, "no_answer"), format="json")
    assert created.status_code == 201, created.content
    assert CallAttempt.objects.get(pk=created.json()["id"]).script_version == version


def test_leaving_out_the_version_does_not_skip_the_required_questions(held, operator, api_as, eager_celery):
    entry, version = held
    api = api_as(operator)
    refused = api.post("/api/v1/attempts/", _api_body(entry, "success"), format="json")
    assert refused.status_code == 400
    assert any("ご興味" in message for message in refused.json()["errors"]["answers"])  # the first required question
    wrong_type = api.post(
        "/api/v1/attempts/", _api_body(entry, "no_answer", answers={"budget": "たくさん"}), format="json"
    )
    assert wrong_type.status_code == 400 and "answers" in wrong_type.json()["errors"]
    assert not CallAttempt.objects.exists()


def test_answers_for_a_campaign_without_a_script_are_refused(operator, reference_data, api_as, eager_celery):
    entry = CallListEntryFactory(
        call_list__campaign=CampaignFactory(),
        status=CallListEntry.Status.HELD,
        held_by=operator,
        held_until=timezone.now() + datetime.timedelta(minutes=10),
    )
    api = api_as(operator)
    refused = api.post(
        "/api/v1/attempts/", _api_body(entry, "no_answer", answers={"x": "=cmd|' /C calc'!A0"}), format="json"
    )
    assert refused.status_code == 400 and "answers" in refused.json()["errors"]
    assert not CallAttempt.objects.exists()
    created = api.post("/api/v1/attempts/", _api_body(entry, "no_answer"), format="json")
    assert created.status_code == 201
    assert CallAttempt.objects.get(pk=created.json()["id"]).script_version is None


def test_console_outcome_without_the_walk_panel_records_the_version(held, operator, client, eager_celery):
    """The outcome form sent before the walk panel loaded (its hidden inputs empty)."""
    entry, version = held
    client.force_login(operator)
    response = client.post(
        reverse("campaigns:console_outcome", args=[entry.pk]),
        {
            "disposition": "no_answer",
            "script_version": "",
            "answers": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert CallAttempt.objects.get().script_version == version


def test_a_version_of_a_script_the_campaign_does_not_use_is_refused(held, operator, api_as, eager_celery):
    """Otherwise a client could log a success against a script without required questions, and the
    attempt would count in another script's figures and survey."""
    entry, version = held
    other = branching_script(name="別のスクリプト")
    api = api_as(operator)
    refused = api.post("/api/v1/attempts/", _api_body(entry, "no_answer", script_version=other.pk), format="json")
    assert refused.status_code == 400 and "script_version" in refused.json()["errors"]
    assert not CallAttempt.objects.exists()
    for unknown in (999999, 2**63 - 1, 2**70):
        response = api.post("/api/v1/attempts/", _api_body(entry, "no_answer", script_version=unknown), format="json")
        assert response.status_code == 400 and "script_version" in response.json()["errors"], unknown
    created = api.post("/api/v1/attempts/", _api_body(entry, "no_answer", script_version=version.pk), format="json")
    assert created.status_code == 201


def test_a_version_of_a_variant_script_is_accepted(held, operator, api_as, eager_celery):
    from campaigns.models import CampaignScriptVariant
    from contacts.tests.factories import SegmentFactory

    entry, version = held
    variant = branching_script(name="ヘビーユーザー向け")
    CampaignScriptVariant.objects.create(campaign=entry.campaign, segment=SegmentFactory(), script=variant.script)
    created = api_as(operator).post(
        "/api/v1/attempts/",
        _api_body(entry, "no_answer", script_version=variant.pk),
        format="json",
    )
    assert created.status_code == 201
    assert CallAttempt.objects.get().script_version_id == variant.pk


def test_an_older_version_of_the_campaign_script_is_accepted(held, operator, api_as, eager_celery):
    """A call that started before a new version was published keeps the version it was read from."""
    from scripts import services

    entry, version = held
    draft, _ = services.start_draft(script=version.script, by=None)
    services.publish_version(version=draft, by=None)
    created = api_as(operator).post(
        "/api/v1/attempts/",
        _api_body(entry, "no_answer", script_version=version.pk),
        format="json",
    )
    assert created.status_code == 201
    assert CallAttempt.objects.get().script_version_id == version.pk


def test_a_variant_removed_during_the_call_does_not_refuse_its_outcome(
    held, operator, supervisor, api_as, eager_celery
):
    """The operator read the variant's script; a supervisor removed the variant mid-call. The call
    is saved with the version that was read (refusing it would lose the call)."""
    from campaigns.models import CampaignScriptVariant
    from campaigns.services.script_variants import remove_variant
    from contacts.tests.factories import SegmentFactory

    entry, version = held
    variant_version = branching_script(name="休眠向け")
    variant = CampaignScriptVariant.objects.create(
        campaign=entry.campaign, segment=SegmentFactory(), script=variant_version.script
    )
    remove_variant(variant=variant, by=supervisor)

    created = api_as(operator).post(
        "/api/v1/attempts/",
        _api_body(entry, "no_answer", script_version=variant_version.pk),
        format="json",
    )
    assert created.status_code == 201, created.content
    assert CallAttempt.objects.get().script_version_id == variant_version.pk
