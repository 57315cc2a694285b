"""Campaign life cycle: status guards, dates applied by the Celery task, and races."""

import datetime
import threading
import time

import pytest
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.models import CallList, CallListEntry, Campaign, Disposition
from campaigns.services.campaigns import (
    CampaignStateError,
    activate_campaign,
    apply_campaign_dates,
    finish_campaign,
    pause_campaign,
)
from campaigns.services.lists import change_list_status, create_call_list, recycle_call_list, run_call_list_build
from campaigns.tests.factories import (
    CallingPolicyFactory,
    CallListEntryFactory,
    CallListFactory,
    CampaignFactory,
    make_ready_to_go,
    published_script,
)
from conftest import RACE_TIMEOUT, a_lock_is_waited_for, another_transaction, in_thread
from contacts.tests.factories import CustomerFactory

TODAY = timezone.localdate


@pytest.mark.django_db
def test_activation_needs_policy_list_operator_and_script(supervisor, operator):
    campaign = CampaignFactory(policy=None)
    with pytest.raises(CampaignStateError) as error:
        activate_campaign(campaign=campaign, by=supervisor)
    assert len(error.value.problems) == 4  # policy, list, operators, script
    campaign.policy = CallingPolicyFactory()
    campaign.save()
    CallListFactory(campaign=campaign, status=CallList.Status.BUILDING)  # not built yet: does not count
    CallListFactory(campaign=campaign)  # built, but nobody to call in it: does not count either
    with pytest.raises(CampaignStateError) as error:
        activate_campaign(campaign=campaign, by=supervisor)
    assert len(error.value.problems) == 3
    make_ready_to_go(campaign)
    campaign.operators.add(operator)
    assert activate_campaign(campaign=campaign, by=supervisor).status == "active"
    event = AuditEvent.objects.get(action="campaign.activate")
    assert event.actor == supervisor and event.data["previous"] == "draft"


@pytest.mark.django_db
def test_finished_is_final_and_closes_the_lists(supervisor, operator):
    campaign = CampaignFactory(operators=[operator])
    call_list = make_ready_to_go(campaign)
    activate_campaign(campaign=campaign, by=supervisor)
    with pytest.raises(CampaignStateError):
        pause_campaign(campaign=CampaignFactory(), by=supervisor)  # a draft cannot be paused
    pause_campaign(campaign=campaign, by=supervisor)
    assert activate_campaign(campaign=campaign, by=supervisor).status == "active"  # resume
    finish_campaign(campaign=campaign, by=supervisor)
    call_list.refresh_from_db()
    assert call_list.status == "closed"
    for action in (activate_campaign, pause_campaign):
        with pytest.raises(CampaignStateError):
            action(campaign=campaign, by=supervisor)
    assert Campaign.objects.get(pk=campaign.pk).status == "finished"


@pytest.mark.django_db
def test_only_an_active_campaigns_open_lists_are_dialed(supervisor, operator):
    """The status guards reach dispatch: a paused campaign, a paused list, a campaign before its
    start or after its end, and a finished one hand out nothing; resuming brings the calls back."""
    from campaigns.services.dispatch import dispatch_next
    from campaigns.tests.factories_console import WEDNESDAY_2PM, entry, ready_list, working_campaign

    campaign = working_campaign(operators=[operator], script=published_script())
    call_list = ready_list(campaign)
    waiting = entry(call_list)

    def dialed():
        # The entry waits afresh each time (finishing cancels it: put back, only the status stops it).
        CallListEntry.objects.filter(pk=waiting.pk).update(
            status="pending", held_by=None, held_until=None, held_at=None
        )
        return dispatch_next(operator=operator, now=WEDNESDAY_2PM) is not None

    assert dialed()
    pause_campaign(campaign=campaign, by=supervisor)
    assert not dialed()
    activate_campaign(campaign=campaign, by=supervisor)
    change_list_status(call_list=call_list, action="pause", by=supervisor)
    assert not dialed()
    change_list_status(call_list=call_list, action="resume", by=supervisor)
    assert dialed()
    day = WEDNESDAY_2PM.date()
    Campaign.objects.filter(pk=campaign.pk).update(starts_on=day + datetime.timedelta(days=1))
    assert not dialed()
    Campaign.objects.filter(pk=campaign.pk).update(starts_on=None, ends_on=day - datetime.timedelta(days=1))
    assert not dialed()
    Campaign.objects.filter(pk=campaign.pk).update(ends_on=day)  # the end date is the last calling day
    assert dialed()
    finish_campaign(campaign=campaign, by=supervisor)
    assert not dialed()


@pytest.mark.django_db
def test_activation_is_refused_after_the_end_date(supervisor, operator):
    campaign = CampaignFactory(operators=[operator], ends_on=TODAY() - datetime.timedelta(days=1))
    make_ready_to_go(campaign)
    with pytest.raises(CampaignStateError):
        activate_campaign(campaign=campaign, by=supervisor)


@pytest.mark.django_db
def test_dates_start_and_finish_campaigns_once(operator):
    today = TODAY()
    ready = CampaignFactory(operators=[operator], starts_on=today)
    make_ready_to_go(ready)
    not_ready = CampaignFactory(starts_on=today - datetime.timedelta(days=2))  # no list, no operator
    future = CampaignFactory(operators=[operator], starts_on=today + datetime.timedelta(days=1))
    make_ready_to_go(future)
    ending = CampaignFactory(status="active", ends_on=today - datetime.timedelta(days=1))
    last_day = CampaignFactory(status="active", ends_on=today)
    result = apply_campaign_dates()
    assert result == {"started": [ready.pk], "finished": [ending.pk], "not_started": [not_ready.pk]}
    statuses = dict(Campaign.objects.values_list("pk", "status"))
    assert statuses[ready.pk] == "active" and statuses[not_ready.pk] == "draft" and statuses[future.pk] == "draft"
    assert statuses[ending.pk] == "finished" and statuses[last_day.pk] == "active"
    # Running again changes nothing and explains the blocked start only once a day.
    assert apply_campaign_dates() == {"started": [], "finished": [], "not_started": [not_ready.pk]}
    assert AuditEvent.objects.filter(action="campaign.start_blocked").count() == 1
    # A supervisor's pause is not undone by the start date.
    pause_campaign(campaign=ready, by=None)
    apply_campaign_dates()
    assert Campaign.objects.get(pk=ready.pk).status == "paused"


@pytest.mark.django_db
def test_dates_are_applied_within_a_minute_of_the_centers_midnight(operator, monkeypatch, settings):
    """Beat runs the task every minute, and the day is the center's (Asia/Tokyo): 00:30 in Tokyo
    is still the previous day in UTC, when a UTC date would start the campaign 9 hours late
    and let it call a day after its last day."""
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "campaigns.tasks.setup.apply_campaign_dates_task"
    )
    assert entry["schedule"] <= 60
    assert settings.TIME_ZONE == "Asia/Tokyo"
    starting = CampaignFactory(operators=[operator], starts_on=datetime.date(2026, 12, 1))
    make_ready_to_go(starting)
    ended = CampaignFactory(status="active", ends_on=datetime.date(2026, 11, 30))
    half_past_midnight_in_tokyo = datetime.datetime(2026, 11, 30, 15, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: half_past_midnight_in_tokyo)
    assert apply_campaign_dates() == {"started": [starting.pk], "finished": [ended.pk], "not_started": []}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_celery_task_applies_the_dates(celery_worker_process, reference_data):
    from django.contrib.auth.models import Group

    from campaigns.tasks.setup import apply_campaign_dates_task
    from conftest import make_user

    operator = make_user("op_worker", "operator")
    assert Group.objects.filter(name="Operator").exists()
    today = TODAY()
    starting = CampaignFactory(operators=[operator], starts_on=today)
    make_ready_to_go(starting)
    ending = CampaignFactory(status="active", ends_on=today - datetime.timedelta(days=3))
    apply_campaign_dates_task.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        statuses = dict(Campaign.objects.filter(pk__in=[starting.pk, ending.pk]).values_list("pk", "status"))
        if statuses == {starting.pk: "active", ending.pk: "finished"}:
            break
        time.sleep(0.2)
    assert statuses == {starting.pk: "active", ending.pk: "finished"}
    assert AuditEvent.objects.filter(action="campaign.activate", object_id=str(starting.pk), actor=None).exists()


# ---------------------------------------------------------------- races


def overlap(first, second):
    """Run `first` in a transaction that stays open until `second` either waits for one of its
    locks or is done, so the two really overlap; then commit `first`. Both results."""
    with another_transaction(first, commit_once_waited_on=True) as first_result:
        second_result = second()
    return first_result, second_result


@pytest.mark.django_db(transaction=True)
def test_two_builds_racing_on_one_campaign_never_list_a_customer_twice(reference_data):
    campaign = CampaignFactory(policy=CallingPolicyFactory())
    tag = f"race-{campaign.pk}"  # only this test's customers, whatever another test left behind
    criteria = {"match": "all", "rules": [{"field": "tag", "op": "eq", "value": tag}]}
    customers = [CustomerFactory(tags=[tag]) for _ in range(40)]
    first = create_call_list(campaign=campaign, name="A", by=None, criteria=criteria)
    second = create_call_list(campaign=campaign, name="B", by=None, criteria=criteria)
    built = overlap(
        lambda: run_call_list_build(call_list_id=first.pk), lambda: run_call_list_build(call_list_id=second.pk)
    )
    assert all(b.status == "ready" for b in built)
    entries = CallListEntry.objects.filter(campaign=campaign)
    assert entries.count() == len(customers)
    assert entries.values("customer").distinct().count() == len(customers)
    # One list got everyone; the other counted them as already listed.
    included = sorted(CallList.objects.get(pk=b.pk).counts["included"] for b in built)
    assert included == [0, len(customers)]


@pytest.mark.django_db(transaction=True)
def test_two_recycles_racing_reset_each_entry_once(reference_data, supervisor):
    # (Row locks alone would also stop a double reset; the campaign lock makes the second
    # recycle see the first one's result, so its own counts are right.)
    call_list = CallListFactory(campaign=CampaignFactory(policy=CallingPolicyFactory()))
    no_answer = Disposition.objects.get(code="no_answer")
    for _ in range(30):
        CallListEntryFactory(call_list=call_list, status="exhausted", last_disposition=no_answer, attempts=6)
    results = overlap(
        lambda: recycle_call_list(call_list=call_list, disposition_codes=["no_answer"], by=supervisor),
        lambda: recycle_call_list(call_list=call_list, disposition_codes=["no_answer"], by=supervisor),
    )
    assert sorted(r["reset"] for r in results) == [0, 30]
    assert call_list.entries.filter(status="pending", attempts=0).count() == 30


@pytest.mark.django_db(transaction=True)
def test_finishing_a_campaign_while_one_of_its_lists_is_built_does_not_deadlock(
    reference_data, monkeypatch, supervisor
):
    """The build inserts the entries (their foreign key to the campaign is checked when the build
    commits, with a key-share lock on the campaign row) while it holds its list's row. Finishing
    locks the campaign row and then waits for that list to close it. A plain FOR UPDATE on the
    campaign blocks the build's key-share check: each waits for the other (a deadlock, one of
    them fails). Finishing must wait for the build, then close the list and cancel its entries."""
    from campaigns.services import lists

    campaign = CampaignFactory(policy=CallingPolicyFactory())
    tag = f"finish-race-{campaign.pk}"
    for _ in range(5):
        CustomerFactory(tags=[tag])
    call_list = create_call_list(
        campaign=campaign,
        name="A",
        by=None,
        criteria={"match": "all", "rules": [{"field": "tag", "op": "eq", "value": tag}]},
    )
    inserted = threading.Event()
    insert_entries = lists._insert_entries

    def insert_then_wait(**kwargs):
        counts = insert_entries(**kwargs)
        inserted.set()
        assert a_lock_is_waited_for()  # the finish is now waiting for this list's row
        return counts

    monkeypatch.setattr(lists, "_insert_entries", insert_then_wait)
    build = in_thread(run_call_list_build, call_list_id=call_list.pk)
    try:
        assert inserted.wait(RACE_TIMEOUT)
        finish_campaign(campaign=campaign, by=supervisor, reason="test")
    finally:
        inserted.set()
        build()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.FINISHED
    assert CallList.objects.get(pk=call_list.pk).status == CallList.Status.CLOSED
    assert set(CallListEntry.objects.filter(call_list=call_list).values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.django_db
def test_saving_a_campaign_never_writes_back_a_status_changed_meanwhile(supervisor, operator):
    """The edit (page or API) reads the campaign, then saves it. A transition committed in between
    (beat finishing it at its end date, another supervisor) must not be undone by the save."""
    from campaigns.services.campaigns import save_campaign

    campaign = CampaignFactory(operators=[operator])
    make_ready_to_go(campaign)
    activate_campaign(campaign=campaign, by=supervisor)
    being_edited = Campaign.objects.get(pk=campaign.pk)  # the edit request's copy: active
    finish_campaign(campaign=campaign, by=supervisor)  # committed meanwhile

    being_edited.description = "新しい説明"
    save_campaign(campaign=being_edited, by=supervisor, changed=["description"])

    saved = Campaign.objects.get(pk=campaign.pk)
    assert (saved.status, saved.description) == ("finished", "新しい説明")


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_committed_while_a_build_runs_is_never_called(reference_data, operator):
    """The build reads the registry in its own statement; an opt-out committed after that
    statement started (while the build's transaction is still open) cannot be in its snapshot.
    Rule 1 still holds: dispatch re-checks the registry before every call, so the entry the
    build wrote for that customer is never handed out, while the others are."""
    from campaigns.services.dispatch import dispatch_next
    from campaigns.tests.factories_console import WEDNESDAY_2PM
    from contacts.services.dnc import register_dnc

    campaign = CampaignFactory(policy=CallingPolicyFactory(), status="active", operators=[operator])
    tag = f"optout-{campaign.pk}"
    criteria = {"match": "all", "rules": [{"field": "tag", "op": "eq", "value": tag}]}
    opting_out, other = CustomerFactory(tags=[tag]), CustomerFactory(tags=[tag])
    call_list = create_call_list(campaign=campaign, name="A", by=None, criteria=criteria)
    overlap(
        lambda: run_call_list_build(call_list_id=call_list.pk, at=WEDNESDAY_2PM - datetime.timedelta(hours=1)),
        lambda: register_dnc(by=None, reason="customer_request", source="inbound", customer=opting_out),
    )
    handed_out = []
    while (entry := dispatch_next(operator=operator, now=WEDNESDAY_2PM)) is not None:
        handed_out.append(entry.customer_id)
        CallListEntry.objects.filter(pk=entry.pk).update(status="done", held_by=None, held_until=None)
    assert handed_out == [other.pk]
    assert set(call_list.entries.values_list("customer_id", flat=True)) == {opting_out.pk, other.pk}, (
        "the race happened"
    )
