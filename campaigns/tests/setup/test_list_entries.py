"""Adding one customer to a list by hand (the build's exclusion checks, the reason when refused)
and removing an entry (cancelled, never deleted); a removal racing a dispatch."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from callcenter.models import AuditEvent
from campaigns.models import CallAttempt, CallListEntry, Disposition
from campaigns.services import list_entries as service
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from conftest import race
from contacts.tests.factories import CustomerFactory, DoNotCallFactory

pytestmark = pytest.mark.django_db
Status = CallListEntry.Status


@pytest.fixture
def call_list(operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="春の掘り起こし")
    return ready_list(campaign, status="ready")


def test_add_a_customer_at_the_end_of_the_list(supervisor, call_list):
    entry(call_list, rank=5)
    customer = CustomerFactory(phones=["03-1234-5678", "090-1111-2222"])
    added = service.add_customer(call_list=call_list, customer=customer, by=supervisor)
    assert (added.status, added.rank, added.phone) == (Status.PENDING, 6, "+81312345678")
    assert AuditEvent.objects.filter(action=service.ADDED, object_id=str(added.pk), actor=supervisor).exists()


@pytest.mark.parametrize(
    "reason",
    ["dnc", "no_phone", "in_other_list", "refused_before", "in_list"],
)
def test_the_build_exclusions_refuse_with_their_reason(reason, supervisor, call_list):
    customer = CustomerFactory(phone=False if reason == "no_phone" else "090-2222-3333")
    campaign = call_list.campaign
    if reason == "dnc":
        DoNotCallFactory(customer=customer)
    elif reason == "in_other_list":
        entry(ready_list(campaign, status="ready"), customer=customer)
    elif reason == "in_list":
        entry(call_list, customer=customer)
    elif reason == "refused_before":
        campaign.policy.no_resolicit_after_refusal = True
        campaign.policy.save()
        other = ready_list(campaign, status="closed")
        old = entry(other, customer=customer, status=Status.DONE)
        CallAttempt.objects.create(
            entry=old,
            call_list=other,
            campaign=campaign,
            customer=customer,
            phone=old.phone,
            attempt_number=1,
            started_at=timezone.now() - dt.timedelta(days=30),
            ended_at=timezone.now() - dt.timedelta(days=30),
            disposition=Disposition.objects.get(code="refused"),
        )
    with pytest.raises(service.EntryRefused) as refused:
        service.add_customer(call_list=call_list, customer=customer, by=supervisor)
    assert refused.value.reason == reason
    in_this_list = CallListEntry.objects.filter(call_list=call_list, customer=customer).count()
    assert in_this_list == (1 if reason == "in_list" else 0)


def test_remove_cancels_and_keeps_the_entry_and_it_can_come_back(supervisor, call_list):
    customer = CustomerFactory()
    waiting = entry(call_list, customer=customer)
    service.cancel_entry(entry_id=waiting.pk, by=supervisor)
    cancelled = CallListEntry.objects.get(pk=waiting.pk)
    assert cancelled.status == Status.CANCELLED
    assert AuditEvent.objects.filter(action=service.CANCELLED, object_id=str(waiting.pk)).exists()
    with pytest.raises(service.EntryRefused):
        service.cancel_entry(entry_id=waiting.pk, by=supervisor)
    back = service.add_customer(call_list=call_list, customer=customer, by=supervisor)
    assert back.pk == waiting.pk and back.status == Status.PENDING


def test_an_entry_being_called_is_not_removed(supervisor, operator, call_list):
    held = entry(call_list, status=Status.HELD, held_by=operator, held_until=timezone.now() + dt.timedelta(minutes=5))
    with pytest.raises(service.EntryRefused):
        service.cancel_entry(entry_id=held.pk, by=supervisor)
    assert CallListEntry.objects.get(pk=held.pk).status == Status.HELD


def test_pages_add_and_remove(login, supervisor, call_list):
    customer = CustomerFactory(external_id="C-ADD-1", name="追加 太郎")
    blocked = CustomerFactory(external_id="C-DNC-1")
    DoNotCallFactory(customer=blocked)
    client = login(supervisor)
    url = reverse("campaigns:list_entry_add", args=[call_list.pk])
    client.post(url, {"customer": "C-ADD-1"})
    added = CallListEntry.objects.get(call_list=call_list, customer=customer)
    page = client.post(url, {"customer": "C-DNC-1"}, follow=True).content.decode()
    assert "架電禁止" in page and not CallListEntry.objects.filter(customer=blocked).exists()
    page = client.post(url, {"customer": "NOPE"}, follow=True).content.decode()
    assert "NOPE" in page
    client.post(reverse("campaigns:list_entry_cancel", args=[call_list.pk, added.pk]))
    assert CallListEntry.objects.get(pk=added.pk).status == Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_a_removal_racing_a_dispatch_never_cancels_a_call_in_progress(supervisor, operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock())
    waiting = entry(ready_list(campaign, status="ready"))
    claimed, removal = race(
        [
            lambda: dispatch_next(operator=operator, now=timezone.now()),
            lambda: service.cancel_entry(entry_id=waiting.pk, by=supervisor),
        ]
    )
    final = CallListEntry.objects.get(pk=waiting.pk)
    if isinstance(removal, service.EntryRefused):
        assert claimed is not None and claimed.pk == waiting.pk and final.status == Status.HELD
    else:
        assert claimed is None and final.status == Status.CANCELLED


# ------------------------------------------------------------------ the API


def test_api_add_and_cancel(api_as, supervisor, call_list):
    api = api_as(supervisor)
    customer = CustomerFactory()
    response = api.post(f"/api/v1/lists/{call_list.pk}/entries/add/", {"customer": customer.pk}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    again = api.post(f"/api/v1/lists/{call_list.pk}/entries/add/", {"customer": customer.pk}, format="json")
    assert again.status_code == 409 and again.json()["reason"] == "in_list"
    blocked = CustomerFactory()
    DoNotCallFactory(customer=blocked)
    refused = api.post(f"/api/v1/lists/{call_list.pk}/entries/add/", {"customer": blocked.pk}, format="json")
    assert refused.status_code == 409 and refused.json()["reason"] == "dnc"
    entry_id = response.json()["id"]
    cancelled = api.post(f"/api/v1/lists/{call_list.pk}/entries/{entry_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post(f"/api/v1/lists/{call_list.pk}/entries/{entry_id}/cancel/").status_code == 409


def test_api_callbacks_list_reassign_and_move(api_as, supervisor, operator, call_list):
    at = timezone.now() + dt.timedelta(hours=2)
    waiting = entry(
        call_list, status=Status.CALLBACK, callback_at=at, next_attempt_at=at, assigned_operator=operator, attempts=1
    )
    api = api_as(supervisor)
    listed = api.get("/api/v1/callbacks/", {"operator": operator.pk}).json()
    assert [row["id"] for row in listed["results"]] == [waiting.pk]
    assert listed["results"][0]["assigned_operator"] == operator.pk
    assert AuditEvent.objects.filter(action="callbacks.page_read", actor=supervisor).exists()
    result = api.post("/api/v1/callbacks/reassign/", {"entries": [waiting.pk], "operator": None}, format="json").json()
    assert result == {"moved": [waiting.pk], "refused": {}}
    later = (at + dt.timedelta(days=1)).isoformat()
    moved = api.post(f"/api/v1/callbacks/{waiting.pk}/move/", {"callback_at": later}, format="json")
    assert moved.status_code == 200 and moved.json()["assigned_operator"] is None
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    assert api.post(f"/api/v1/callbacks/{waiting.pk}/move/", {"callback_at": past}, format="json").status_code == 400


@pytest.mark.parametrize("role", ["operator", "manager", "client_viewer"])
def test_api_refuses_other_roles(role, api_as, request, call_list):
    api = api_as(request.getfixturevalue(role))
    assert api.get("/api/v1/callbacks/").status_code == 403
    customer = CustomerFactory()
    assert (
        api.post(f"/api/v1/lists/{call_list.pk}/entries/add/", {"customer": customer.pk}, format="json").status_code
        == 403
    )
