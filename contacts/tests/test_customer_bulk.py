"""Bulk actions on the customer list: a tag, a do-not-call entry with its reason and scope, an
export of the selection; the ticked rows or every customer the filters match; a confirmation
that says how many, asked again when the number changed; audited."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from callcenter.models import AuditEvent
from contacts.models import Customer, DoNotCall
from contacts.services.dnc import is_blocked
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = "contacts:customer_bulk"


@pytest.fixture
def people():
    return [
        CustomerFactory(external_id="C-1", name="東京 一郎", prefecture="東京都", tags=["vip"]),
        CustomerFactory(external_id="C-2", name="東京 二郎", prefecture="東京都"),
        CustomerFactory(external_id="C-3", name="大阪 三郎", prefecture="大阪府"),
    ]


def test_the_confirmation_says_how_many_and_nothing_happens_before(login, supervisor, people):
    client = login(supervisor)
    response = client.post(reverse(URL), {"action": "tag", "scope": "filter", "query": "prefecture=東京都"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="bulk-count"' in page and "2" in page
    assert not Customer.objects.filter(tags__contains=["休眠"]).exists()


def test_tag_every_customer_the_filters_match(login, supervisor, people):
    client = login(supervisor)
    data = {"action": "tag", "scope": "filter", "query": "prefecture=東京都", "tag": "休眠", "confirmed": "2"}
    response = client.post(reverse(URL), data)
    assert response.status_code == 302 and "prefecture=" in response["Location"]
    tagged = set(Customer.objects.filter(tags__contains=["休眠"]).values_list("external_id", flat=True))
    assert tagged == {"C-1", "C-2"}
    assert Customer.objects.get(external_id="C-1").tags == ["vip", "休眠"]
    client.post(reverse(URL), data)  # twice: no duplicate tag
    assert Customer.objects.get(external_id="C-1").tags == ["vip", "休眠"]
    event = AuditEvent.objects.filter(action="customers.tagged").first()
    assert event.actor == supervisor and event.data["filters"]["prefecture"] == "東京都"


def test_a_changed_count_asks_again(login, supervisor, people):
    client = login(supervisor)
    data = {"action": "tag", "scope": "filter", "query": "prefecture=東京都", "tag": "x", "confirmed": "5"}
    response = client.post(reverse(URL), data)
    assert response.status_code == 200 and not Customer.objects.filter(tags__contains=["x"]).exists()


def test_ticked_rows_to_do_not_call_with_reason_and_scope(login, supervisor, people):
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory()
    client = login(supervisor)
    ids = [people[0].pk, people[2].pk]
    data = {
        "action": "dnc",
        "scope": "selected",
        "ids": ids,
        "reason": "complaint",
        "campaign": str(campaign.pk),
        "note": "苦情 一括",
        "confirmed": "2",
    }
    client.post(reverse(URL), data)
    entries = DoNotCall.objects.filter(customer_id__in=ids)
    assert entries.count() == 2 and set(entries.values_list("campaign_id", flat=True)) == {campaign.pk}
    assert set(entries.values_list("reason", "source")) == {("complaint", "supervisor")}
    assert is_blocked(customer=people[0], campaign=campaign) and not is_blocked(customer=people[0])
    assert not is_blocked(customer=people[1], campaign=campaign)
    assert AuditEvent.objects.filter(action="dnc.create").count() == 2
    assert AuditEvent.objects.get(action="customers.dnc_registered").data["customers"] == 2


def test_export_the_selection(login, supervisor, people):
    client = login(supervisor)
    data = {"action": "export", "scope": "selected", "ids": [people[1].pk], "confirmed": "1"}
    response = client.post(reverse(URL), data)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "C-2" in body and "C-1" not in body and "C-3" not in body
    assert AuditEvent.objects.get(action="customers.export").data["filters"]["ticked"] == 1


def test_nothing_ticked_is_refused_with_a_message(login, supervisor, people):
    response = login(supervisor).post(reverse(URL), {"action": "tag", "scope": "selected"}, follow=True)
    assert "顧客が選択されていません" in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "operator", "client_viewer"])
def test_only_supervisors(role, login, request, people):
    response = login(request.getfixturevalue(role)).post(
        reverse(URL), {"action": "tag", "scope": "filter", "tag": "x", "confirmed": "3"}
    )
    assert response.status_code == 403 and not Customer.objects.filter(tags__contains=["x"]).exists()


def test_bulk_do_not_call_skips_the_customers_already_registered_and_audits_each_new_entry(supervisor, people):
    from contacts.services.bulk import register_dnc_for_customers
    from contacts.services.dnc import register_dnc

    kept = register_dnc(by=supervisor, customer=people[1], reason="complaint", source="api")
    expiring = register_dnc(
        by=supervisor,
        customer=people[2],
        reason="complaint",
        source="api",
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    covered = register_dnc_for_customers(
        customers=Customer.objects.all(), reason="customer_request", note="一括", by=supervisor, filters={}
    )
    assert covered == 3
    # people[1] had a global entry for good: nothing added; people[2]'s expires, so it gets one for good
    assert list(DoNotCall.objects.filter(customer=people[1]).values_list("pk", flat=True)) == [kept.pk]
    added = DoNotCall.objects.filter(customer__in=[people[0], people[2]]).exclude(pk=expiring.pk)
    assert added.count() == 2
    assert set(added.values_list("reason", "source", "note", "created_by", "phone_number", "expires_at")) == {
        ("customer_request", "supervisor", "一括", supervisor.pk, "", None)
    }
    events = AuditEvent.objects.filter(
        action="dnc.create", object_id__in=[str(pk) for pk in added.values_list("pk", flat=True)]
    )
    assert {(e.object_type, e.actor_id, e.data["customer_id"], e.data["note"]) for e in events} == {
        ("contacts.donotcall", supervisor.pk, people[0].pk, "一括"),
        ("contacts.donotcall", supervisor.pk, people[2].pk, "一括"),
    }
    summary = AuditEvent.objects.get(action="customers.dnc_registered")
    assert (summary.data["customers"], summary.data["added"]) == (3, 2)
    assert all(is_blocked(customer=person) for person in people)
    # again: everyone is registered, nothing is added
    register_dnc_for_customers(customers=Customer.objects.all(), reason="customer_request", by=supervisor, filters={})
    assert DoNotCall.objects.count() == 4 and AuditEvent.objects.filter(action="dnc.create").count() == 4


@pytest.mark.django_db(transaction=True)
def test_bulk_do_not_call_racing_a_single_registration_adds_each_customer_once(reference_data):
    """The single registration commits while the bulk one waits for the registry's lock: the bulk
    statement then sees it and leaves that customer alone (and the other way round)."""
    from conftest import another_transaction, make_user
    from contacts.services.bulk import register_dnc_for_customers
    from contacts.services.dnc import register_dnc

    user = make_user("sv_bulk_race", "supervisor")
    first, second = CustomerFactory(), CustomerFactory()

    def single():
        return register_dnc(by=user, customer=first.pk, reason="complaint", source="api")

    with another_transaction(single, commit_once_waited_on=True):
        register_dnc_for_customers(customers=Customer.objects.all(), reason="complaint", by=user, filters={})
    assert DoNotCall.objects.filter(customer=first).count() == 1
    assert DoNotCall.objects.filter(customer=second).count() == 1
    assert AuditEvent.objects.filter(action="dnc.create").count() == 2

    third = CustomerFactory()

    def bulk():
        return register_dnc_for_customers(customers=Customer.objects.all(), reason="complaint", by=user, filters={})

    with another_transaction(bulk, commit_once_waited_on=True):
        register_dnc(by=user, customer=third.pk, reason="complaint", source="api")
    assert DoNotCall.objects.filter(customer=third).count() == 1
    assert AuditEvent.objects.filter(action="dnc.create").count() == 3
