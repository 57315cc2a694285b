"""Each campaign's own outcome set: copied from the default set, keys that stay with their
outcome, a grid that never grows past what the console shows, labels no two outcomes share, and
the console and the API offering only the campaign's set."""

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from callcenter.audit import AuditEvent
from campaigns.models import CallAttempt, CampaignOutcome, Disposition
from campaigns.models.dispositions import MAX_CAMPAIGN_OUTCOMES
from campaigns.services import outcome_sets
from campaigns.services.campaigns import save_campaign
from campaigns.services.dispatch import dispatch_next
from campaigns.services.outcomes import record_outcome
from campaigns.services.policies import save_disposition
from campaigns.tests.factories import CampaignFactory, DispositionFactory
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from conftest import another_transaction, race

pytestmark = pytest.mark.django_db


def keys(campaign) -> dict[str, str]:
    return {row.disposition.code: row.key for row in outcome_sets.campaign_outcomes(campaign)}


@pytest.fixture
def campaign(reference_data, supervisor):
    from campaigns.models import Campaign

    made = Campaign(name="秋の掘り起こし", purpose="reactivation")
    save_campaign(campaign=made, by=supervisor)
    return made


def test_a_new_campaign_starts_with_the_default_set_on_its_usual_keys(campaign):
    assert keys(campaign) == {
        "no_answer": "1",
        "busy": "2",
        "voicemail": "3",
        "invalid_number": "4",
        "wrong_person": "5",
        "callback": "6",
        "refused": "7",
        "success": "8",
        "dnc_request": "9",
        "hung_up": "0",
        "appointment": "A",
    }
    assert [row.key for row in outcome_sets.campaign_outcomes(campaign)] == list("1234567890A")


def test_a_collections_campaign_also_starts_with_the_promise_to_pay(reference_data, supervisor):
    from campaigns.models import Campaign

    made = Campaign(name="督促 1月", purpose="collections")
    save_campaign(campaign=made, by=supervisor)
    assert keys(made)["promise_to_pay"] == "P"
    assert len(keys(made)) == MAX_CAMPAIGN_OUTCOMES


def test_a_key_stays_with_its_outcome_when_others_come_and_go(campaign, supervisor):
    visit = DispositionFactory(code="visit", label="Visit booked", label_ja="訪問予約", is_contact=True)
    outcome_sets.remove_outcome(campaign=campaign, disposition=Disposition.objects.get(code="voicemail"), by=supervisor)
    outcome_sets.add_outcome(campaign=campaign, disposition=visit, key="v", by=supervisor)
    after = keys(campaign)
    assert after["visit"] == "V"
    assert "voicemail" not in after
    assert after["success"] == "8" and after["hung_up"] == "0" and after["busy"] == "2"
    # Editing the default set later changes no existing campaign.
    Disposition.objects.filter(code="busy").update(default_key="")
    assert keys(campaign)["busy"] == "2"
    actions = set(
        AuditEvent.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"campaign.outcome_added", "campaign.outcome_removed"} <= actions


def test_another_campaigns_outcome_and_inactive_ones_are_not_offered(campaign, supervisor):
    other = CampaignFactory(name="別キャンペーン")
    extra = DispositionFactory(code="paid", label="Paid", label_ja="入金済み")
    outcome_sets.add_outcome(campaign=other, disposition=extra, key="P", by=supervisor)
    assert "paid" not in keys(campaign)
    assert keys(other)["paid"] == "P"
    Disposition.objects.filter(code="busy").update(active=False)
    offered = [row.disposition.code for row in outcome_sets.campaign_outcomes(campaign, active_only=True)]
    assert "busy" not in offered and "no_answer" in offered


@pytest.mark.parametrize(
    "key, message",
    [
        ("N", "N はコンソールのショートカットです"),
        ("D", "D はコンソールのショートカットです"),
        ("A", "A はコンソールのショートカットです"),  # the appointment outcome's own
        ("#", "キーは数字 1 文字"),
        ("12", "キーは数字 1 文字"),
        ("1", "キー 1 は 不在・応答なし が使っています"),
    ],
)
def test_a_key_that_is_a_console_shortcut_malformed_or_taken_is_refused(campaign, supervisor, key, message):
    extra = DispositionFactory(code="paid", label="Paid", label_ja="入金済み")
    with pytest.raises(ValidationError) as refused:
        outcome_sets.add_outcome(campaign=campaign, disposition=extra, key=key, by=supervisor)
    assert message in refused.value.message_dict["key"][0]
    assert "paid" not in keys(campaign)


def test_changing_a_key_moves_only_that_outcome(campaign, supervisor):
    busy = Disposition.objects.get(code="busy")
    outcome_sets.change_key(campaign=campaign, disposition=busy, key="z", by=supervisor)
    after = keys(campaign)
    assert after["busy"] == "Z" and after["no_answer"] == "1" and after["voicemail"] == "3"
    with pytest.raises(ValidationError) as refused:
        outcome_sets.change_key(campaign=campaign, disposition=busy, key="8", by=supervisor)
    assert "成約・承諾" in refused.value.message_dict["key"][0]


def test_the_set_never_grows_past_what_the_console_grid_shows(campaign, supervisor):
    for n, key in zip(range(MAX_CAMPAIGN_OUTCOMES - 11), "FGJ", strict=False):
        outcome_sets.add_outcome(
            campaign=campaign,
            disposition=DispositionFactory(code=f"extra_{n}", label=f"Extra {n}", label_ja=f"追加{n}"),
            key=key,
            by=supervisor,
        )
    assert len(keys(campaign)) == MAX_CAMPAIGN_OUTCOMES
    with pytest.raises(ValidationError) as refused:
        outcome_sets.add_outcome(
            campaign=campaign,
            disposition=DispositionFactory(code="one_more", label="One more", label_ja="もう一つ"),
            key="K",
            by=supervisor,
        )
    assert "最大 12 個" in refused.value.message_dict["disposition"][0]


def test_the_last_outcome_cannot_be_removed(campaign, supervisor):
    for row in outcome_sets.campaign_outcomes(campaign)[1:]:
        outcome_sets.remove_outcome(campaign=campaign, disposition=row.disposition, by=supervisor)
    with pytest.raises(ValidationError):
        outcome_sets.remove_outcome(
            campaign=campaign, disposition=Disposition.objects.get(code="no_answer"), by=supervisor
        )
    assert list(keys(campaign)) == ["no_answer"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_two_supervisors_filling_the_last_place_at_once_leave_the_set_at_its_limit(reference_data, supervisor):
    campaign = CampaignFactory(name="同時追加")
    assert CampaignOutcome.objects.filter(campaign=campaign).count() == MAX_CAMPAIGN_OUTCOMES - 1
    a = DispositionFactory(code="second_a", label="Second A", label_ja="二つ目A")
    b = DispositionFactory(code="second_b", label="Second B", label_ja="二つ目B")
    results = race(
        [
            lambda: outcome_sets.add_outcome(campaign=campaign, disposition=a, key="F", by=supervisor),
            lambda: outcome_sets.add_outcome(campaign=campaign, disposition=b, key="G", by=supervisor),
        ]
    )
    assert sum(isinstance(result, ValidationError) for result in results) == 1
    assert CampaignOutcome.objects.filter(campaign=campaign).count() == MAX_CAMPAIGN_OUTCOMES


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_key_taken_meanwhile_is_refused_by_the_constraint_with_a_clear_message(reference_data, supervisor):
    campaign = CampaignFactory(name="同時キー")
    a = DispositionFactory(code="paid", label="Paid", label_ja="入金済み")
    b = DispositionFactory(code="promised", label="Promised", label_ja="入金約束")
    # The other request inserts without the campaign lock (as a direct write would): the unique
    # constraint is what refuses the second one.
    with another_transaction(
        lambda: CampaignOutcome.objects.create(campaign=campaign, disposition=a, key="P"), commit_once_waited_on=True
    ):
        with pytest.raises(ValidationError) as refused:
            outcome_sets.add_outcome(campaign=campaign, disposition=b, key="P", by=supervisor)
    assert "入金済み" in refused.value.message_dict["key"][0]


# ---------------------------------------------------------------- labels


def test_a_label_used_by_another_outcome_is_refused_in_both_languages(reference_data, supervisor, settings):
    from django.utils import translation

    for language, label, label_ja, field, message in [
        ("ja", "Line busy", "話し中", "label_ja", "結果 busy の名前は既に 話し中 です"),
        ("en", "BUSY", "回線混雑", "label", "The outcome busy is already called BUSY"),
    ]:
        with translation.override(language), pytest.raises(ValidationError) as refused:
            save_disposition(disposition=Disposition(code="busy2", label=label, label_ja=label_ja), by=supervisor)
        assert message in refused.value.message_dict[field][0]
    assert not Disposition.objects.filter(code="busy2").exists()


def test_the_outcome_form_and_api_refuse_a_duplicate_label(login, api_as, supervisor, reference_data):
    response = login(supervisor).post(
        reverse("campaigns:disposition_create"),
        {"code": "busy_again", "label": "Busy again", "label_ja": "話し中", "position": "5"},
    )
    assert response.status_code == 200
    assert "既に 話し中 です" in response.context["form"].errors["label_ja"][0]
    answer = api_as(supervisor).post(
        "/api/v1/dispositions/", {"code": "busy_again", "label": "busy", "label_ja": "話し中 2"}, format="json"
    )
    assert answer.status_code == 400
    assert "label" in answer.json()["errors"]
    assert not Disposition.objects.filter(code="busy_again").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_label_taken_meanwhile_is_refused_by_the_constraint(reference_data, supervisor):
    with another_transaction(
        lambda: Disposition.objects.create(code="pay_later", label="Will pay later", label_ja="後日入金"),
        commit_once_waited_on=True,
    ):
        with pytest.raises(ValidationError) as refused:
            save_disposition(
                disposition=Disposition(code="pay_later2", label="Pays later", label_ja="後日入金"), by=supervisor
            )
    assert "label_ja" in refused.value.message_dict
    assert Disposition.objects.filter(label_ja="後日入金").count() == 1


# ---------------------------------------------------------------- the console and the API


@pytest.fixture
def held(reference_data, operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="鍵のテスト")
    one = entry(ready_list(campaign))
    assert dispatch_next(operator=operator).pk == one.pk
    return one


def test_an_outcome_outside_the_campaigns_set_is_refused_and_records_nothing(held, operator, supervisor):
    outsider = DispositionFactory(code="paid", label="Paid", label_ja="入金済み")
    with pytest.raises(ValidationError) as refused:
        record_outcome(entry=held, operator=operator, disposition=outsider)
    assert refused.value.message_dict["disposition"] == ["この結果はこのキャンペーンの結果にありません。"]
    assert not CallAttempt.objects.exists()
    outcome_sets.add_outcome(campaign=held.campaign, disposition=outsider, key="P", by=supervisor)
    record_outcome(entry=held, operator=operator, disposition=outsider)
    assert CallAttempt.objects.get().disposition == outsider


def test_the_console_grid_shows_the_campaigns_set_on_its_keys(held, operator, supervisor, login):
    paid = DispositionFactory(code="paid", label="Paid", label_ja="入金済み")
    outcome_sets.add_outcome(campaign=held.campaign, disposition=paid, key="P", by=supervisor)
    outcome_sets.remove_outcome(
        campaign=held.campaign, disposition=Disposition.objects.get(code="voicemail"), by=supervisor
    )
    DispositionFactory(code="elsewhere", label="Elsewhere", label_ja="他キャンペーン用")
    page = login(operator).get(reverse("campaigns:console")).content.decode()
    assert 'data-key="P"' in page and "入金済み" in page
    assert "留守番電話" not in page and "他キャンペーン用" not in page
    assert (
        page.index('data-key="9"')
        < page.index('data-key="0"')
        < page.index('data-key="A"')
        < page.index('data-key="P"')
    )
    assert 'value="dnc_request"' in page and 'data-dnc="1"' in page


def test_the_outcome_api_lists_adds_moves_and_removes(api_as, supervisor, operator, held):
    campaign = held.campaign
    url = f"/api/v1/campaigns/{campaign.pk}/outcomes/"
    listed = api_as(operator).get(url)
    assert listed.status_code == 200
    assert [row["key"] for row in listed.json()] == list("1234567890A")
    assert listed.json()[0] == {
        "code": "no_answer",
        "label": "No answer",
        "label_ja": "不在・応答なし",
        "key": "1",
        "is_contact": False,
        "is_success": False,
        "closes_entry": False,
        "adds_dnc": False,
        "is_callback": False,
        "active": True,
    }
    client = api_as(supervisor)
    DispositionFactory(code="paid", label="Paid", label_ja="入金済み")
    added = client.post(url, {"disposition": "paid", "key": "p"}, format="json")
    assert added.status_code == 201 and added.json()["key"] == "P"
    taken = client.post(url, {"disposition": "callback", "key": "P"}, format="json")
    assert taken.status_code == 400 and "disposition" in taken.json()["errors"]
    moved = client.patch(url + "busy/", {"key": "Z"}, format="json")
    assert moved.status_code == 200 and moved.json()["key"] == "Z"
    shortcut = client.patch(url + "busy/", {"key": "N"}, format="json")
    assert shortcut.status_code == 400 and "key" in shortcut.json()["errors"]
    assert client.delete(url + "paid/").status_code == 204
    assert client.delete(url + "paid/").status_code == 404
    assert [row["code"] for row in client.get(url).json()][-1] == "busy"


def test_an_operator_reads_only_the_outcomes_of_their_own_campaigns(api_as, operator, reference_data):
    elsewhere = CampaignFactory(name="他人のキャンペーン")
    assert api_as(operator).get(f"/api/v1/campaigns/{elsewhere.pk}/outcomes/").status_code == 404


# ---------------------------------------------------------------- the migration


def test_the_migration_gives_existing_campaigns_their_set_and_tells_duplicate_labels_apart(reference_data, operator):
    migration = import_module("campaigns.migrations.0010_campaign_outcome_sets")
    campaign = CampaignFactory(name="移行前", outcomes=False)
    used = DispositionFactory(code="visit", label="Visit booked", label_ja="訪問予約", is_contact=True)
    DispositionFactory(code="unused", label="Unused", label_ja="未使用")
    one = entry(ready_list(campaign))
    CallAttempt.objects.create(
        entry=one,
        call_list=one.call_list,
        campaign=campaign,
        customer=one.customer,
        operator=operator,
        phone=one.phone,
        disposition=used,
        started_at=dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 11, 1, 10, 1, tzinfo=dt.UTC),
    )
    with connection.cursor() as cursor:  # rolled back with the test: the state before the migration
        cursor.execute("DROP INDEX disposition_label_ja_unique")
    twin = DispositionFactory(code="busy_2", label="Busy 2", label_ja="話し中")

    migration.give_campaigns_their_outcome_sets(apps, None)

    assert keys(campaign) == {**keys_of_default_set(), "visit": "F"}
    twin.refresh_from_db()
    assert twin.label_ja == "話し中 (busy_2)"
    assert Disposition.objects.get(code="busy").label_ja == "話し中"


def keys_of_default_set():
    return {d.code: key for d, key in outcome_sets.default_set()}
