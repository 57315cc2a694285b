"""Best time to call: the heat map's data picks the hours when a segment answers, and a policy that
prefers them moves the next attempt into the next allowed one of those hours."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Disposition
from campaigns.selectors.kpis.best_hours import HeatCell, best_hours, next_best_hour, pick_best_hours
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.services.scheduling import compute_next_attempt_at
from campaigns.tests.factories import CallingPolicyFactory, CallListEntryFactory, CallListFactory, CampaignFactory
from campaigns.tests.factories_kpis import at, make_attempt, make_operator
from conftest import in_thread
from contacts.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def test_pick_best_hours_needs_enough_dials_and_an_above_average_rate():
    grid = {
        (0, 18): HeatCell(dials=20, contacts=10),  # 50 %
        (0, 10): HeatCell(dials=20, contacts=2),  # 10 %
        (1, 19): HeatCell(dials=40, contacts=14),  # 35 %, above the 26 % average
        (2, 11): HeatCell(dials=5, contacts=5),  # 100 % but only 5 dials
    }
    assert pick_best_hours(grid, min_dials=20) == {(0, 18), (1, 19)}
    assert pick_best_hours(grid, min_dials=50) == set()
    assert pick_best_hours({}, min_dials=1) == set()


def test_next_best_hour_takes_the_first_allowed_best_slot():
    tz = timezone.get_default_timezone()
    monday_9 = datetime.datetime(2025, 6, 2, 9, 30, tzinfo=tz)
    always = lambda moment: moment  # noqa: E731
    found = next_best_hour(best={(0, 18), (2, 10)}, earliest=monday_9, allowed_from=always)
    assert found == datetime.datetime(2025, 6, 2, 18, 0, tzinfo=tz)

    # a window closing at 17:00 rules out Monday 18:00: Wednesday 10:00
    def before_17(moment):
        local = moment.astimezone(tz)
        if local.hour < 17:
            return moment
        return (local + datetime.timedelta(days=1)).replace(hour=9, minute=0)

    found = next_best_hour(best={(0, 18), (2, 10)}, earliest=monday_9, allowed_from=before_17)
    assert found.astimezone(tz) == datetime.datetime(2025, 6, 4, 10, 0, tzinfo=tz)
    assert next_best_hour(best=set(), earliest=monday_9, allowed_from=always) is None
    assert next_best_hour(best={(0, 18)}, earliest=monday_9, allowed_from=lambda m: None) is None


@pytest.fixture
def answering_history(reference_data):
    """Over the last weeks this segment's customers picked up in the evening, rarely in the morning."""
    operator = make_operator("kpi_best_op")
    segment = SegmentFactory(name="Evening people")
    campaign = CampaignFactory(policy=CallingPolicyFactory(prefer_best_hours=True))
    call_list = CallListFactory(campaign=campaign, segment=segment)
    today = timezone.localdate()
    for days_ago in range(1, 29):
        day = today - datetime.timedelta(days=days_ago)
        for minute in range(0, 60, 6):  # 10 calls an hour
            evening = make_attempt(
                campaign=campaign,
                call_list=call_list,
                operator=operator,
                started_at=at(day, 19, minute),
                disposition="callback" if minute < 36 else "no_answer",
                talk=60 if minute < 36 else 0,
            )
            make_attempt(
                campaign=campaign,
                call_list=call_list,
                operator=operator,
                started_at=at(day, 10, minute),
                disposition="refused" if minute == 0 else "no_answer",
                talk=30 if minute == 0 else 0,
                customer=evening.customer,
            )
    refresh_kpi_rollups(now=timezone.now() + datetime.timedelta(minutes=1))
    return campaign, call_list, segment


def test_best_hours_from_the_rollups(answering_history):
    campaign, call_list, segment = answering_history
    best = best_hours(segment_id=segment.id)
    assert best and all(hour == 19 for _weekday, hour in best)
    assert best == best_hours(campaign_id=campaign.id)
    assert best_hours(segment_id=segment.id, min_dials=10_000) == set()
    assert best_hours(segment_id=SegmentFactory(name="Nobody called").id) == set()


def test_a_policy_preferring_best_hours_moves_the_retry_into_one(answering_history):
    campaign, call_list, segment = answering_history
    policy = campaign.policy
    tz = timezone.get_default_timezone()
    last = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    entry = CallListEntryFactory(
        call_list=call_list, attempts=1, last_attempt_at=last, last_disposition=Disposition.objects.get(code="busy")
    )  # retry after 30 minutes
    preferred = compute_next_attempt_at(entry=entry, policy=policy)
    assert preferred.astimezone(tz).hour == 19 and preferred > last

    policy.prefer_best_hours = False
    policy.save()
    plain = compute_next_attempt_at(entry=entry, policy=policy)
    assert plain == last + datetime.timedelta(minutes=30)
    assert plain < preferred

    # a callback the customer asked for keeps its time
    policy.prefer_best_hours = True
    policy.save()
    assert compute_next_attempt_at(entry=entry, policy=policy, callback=True) == plain


def test_without_history_the_preference_changes_nothing(reference_data):
    policy = CallingPolicyFactory(prefer_best_hours=True)
    call_list = CallListFactory(campaign=CampaignFactory(policy=policy), segment=SegmentFactory(name="New people"))
    last = timezone.now().replace(microsecond=0)
    entry = CallListEntryFactory(
        call_list=call_list, attempts=1, last_attempt_at=last, last_disposition=Disposition.objects.get(code="busy")
    )
    assert compute_next_attempt_at(entry=entry, policy=policy) == last + datetime.timedelta(minutes=30)


def test_best_hours_for_an_entry_are_read_once_a_day(answering_history, django_assert_num_queries):
    """Scheduling asks after every outcome; the answer changes once a day (it is judged on the
    days before today), so a repeat costs no query."""
    from campaigns.selectors.kpis.best_hours import best_hours_for_entry

    campaign, call_list, segment = answering_history
    entry = CallListEntryFactory(call_list=call_list)
    first = best_hours_for_entry(entry)
    assert first == best_hours(segment_id=segment.id)
    with django_assert_num_queries(0):
        assert best_hours_for_entry(entry) == first


@pytest.mark.django_db(transaction=True)
def test_the_retry_task_reads_the_best_hours_before_it_locks_the_entry(reference_data, monkeypatch):
    """The best hours come from Redis: a slow or hanging cache must not hold the entry's row lock
    (schedule_retry runs after every outcome). Checked from another connection, at the moment the
    best hours are read: the entry can still be locked by someone else."""
    from django.db import transaction

    from campaigns.models import CallListEntry
    from campaigns.selectors.kpis import best_hours as best_hours_selectors
    from campaigns.services.scheduling import schedule_retry

    campaign = CampaignFactory(policy=CallingPolicyFactory(prefer_best_hours=True))
    pending = CallListEntryFactory(
        call_list=CallListFactory(campaign=campaign),
        attempts=1,
        last_attempt_at=timezone.now() - datetime.timedelta(hours=1),
    )
    lock_free = []

    def free_to_lock():
        def probe():
            with transaction.atomic():
                return CallListEntry.objects.select_for_update(skip_locked=True).filter(pk=pending.pk).exists()

        return in_thread(probe)(timeout=10)

    def best_hours_for_entry(entry):
        lock_free.append(free_to_lock())
        return {(0, 19)}

    monkeypatch.setattr(best_hours_selectors, "best_hours_for_entry", best_hours_for_entry)
    schedule_retry(entry_id=pending.pk)
    assert lock_free == [True]


def test_prefer_best_hours_is_an_option_of_the_policy_in_the_form_and_the_api(supervisor, login, api_as):
    """The option "prefer the hours when this segment answers" is on the policy; a
    supervisor sets it on the policy page and through /api/v1/policies/."""
    from django.urls import reverse

    from campaigns.models import CallingPolicy

    page = login(supervisor).post(
        reverse("campaigns:policy_create"),
        {
            "name": "夕方優先",
            "call_window_start": "09:00",
            "call_window_end": "20:00",
            "weekdays": ["0", "1", "2", "3", "4", "5"],
            "holiday_country": "JP",
            "skip_holidays": "on",
            "max_attempts": "6",
            "max_attempts_per_day": "2",
            "min_gap_minutes": "120",
            "cap_attempts": "3",
            "cap_days": "7",
            "cooloff_days_after_contact": "7",
            "prefer_best_hours": "on",
        },
    )
    assert page.status_code == 302, page.context["form"].errors if page.context else page
    policy = CallingPolicy.objects.get(name="夕方優先")
    assert policy.prefer_best_hours is True

    api = api_as(supervisor)
    assert api.get(f"/api/v1/policies/{policy.id}/").json()["prefer_best_hours"] is True
    response = api.patch(f"/api/v1/policies/{policy.id}/", {"prefer_best_hours": False}, format="json")
    assert response.status_code == 200 and response.json()["prefer_best_hours"] is False
    policy.refresh_from_db()
    assert policy.prefer_best_hours is False
