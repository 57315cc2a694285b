"""One attribute-key rule (contacts.attributes) from import to call list: a key an import keeps can
filter a segment, order a list and steer a script; a key the rule refuses is refused by each of
them with the same message; and a key reaches SQL only as a bound parameter."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from campaigns.models import CallList
from campaigns.services.lists import ListError, create_call_list, run_call_list_build
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory
from contacts.attributes import KEY_RULE, clean_attribute_key
from contacts.imports import fields
from contacts.segments import customers_matching, validate_criteria
from contacts.services import imports
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import csv_file, run_import

pytestmark = pytest.mark.django_db

# Over 64 characters; empty once trimmed; a control character.
REFUSED_KEYS = ["x" * 65, "  ", "score\tnew"]
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(reference_data):
    return CampaignFactory(policy=CallingPolicyFactory())


def build(campaign, *, criteria, **kwargs):
    call_list = create_call_list(campaign=campaign, name="list", by=None, criteria=criteria, **kwargs)
    return run_call_list_build(call_list_id=call_list.pk)


def ranked(call_list):
    return list(call_list.entries.order_by("rank").values_list("customer__external_id", flat=True))


def test_an_imported_japanese_key_filters_a_segment_and_orders_a_list(supervisor, campaign):
    # The import keeps the column under its header, as the mapping page's "custom attribute" does;
    # a half-width header is kept in its NFKC form.
    rows = [
        ["顧客ID", "氏名", "電話番号", "解約スコア", "ﾗﾝｸ"],
        ["K1", "山田 太郎", "090-1111-0001", "0.35", "A"],
        ["K2", "佐藤 花子", "090-1111-0002", "0.92", "B"],
        ["K3", "鈴木 一郎", "090-1111-0003", "0.71", "A"],
        ["K4", "高橋 次郎", "090-1111-0004", "不明", "A"],
    ]
    mapping = fields.suggest_mapping(rows[0])
    mapping.update({"解約スコア": fields.attribute_target("解約スコア"), "ﾗﾝｸ": fields.attribute_target("ﾗﾝｸ")})
    job = run_import(supervisor, csv_file(rows), mapping=mapping)
    assert job.created_count == 4, list(job.row_errors.values_list("message", flat=True))
    assert campaign.policy  # a list needs one

    from contacts.models import Customer

    assert Customer.objects.get(external_id="K2").attributes == {"解約スコア": 0.92, "ランク": "B"}

    # A segment on the key, typed either way (the half-width ﾗﾝｸ is the imported ランク).
    risky = {"match": "all", "rules": [{"field": "attributes.解約スコア", "op": "gte", "value": 0.5}]}
    assert set(customers_matching(risky).values_list("external_id", flat=True)) == {"K2", "K3"}
    rank_a = {"match": "all", "rules": [{"field": "attributes.ﾗﾝｸ ", "op": "eq", "value": "A"}]}
    assert validate_criteria(rank_a)["rules"][0]["field"] == "attributes.ランク"
    assert set(customers_matching(rank_a).values_list("external_id", flat=True)) == {"K1", "K3", "K4"}

    # The same key orders a list: highest first, a value that is not a number last.
    everyone = {"match": "all", "rules": [{"field": "attributes.解約スコア", "op": "exists", "value": True}]}
    call_list = build(campaign, criteria=everyone, order_by=CallList.Order.ATTRIBUTE, order_attribute="解約スコア")
    assert call_list.status == CallList.Status.READY, call_list.message
    assert call_list.order_attribute == "解約スコア"
    assert ranked(call_list) == ["K2", "K3", "K1", "K4"]


def test_a_key_with_quotes_and_percent_signs_is_only_ever_a_parameter(campaign):
    """Such a key breaks any statement it is pasted into (a quote ends the literal, a % is a
    parameter marker for psycopg2); bound as a parameter it is just a key."""
    key = 'it\'s 100% "x"; drop table contacts_customer; --'
    low = CustomerFactory(external_id="low", attributes={key: 1})
    high = CustomerFactory(external_id="high", attributes={key: 5})
    CustomerFactory(external_id="none", attributes={})
    criteria = {"match": "all", "rules": [{"field": f"attributes.{key}", "op": "gte", "value": 0}]}
    assert set(customers_matching(criteria).values_list("pk", flat=True)) == {low.pk, high.pk}
    call_list = build(campaign, criteria=criteria, order_by=CallList.Order.ATTRIBUTE, order_attribute=key)
    assert call_list.status == CallList.Status.READY, call_list.message
    assert ranked(call_list) == ["high", "low"]


@pytest.mark.parametrize("key", REFUSED_KEYS, ids=["too-long", "blank", "control-character"])
def test_a_key_the_rule_refuses_is_refused_the_same_way_everywhere(
    key, supervisor, campaign, client, api_as, reference_data
):
    from contacts.models import Customer
    from scripts.forms import RuleForm
    from scripts.tests.factories import branching_script

    rule = str(KEY_RULE)
    with pytest.raises(ValidationError) as refused:
        clean_attribute_key(key)
    assert refused.value.messages == [rule]

    # Import: the mapping cannot keep the column under that name.
    header = key if key.strip() else "列"
    upload = imports.receive_upload(
        uploaded_file=csv_file([["顧客ID", "氏名", header], ["C1", "山田", "1"]]), kind="customers"
    )
    mapping = {"顧客ID": "external_id", "氏名": "name", header: fields.ATTRIBUTE_PREFIX + key}
    with pytest.raises(ValidationError) as refused:
        imports.start_import(upload=upload, mapping=mapping, by=supervisor)
    assert any(rule in message for message in refused.value.messages), refused.value.messages

    # Segment criteria.
    with pytest.raises(ValidationError) as refused:
        validate_criteria({"rules": [{"field": f"attributes.{key}", "op": "exists", "value": True}]})
    assert any(rule in message for message in refused.value.messages), refused.value.messages

    # List ordering: the service, the list page and the API.
    everyone = {"match": "all", "rules": []}
    with pytest.raises(ListError) as list_refused:
        create_call_list(
            campaign=campaign,
            name="x",
            by=None,
            criteria=everyone,
            order_by=CallList.Order.ATTRIBUTE,
            order_attribute=key,
        )
    # Customers written through the API.
    response = api_as(supervisor).post(
        "/api/v1/customers/", {"external_id": "A1", "name": "x", "attributes": {key: 1}}, format="json", **ENGLISH
    )
    assert response.status_code == 400 and rule in response.json()["errors"]["attributes"][0]

    # Where a key is typed into its own field, a blank one is a key not given yet: those ask for it.
    if key.strip():
        assert str(list_refused.value) == rule
        from callcenter.signin.testing import sign_in

        sign_in(client, supervisor)  # with the second factor a supervisor signs in with
        page = client.post(
            reverse("campaigns:list_create", args=[campaign.pk]),
            {"name": "x", "criteria": "{}", "order_by": "attribute", "order_attribute": key, "priority": "0"},
            **ENGLISH,
        )
        assert page.status_code == 200 and page.context["form"].errors["order_attribute"] == [rule]
        response = api_as(supervisor).post(
            f"/api/v1/campaigns/{campaign.pk}/lists/",
            {"name": "x", "criteria": everyone, "order_by": "attribute", "order_attribute": key},
            format="json",
            **ENGLISH,
        )
        assert response.status_code == 400 and response.json()["errors"] == {"order_attribute": [rule]}

        # A talk-script branch on the attribute.
        version = branching_script(publish=False)
        form = RuleForm(
            {"source": "customer:attributes.", "attribute": key, "op": "eq", "value": "1", "next": "premium"},
            version=version,
        )
        with translation.override("en"):  # a request leaves its language active in the thread
            assert form.errors["attribute"] == [rule]
    assert not CallList.objects.exists() and not Customer.objects.exists()
