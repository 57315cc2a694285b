"""The mandatory disclosure (特定商取引法 Art. 16) at the outcome: every attempt records whether it
was confirmed, and a policy with disclosure_required refuses a contact outcome without it (service,
console page and API, in both languages)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import CallAttempt, CallListEntry, Disposition
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.tests.factories_console import (
    WEDNESDAY_2PM,
    entry,
    japan_standard,
    open_around_the_clock,
    ready_list,
    working_campaign,
)
from scripts.tests.factories import branching_script

pytestmark = pytest.mark.django_db
NOW = WEDNESDAY_2PM


def held_entry(operator, *, required=True, script=None):
    campaign = working_campaign(
        operators=[operator], policy=japan_standard(disclosure_required=required), script=script
    )
    one = entry(ready_list(campaign))
    assert dispatch_next(operator=operator, now=NOW).pk == one.pk
    return one


def log(one, operator, code, **fields):
    return record_outcome(
        entry=one,
        operator=operator,
        disposition=Disposition.objects.get(code=code),
        started_at=NOW,
        ended_at=NOW + dt.timedelta(seconds=60),
        now=NOW + dt.timedelta(minutes=1),
        **fields,
    )


def test_a_contact_outcome_without_the_disclosure_is_refused_and_nothing_is_stored(operator):
    one = held_entry(operator)
    for language, words in (("en", "mandatory disclosure"), ("ja", "冒頭の開示が必須")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            log(one, operator, "refused")
        assert words in " ".join(caught.value.message_dict["disclosure_confirmed"])
    assert not CallAttempt.objects.filter(entry=one).exists()
    one.refresh_from_db()
    assert one.status == CallListEntry.Status.HELD


def test_a_confirmed_disclosure_is_recorded_on_the_attempt(operator):
    one = held_entry(operator)
    attempt = log(one, operator, "success", disclosure_confirmed=True).attempt
    assert CallAttempt.objects.get(pk=attempt.pk).disclosure_confirmed is True


def test_the_scripts_disclosure_step_confirms_it(operator):
    version = branching_script()
    one = held_entry(operator, script=version.script)
    answers = {"opening": True, "interest": "no"}
    attempt = log(one, operator, "refused", script_version=version, answers=answers).attempt
    assert CallAttempt.objects.get(pk=attempt.pk).disclosure_confirmed is True


def test_no_contact_outcomes_need_no_disclosure_and_record_it_as_not_confirmed(operator):
    one = held_entry(operator)
    attempt = log(one, operator, "no_answer").attempt
    assert CallAttempt.objects.get(pk=attempt.pk).disclosure_confirmed is False


def test_without_the_policy_field_a_conversation_is_logged_without_it(operator):
    one = held_entry(operator, required=False)
    attempt = log(one, operator, "refused").attempt
    assert CallAttempt.objects.get(pk=attempt.pk).disclosure_confirmed is False


def test_the_api_refuses_it_with_the_message_and_accepts_the_confirmation(operator, api_as):
    policy = open_around_the_clock(disclosure_required=True)
    campaign = working_campaign(operators=[operator], policy=policy)
    one = entry(ready_list(campaign))
    assert dispatch_next(operator=operator).pk == one.pk
    client = api_as(operator)
    now = timezone.now()
    body = {
        "entry": one.pk,
        "disposition": "refused",
        "started_at": (now - dt.timedelta(minutes=1)).isoformat(),
        "ended_at": now.isoformat(),
    }
    refused = client.post("/api/v1/attempts/", body, format="json", HTTP_ACCEPT_LANGUAGE="ja")
    assert refused.status_code == 400, refused.json()
    assert "冒頭の開示" in refused.json()["errors"]["disclosure_confirmed"][0]
    accepted = client.post("/api/v1/attempts/", {**body, "disclosure_confirmed": True}, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert CallAttempt.objects.get(pk=accepted.json()["id"]).disclosure_confirmed is True


def test_the_console_asks_for_it_without_a_script_and_refuses_without_it(operator, login):
    policy = open_around_the_clock(disclosure_required=True)
    campaign = working_campaign(operators=[operator], policy=policy)
    one = entry(ready_list(campaign))
    assert dispatch_next(operator=operator).pk == one.pk
    client = login(operator)
    page = client.get(reverse("campaigns:console")).content.decode()
    assert 'data-testid="disclosure-box"' in page
    posted = client.post(reverse("campaigns:console_outcome", args=[one.pk]), {"disposition": "refused"})
    assert posted.status_code == 400
    assert "冒頭の開示が必須" in posted.content.decode() or "mandatory disclosure" in posted.content.decode()
    saved = client.post(
        reverse("campaigns:console_outcome", args=[one.pk]), {"disposition": "refused", "disclosure_confirmed": "on"}
    )
    assert saved.status_code == 302
    assert CallAttempt.objects.get(entry=one).disclosure_confirmed is True
