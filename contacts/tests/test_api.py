"""REST API of docs/api.md: customers, the do-not-call registry and segments."""

import pytest
from django.apps import apps

from callcenter.models import AuditEvent
from contacts.models import Customer, DoNotCall, Segment
from contacts.tests.factories import CustomerFactory, DoNotCallFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sv(api_as, supervisor):
    return api_as(supervisor)


# ---------------------------------------------------------------- customers


def test_create_customer_with_phones_in_any_format(sv):
    response = sv.post(
        "/api/v1/customers/",
        {
            "external_id": "K-0001",
            "name": "鈴木 花子",
            "name_kana": "スズキ ハナコ",
            "gender": "female",
            "birth_date": "1985-04-01",
            "prefecture": "東京都",
            "purchase_count": 3,
            "total_spent": 15000,
            "subscription_status": "active",
            "tags": ["VIP"],
            "attributes": {"churn_score": 0.4},
            "phones": [
                {"number": "０３－１２３４－５６７８", "kind": "home"},
                {"number": "090-1111-2222", "is_primary": True},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["external_id"] == "K-0001" and body["total_spent"] == 15000
    assert {(p["number"], p["is_primary"]) for p in body["phones"]} == {
        ("+81312345678", False),
        ("+819011112222", True),
    }
    assert Customer.objects.get(external_id="K-0001").phones.count() == 2
    assert AuditEvent.objects.filter(action="customer.create").exists()


API_MD_CUSTOMER_FIELDS = {
    "id",
    "external_id",
    "name",
    "name_kana",
    "gender",
    "birth_date",
    "prefecture",
    "time_zone",
    "registered_at",
    "first_purchase_at",
    "last_purchase_at",
    "purchase_count",
    "total_spent",
    "subscription_status",
    "mail_open_rate",
    "last_web_visit_at",
    "tags",
    "attributes",
    "phones",
}


def test_a_customer_has_the_fields_and_types_of_api_md(sv):
    import datetime

    from django.utils import timezone

    customer = CustomerFactory(phone="090-1111-2222", tags=["vip"], last_purchase_at=timezone.now(), total_spent=1200)
    body = sv.get(f"/api/v1/customers/{customer.pk}/").json()
    assert API_MD_CUSTOMER_FIELDS <= set(body)
    assert isinstance(body["id"], int) and isinstance(body["tags"], list) and isinstance(body["attributes"], dict)
    assert body["total_spent"] == 1200 and isinstance(body["purchase_count"], int)
    assert body["gender"] in ("male", "female", "other", "")
    [phone] = body["phones"]
    assert {"number", "kind", "is_primary"} <= set(phone) and phone["number"] == "+819011112222"
    # Timestamps ISO 8601 with their offset; dates plain.
    assert datetime.datetime.fromisoformat(body["last_purchase_at"].replace("Z", "+00:00")).utcoffset() is not None
    assert datetime.date.fromisoformat(body["birth_date"])


def test_customers_are_paged_with_page(sv):
    CustomerFactory.create_batch(51)
    first = sv.get("/api/v1/customers/").json()
    assert first["count"] == 51 and len(first["results"]) == 50 and first["next"]
    second = sv.get("/api/v1/customers/", {"page": 2}).json()
    assert len(second["results"]) == 1
    assert {c["id"] for c in first["results"]}.isdisjoint({c["id"] for c in second["results"]})


def test_retrieve_and_patch_replace_phones(sv):
    customer = CustomerFactory(phones=["090-1111-2222", "03-1234-5678"])
    url = f"/api/v1/customers/{customer.pk}/"
    body = sv.get(url).json()
    assert body["id"] == customer.pk and len(body["phones"]) == 2
    response = sv.patch(url, {"name": "新しい 名前", "phones": [{"number": "+81 90 3333 4444"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "新しい 名前"
    assert [p["number"] for p in response.json()["phones"]] == ["+819033334444"]
    assert response.json()["phones"][0]["is_primary"] is True
    response = sv.patch(url, {"subscription_status": "paused"}, format="json")
    assert response.status_code == 200 and response.json()["phones"][0]["number"] == "+819033334444"


def test_list_filters_by_q_segment_and_tag(sv):
    a = CustomerFactory(
        external_id="A1", name="山田 太郎", phone="090-1234-5678", tags=["vip"], subscription_status="active"
    )
    CustomerFactory(external_id="B1", name="佐藤 次郎", phone="090-8765-4321", tags=[])
    segment = SegmentFactory(
        criteria={"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]}
    )

    def ids(**params):
        response = sv.get("/api/v1/customers/", params)
        assert response.status_code == 200
        return {row["external_id"] for row in response.json()["results"]}

    assert ids() == {"A1", "B1"}
    assert ids(q="０９０－１２３４－５６７８") == {"A1"}
    assert ids(q="山田") == {"A1"}
    assert ids(q="B1") == {"B1"}
    assert ids(tag="vip") == {"A1"}
    assert ids(segment=segment.pk) == {"A1"}
    assert sv.get("/api/v1/customers/", {"segment": 99999}).status_code == 400
    assert sv.get("/api/v1/customers/", {"segment": "abc"}, HTTP_ACCEPT_LANGUAGE="en").json() == {
        "errors": {"segment": ["Must be an integer id."]}
    }
    assert sv.get("/api/v1/customers/").json()["count"] == 2
    assert a


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x"}, "external_id"),
        ({"external_id": "DUP", "name": "x"}, "external_id"),
        ({"external_id": "N1", "name": "x", "gender": "robot"}, "gender"),
        ({"external_id": "N2", "name": "x", "phones": [{"number": ""}]}, "phones"),
        ({"external_id": "N3", "name": "x", "attributes": [1, 2]}, "attributes"),
        ({"external_id": "N4", "name": "x", "mail_open_rate": 3}, "mail_open_rate"),
        ({"external_id": "N5", "name": "x", "time_zone": "Mars/Olympus"}, "time_zone"),
        # docs/api.md#conventions: timestamps with their offset; without it the server's time zone was assumed.
        ({"external_id": "N6", "name": "x", "registered_at": "2020-01-01T00:00:00"}, "registered_at"),
    ],
)
def test_bad_customer_input_is_a_400_naming_the_field(sv, payload, field):
    CustomerFactory(external_id="DUP")
    response = sv.post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_put_is_not_offered_and_managers_cannot_write(api_as, manager):
    customer = CustomerFactory()
    client = api_as(manager)
    assert client.put(f"/api/v1/customers/{customer.pk}/", {}, format="json").status_code in (403, 405)
    assert client.patch(f"/api/v1/customers/{customer.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post("/api/v1/customers/", {"external_id": "M", "name": "x"}, format="json").status_code == 403


# ---------------------------------------------------------------- do-not-call


def test_register_list_check_and_revoke(sv, supervisor):
    customer = CustomerFactory(phone="090-1234-5678")
    response = sv.post(
        "/api/v1/dnc/",
        {"phone": "０９０－１２３４－５６７８", "reason": "customer_request", "source": "api", "note": "CRMから"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert entry["phone"] == "+819012345678" and entry["active"] is True and entry["created_by"] == supervisor.username

    check = sv.get("/api/v1/dnc/check/", {"customer": customer.pk}).json()
    assert check["blocked"] is True and [e["id"] for e in check["entries"]] == [entry["id"]]
    assert sv.get("/api/v1/dnc/check/", {"phone": "090 1234 5678"}).json()["blocked"] is True
    assert sv.get("/api/v1/dnc/check/", {"phone": "090-9999-9999"}).json() == {"blocked": False, "entries": []}

    assert [e["id"] for e in sv.get("/api/v1/dnc/", {"phone": "09012345678"}).json()["results"]] == [entry["id"]]
    assert sv.get("/api/v1/dnc/", {"active": "false"}).json()["results"] == []

    assert sv.post(f"/api/v1/dnc/{entry['id']}/revoke/", {}, format="json").status_code == 400
    revoked = sv.post(f"/api/v1/dnc/{entry['id']}/revoke/", {"reason": "再開希望"}, format="json")
    assert (
        revoked.status_code == 200
        and revoked.json()["active"] is False
        and revoked.json()["revoke_reason"] == "再開希望"
    )
    # Who revoked it is kept (rule 6), in the entry and in its audit event.
    assert DoNotCall.objects.get(pk=entry["id"]).revoked_by == supervisor
    assert AuditEvent.objects.get(action="dnc.revoke", object_id=str(entry["id"])).actor == supervisor
    assert sv.post(f"/api/v1/dnc/{entry['id']}/revoke/", {"reason": "again"}, format="json").status_code == 409
    assert sv.get("/api/v1/dnc/check/", {"customer": customer.pk}).json()["blocked"] is False
    assert [e["id"] for e in sv.get("/api/v1/dnc/", {"active": "false"}).json()["results"]] == [entry["id"]]
    assert DoNotCall.objects.filter(pk=entry["id"]).exists(), "never deleted"
    assert sv.delete(f"/api/v1/dnc/{entry['id']}/").status_code == 405


def test_campaign_scope_through_the_api(sv):
    Campaign = apps.get_model("campaigns", "Campaign")
    summer = Campaign.objects.create(name="夏", purpose="sales")
    winter = Campaign.objects.create(name="冬", purpose="sales")
    customer = CustomerFactory()
    response = sv.post(
        "/api/v1/dnc/",
        {"customer": customer.pk, "campaign": summer.pk, "reason": "complaint", "source": "supervisor"},
        format="json",
    )
    assert response.status_code == 201
    assert sv.get("/api/v1/dnc/check/", {"customer": customer.pk, "campaign": summer.pk}).json()["blocked"] is True
    assert sv.get("/api/v1/dnc/check/", {"customer": customer.pk, "campaign": winter.pk}).json()["blocked"] is False
    assert len(sv.get("/api/v1/dnc/", {"campaign": summer.pk}).json()["results"]) == 1
    assert sv.get("/api/v1/dnc/", {"campaign": "global"}).json()["results"] == []


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"reason": "customer_request", "source": "api"}, "phone"),
        ({"phone": "12", "reason": "customer_request", "source": "api"}, "phone"),
        ({"phone": "090-1234-5678", "reason": "whim", "source": "api"}, "reason"),
        (
            {
                "phone": "090-1234-5678",
                "reason": "customer_request",
                "source": "api",
                "expires_at": "2001-01-01T00:00:00Z",
            },
            "expires_at",
        ),
        ({"customer": 999999, "reason": "customer_request", "source": "api"}, "customer"),
        (
            {
                "phone": "090-1234-5678",
                "reason": "customer_request",
                "source": "api",
                "expires_at": "2099-01-01T00:00:00",
            },
            "expires_at",
        ),
    ],
)
def test_bad_dnc_input_is_a_400(sv, payload, field):
    response = sv.post("/api/v1/dnc/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert DoNotCall.objects.count() == 0


def test_operators_without_a_call_may_neither_register_nor_check_nor_browse_nor_revoke(api_as, operator):
    """An operator registers and checks only for the call they hold (campaigns'
    test_console_access covers that path); without one, the answer is the 404 of an unknown number."""
    entry = DoNotCallFactory(phone_number="+819012345678")
    client = api_as(operator)
    response = client.post(
        "/api/v1/dnc/", {"phone": "090-1234-5678", "reason": "customer_request", "source": "operator"}, format="json"
    )
    assert response.status_code == 404 and "+819012345678" not in response.content.decode()
    assert client.get("/api/v1/dnc/check/", {"phone": "090-1234-5678"}).status_code == 404
    assert client.get("/api/v1/dnc/").status_code == 403
    assert client.post(f"/api/v1/dnc/{entry.pk}/revoke/", {"reason": "x"}, format="json").status_code == 403
    assert DoNotCall.objects.count() == 1


def test_dnc_list_filters_by_customer(sv):
    """docs/api.md#do-not-call-registry: GET /api/v1/dnc/?customer= (phone, campaign and active are tested above)."""
    customer, other = CustomerFactory(), CustomerFactory()
    mine = DoNotCallFactory(customer=customer, phone_number="")
    DoNotCallFactory(customer=other, phone_number="")
    assert [e["id"] for e in sv.get("/api/v1/dnc/", {"customer": customer.pk}).json()["results"]] == [mine.pk]
    assert sv.get("/api/v1/dnc/", {"customer": "x"}).status_code == 400


def test_an_unknown_active_filter_is_a_400_not_ignored(sv):
    """?active=yes was ignored: the caller got revoked entries as well, thinking them active."""
    DoNotCallFactory()
    assert sv.get("/api/v1/dnc/", {"active": "true"}).json()["count"] == 1
    response = sv.get("/api/v1/dnc/", {"active": "yes"})
    assert response.status_code == 400 and "active" in response.json()["errors"]


def test_check_needs_a_phone_or_customer(sv):
    assert sv.get("/api/v1/dnc/check/").status_code == 400
    assert sv.get("/api/v1/dnc/check/", {"phone": "abc"}).status_code == 400


# ---------------------------------------------------------------- segments

CRITERIA = {"match": "all", "rules": [{"field": "last_purchase_days", "op": "gte", "value": 180}]}


def test_segments_create_count_preview_patch(sv):
    import datetime

    from django.utils import timezone

    CustomerFactory(last_purchase_at=timezone.now() - datetime.timedelta(days=200))
    CustomerFactory(last_purchase_at=timezone.now() - datetime.timedelta(days=20))
    response = sv.post("/api/v1/segments/", {"name": "休眠", "criteria": CRITERIA}, format="json")
    assert response.status_code == 201, response.json()
    segment = response.json()
    assert segment["criteria"] == CRITERIA
    assert sv.get(f"/api/v1/segments/{segment['id']}/count/").json() == {"count": 1}
    preview = sv.post("/api/v1/segments/preview/", {"criteria": {"match": "any", "rules": []}}, format="json")
    assert preview.json() == {"count": 2}
    renamed = sv.patch(f"/api/v1/segments/{segment['id']}/", {"name": "休眠顧客"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "休眠顧客"
    assert [s["name"] for s in sv.get("/api/v1/segments/").json()["results"]] == ["休眠顧客"]
    assert sv.post("/api/v1/segments/", {"name": "休眠顧客", "criteria": CRITERIA}, format="json").status_code == 400


@pytest.mark.parametrize(
    "criteria, text",
    [
        ({"rules": [{"field": "shoe_size", "op": "eq", "value": 27}]}, 'unknown field "shoe_size"'),
        ({"rules": [{"field": "age", "op": "approx", "value": 27}]}, 'unknown operator "approx"'),
        ({"rules": [{"field": "age", "op": "contains", "value": 27}]}, 'operator "contains" cannot be used with "age"'),
        ({"match": "most", "rules": []}, '"match" must be "all" or "any"'),
    ],
)
def test_unknown_field_or_operator_is_a_400_with_a_clear_message(sv, criteria, text):
    from django.utils import translation

    with translation.override("en"):
        for response in (
            sv.post("/api/v1/segments/", {"name": "x", "criteria": criteria}, format="json", HTTP_ACCEPT_LANGUAGE="en"),
            sv.post("/api/v1/segments/preview/", {"criteria": criteria}, format="json", HTTP_ACCEPT_LANGUAGE="en"),
        ):
            assert response.status_code == 400
            messages = response.json()["errors"]["criteria"]
            assert any(text in message for message in messages), messages
    assert not Segment.objects.exists()


def test_operators_cannot_use_segments(api_as, operator):
    client = api_as(operator)
    assert client.get("/api/v1/segments/").status_code == 403
    assert client.post("/api/v1/segments/preview/", {"criteria": CRITERIA}, format="json").status_code == 403


def test_dnc_factory_entries_show_in_the_list(sv):
    DoNotCallFactory.create_batch(3)
    assert sv.get("/api/v1/dnc/").json()["count"] == 3


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "age", "op": "gte", "value": 10**12},
        {"field": "last_purchase_days", "op": "lte", "value": 10**12},
        {"field": "registered_days", "op": "between", "value": [-(10**12), 5]},
        {"field": "last_contact_days", "op": "in", "value": [1, 10**9]},
    ],
)
def test_days_and_ages_beyond_any_date_are_a_400(sv, rule):
    """They become dates (now minus N days or years): the arithmetic overflowed (a 500)."""
    criteria = {"match": "all", "rules": [rule]}
    for response in (
        sv.post("/api/v1/segments/preview/", {"criteria": criteria}, format="json"),
        sv.post("/api/v1/segments/", {"name": "x", "criteria": criteria}, format="json"),
    ):
        assert response.status_code == 400
        assert "criteria" in response.json()["errors"]
    assert not Segment.objects.exists()
    criteria["rules"][0]["value"] = 30 if rule["op"] != "between" and rule["op"] != "in" else [1, 30]
    assert sv.post("/api/v1/segments/preview/", {"criteria": criteria}, format="json").status_code == 200


def test_every_page_of_customers_read_through_the_api_is_audited(sv, supervisor):
    """Reading customers page by page is an export: who, which filter, which page, how many rows."""
    CustomerFactory.create_batch(3, tags=["vip"])
    sv.get("/api/v1/customers/", {"tag": "vip"})
    sv.get("/api/v1/customers/", {"tag": "vip", "page": 1})
    events = list(AuditEvent.objects.filter(action="customers.page_read").order_by("id"))
    assert len(events) == 2
    assert events[0].actor == supervisor
    assert events[0].data["filters"] == {"tag": "vip"} and events[0].data["rows"] == 3
    assert events[1].data["page"] == "1"
    # A refused or failed read writes nothing.
    assert sv.get("/api/v1/customers/", {"segment": 99999}).status_code == 400
    assert AuditEvent.objects.filter(action="customers.page_read").count() == 2
