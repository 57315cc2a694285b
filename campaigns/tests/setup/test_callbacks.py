"""The callbacks page: every waiting callback by campaign, operator and time with overdue ones
marked; reassigning many (to an operator of the campaign, or shared), moving one in time with the
calling rules still checked; audited; a callback being dialed is never changed under its call."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.models import CallListEntry
from campaigns.services import callbacks as service
from campaigns.services import scheduling
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, japan_standard, open_around_the_clock, ready_list, working_campaign
from conftest import make_user, race
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
Status = CallListEntry.Status


def callback(call_list, *, at, operator=None, name="折返 花子"):
    return entry(
        call_list,
        customer=CustomerFactory(name=name),
        status=Status.CALLBACK,
        callback_at=at,
        next_attempt_at=at,
        assigned_operator=operator,
        attempts=1,
    )


@pytest.fixture
def setup(operator, operator2):
    campaign = working_campaign(operators=[operator, operator2], policy=open_around_the_clock(), name="春の掘り起こし")
    return campaign, ready_list(campaign)


def test_the_page_lists_waiting_callbacks_with_overdue_marked(login, supervisor, operator, setup):
    _campaign, call_list = setup
    now = timezone.now()
    late = callback(call_list, at=now - dt.timedelta(hours=1), operator=operator, name="遅延 一郎")
    later = callback(call_list, at=now + dt.timedelta(hours=3), name="共有 二郎")
    entry(call_list, customer=CustomerFactory(name="完了 三郎"), status=Status.DONE)
    client = login(supervisor)
    page = client.get(reverse("campaigns:callback_list")).content.decode()
    assert page.index("遅延 一郎") < page.index("共有 二郎") and "完了 三郎" not in page
    assert page.count('data-testid="overdue"') == 1
    shared = client.get(reverse("campaigns:callback_list"), {"operator": "shared"}).content.decode()
    assert "共有 二郎" in shared and "遅延 一郎" not in shared
    overdue = client.get(reverse("campaigns:callback_list"), {"overdue": "on"}).content.decode()
    assert f'data-testid="callback-{late.pk}"' in overdue and f'data-testid="callback-{later.pk}"' not in overdue


def test_reassign_many_to_an_operator_or_shared(supervisor, operator, operator2, setup):
    campaign, call_list = setup
    at = timezone.now() + dt.timedelta(hours=2)
    first, second = callback(call_list, at=at, operator=operator), callback(call_list, at=at)
    result = service.reassign_callbacks(entry_ids=[first.pk, second.pk], operator=operator2, by=supervisor)
    assert sorted(result["moved"]) == [first.pk, second.pk] and result["refused"] == {}
    assert set(CallListEntry.objects.values_list("assigned_operator", flat=True)) == {operator2.pk}
    service.reassign_callbacks(entry_ids=[first.pk], operator=None, by=supervisor)
    assert CallListEntry.objects.get(pk=first.pk).assigned_operator is None
    events = AuditEvent.objects.filter(action=service.REASSIGNED, object_type="campaigns.calllistentry")
    assert events.count() == 3 and events.filter(actor=supervisor).count() == 3


def test_reassigning_many_takes_the_same_few_statements_as_reassigning_one(
    supervisor, operator, operator2, setup, django_assert_max_num_queries
):
    """Set-based: read-and-lock, the operator's campaigns, one UPDATE, one INSERT of the events (and
    the savepoint around them)."""
    campaign, call_list = setup
    at = timezone.now() + dt.timedelta(hours=2)
    entries = [callback(call_list, at=at, operator=operator) for _ in range(8)]
    with django_assert_max_num_queries(6):
        result = service.reassign_callbacks(entry_ids=[e.pk for e in entries], operator=operator2, by=supervisor)
    assert result["moved"] == sorted(e.pk for e in entries)
    events = AuditEvent.objects.filter(action=service.REASSIGNED)
    assert {(e.object_id, e.data["previous_operator"], e.data["operator"]) for e in events} == {
        (str(e.pk), operator.pk, operator2.pk) for e in entries
    }
    assert all(e.summary.startswith(f"{campaign.name}: → ") for e in events)


def test_reassign_refuses_an_operator_outside_the_campaign_and_a_callback_being_dialed(supervisor, operator, setup):
    _campaign, call_list = setup
    outsider = make_user("op_outside", "operator")
    at = timezone.now() + dt.timedelta(hours=2)
    waiting = callback(call_list, at=at, operator=operator)
    held = callback(call_list, at=at, operator=operator)
    CallListEntry.objects.filter(pk=held.pk).update(status=Status.HELD, held_by=operator)
    result = service.reassign_callbacks(entry_ids=[waiting.pk], operator=outsider, by=supervisor)
    assert result["moved"] == [] and waiting.pk in result["refused"]
    result = service.reassign_callbacks(entry_ids=[held.pk], operator=None, by=supervisor)
    assert result["moved"] == [] and held.pk in result["refused"]
    assert CallListEntry.objects.get(pk=held.pk).assigned_operator == operator


def test_moving_in_time_checks_the_calling_rules(supervisor, operator):
    policy = japan_standard()
    campaign = working_campaign(operators=[operator], policy=policy)
    tokyo = timezone.get_current_timezone()
    first_at = timezone.now() + dt.timedelta(days=1)
    waiting = callback(ready_list(campaign), at=first_at, operator=operator)
    late_evening = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=2), dt.time(22, 0), tzinfo=tokyo)
    with pytest.raises(ValidationError):
        service.move_callback(entry_id=waiting.pk, at=late_evening, by=supervisor)
    assert CallListEntry.objects.get(pk=waiting.pk).callback_at == first_at
    good = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=2), dt.time(10, 0), tzinfo=tokyo)
    while not scheduling.is_callable_at(policy, "Asia/Tokyo", good):  # a weekday that is no holiday
        good += dt.timedelta(days=1)
    moved = service.move_callback(entry_id=waiting.pk, at=good, by=supervisor)
    assert moved.callback_at == good and moved.next_attempt_at == good
    assert AuditEvent.objects.filter(action=service.MOVED, object_id=str(waiting.pk)).exists()


def test_pages_reassign_and_move(login, supervisor, operator, operator2, setup):
    _campaign, call_list = setup
    at = timezone.now() + dt.timedelta(hours=2)
    one, two = callback(call_list, at=at, operator=operator), callback(call_list, at=at, operator=operator)
    client = login(supervisor)
    response = client.post(
        reverse("campaigns:callback_reassign"), {"entries": [one.pk, two.pk], "operator": str(operator2.pk)}
    )
    assert response.status_code == 302
    assert set(CallListEntry.objects.values_list("assigned_operator", flat=True)) == {operator2.pk}
    new_time = timezone.localtime(at + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("campaigns:callback_move", args=[one.pk]), {"callback_at": new_time})
    assert timezone.localtime(CallListEntry.objects.get(pk=one.pk).callback_at).strftime("%Y-%m-%dT%H:%M") == new_time
    past = timezone.localtime(timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("campaigns:callback_move", args=[two.pk]), {"callback_at": past}, follow=True)
    assert "過去" in response.content.decode() or "past" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_reassignment_racing_a_dispatch_never_changes_a_callback_under_its_call(supervisor, operator, operator2):
    campaign = working_campaign(operators=[operator, operator2], policy=open_around_the_clock())
    waiting = callback(ready_list(campaign), at=timezone.now() - dt.timedelta(minutes=1), operator=operator)
    claimed, result = race(
        [
            lambda: dispatch_next(operator=operator, now=timezone.now()),
            lambda: service.reassign_callbacks(entry_ids=[waiting.pk], operator=operator2, by=supervisor),
        ]
    )
    final = CallListEntry.objects.get(pk=waiting.pk)
    if claimed is not None and claimed.pk == waiting.pk:
        # the call won: the callback is being dialed by its operator, the reassignment refused
        assert final.status == Status.HELD and final.held_by_id == operator.pk
        assert result["moved"] == [] and waiting.pk in result["refused"]
    else:
        # the reassignment won: operator1 no longer owns it (and did not get it)
        assert result["moved"] == [waiting.pk] and final.assigned_operator_id == operator2.pk
        assert final.status == Status.CALLBACK
