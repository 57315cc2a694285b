"""Segment criteria: every field and operator of docs/api.md#segments, evaluated in SQL."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from contacts.models import Customer
from contacts.segments import (
    FIELDS,
    _years_before,
    customers_matching,
    describe_criteria,
    validate_criteria,
)
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the default language is Japanese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


AT = timezone.now().replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)
# Ages count on the local date of AT: from 15:00 UTC on 31 December it is already the next year in
# Tokyo, so the birth years below come from the local year, never AT's UTC year.
LOCAL_YEAR = timezone.localdate(AT).year


def days_ago(n):
    return AT - datetime.timedelta(days=n) - HOUR


@pytest.fixture
def people(db):
    """Three customers that differ on every field: A (active buyer), B (lapsed, never reached),
    C (nothing known)."""
    a = CustomerFactory(
        external_id="A",
        gender="female",
        birth_date=datetime.date(LOCAL_YEAR - 36, 1, 1),
        prefecture="東京都",
        registered_at=days_ago(400),
        first_purchase_at=days_ago(300),
        last_purchase_at=days_ago(10),
        purchase_count=5,
        total_spent=50000,
        subscription_status="active",
        mail_open_rate=0.6,
        last_web_visit_at=days_ago(3),
        tags=["vip", "dm"],
        attributes={"churn_score": 0.8, "favourite": "green tea", "flag": True},
        last_contact_at=days_ago(20),
        last_attempt_at=days_ago(20),
        last_disposition="success",
        last_reaction="interested",
        consecutive_no_contact=0,
        attempt_count=3,
    )
    b = CustomerFactory(
        external_id="B",
        gender="male",
        birth_date=datetime.date(LOCAL_YEAR - 66, 1, 1),
        prefecture="大阪府",
        registered_at=days_ago(50),
        first_purchase_at=days_ago(200),
        last_purchase_at=days_ago(200),
        purchase_count=1,
        total_spent=3000,
        subscription_status="",
        mail_open_rate=None,
        tags=[],
        attributes={"churn_score": "high", "favourite": "Coffee"},
        last_attempt_at=days_ago(5),
        last_disposition="no_answer",
        consecutive_no_contact=4,
        attempt_count=4,
    )
    c = CustomerFactory(
        external_id="C",
        gender="",
        birth_date=None,
        prefecture="",
        registered_at=None,
        purchase_count=0,
        subscription_status="cancelled",
        tags=["dm"],
        attributes={},
    )
    return a, b, c


def matching(*rules, match="all"):
    criteria = {"match": match, "rules": list(rules)}
    return set(customers_matching(criteria, at=AT).values_list("external_id", flat=True))


def rule(field, op, value=None):
    return {"field": field, "op": op, "value": value}


CASES = [
    # demographics
    (rule("gender", "eq", "female"), {"A"}),
    (rule("gender", "ne", "female"), {"B", "C"}),
    (rule("gender", "in", ["male", ""]), {"B", "C"}),
    (rule("gender", "exists", True), {"A", "B"}),
    (rule("gender", "exists", False), {"C"}),
    (rule("age", "eq", 36), {"A"}),
    (rule("age", "ne", 36), {"B"}),
    (rule("age", "lt", 40), {"A"}),
    (rule("age", "lte", 36), {"A"}),
    (rule("age", "lt", 36), set()),
    (rule("age", "gt", 36), {"B"}),
    (rule("age", "gte", 66), {"B"}),
    (rule("age", "gt", 66), set()),
    (rule("age", "in", [36, 50]), {"A"}),
    (rule("age", "between", [30, 70]), {"A", "B"}),
    (rule("age", "between", [37, 65]), set()),
    (rule("age", "exists", False), {"C"}),
    (rule("prefecture", "eq", "東京都"), {"A"}),
    (rule("prefecture", "ne", "東京都"), {"B", "C"}),
    (rule("prefecture", "in", ["東京都", "大阪府"]), {"A", "B"}),
    (rule("prefecture", "contains", "大阪"), {"B"}),
    (rule("prefecture", "exists", False), {"C"}),
    # registration and purchases
    (rule("registered_days", "gt", 100), {"A"}),
    (rule("registered_days", "lt", 100), {"B"}),
    (rule("registered_days", "eq", 50), {"B"}),
    (rule("registered_days", "eq", 49), set()),
    (rule("registered_days", "between", [40, 60]), {"B"}),
    (rule("registered_days", "exists", False), {"C"}),
    (rule("first_purchase_days", "gte", 250), {"A"}),
    (rule("last_purchase_days", "gte", 180), {"B"}),
    (rule("last_purchase_days", "lt", 30), {"A"}),
    (rule("last_purchase_days", "lte", 10), {"A"}),
    (rule("last_purchase_days", "lt", 10), set()),
    (rule("last_purchase_days", "ne", 10), {"B"}),
    (rule("last_purchase_days", "in", [10, 11]), {"A"}),
    (rule("last_purchase_days", "exists", False), {"C"}),
    (rule("purchase_count", "eq", 0), {"C"}),
    (rule("purchase_count", "ne", 5), {"B", "C"}),
    (rule("purchase_count", "lt", 5), {"B", "C"}),
    (rule("purchase_count", "lte", 1), {"B", "C"}),
    (rule("purchase_count", "gt", 1), {"A"}),
    (rule("purchase_count", "gte", 1), {"A", "B"}),
    (rule("purchase_count", "in", [1, 5]), {"A", "B"}),
    (rule("purchase_count", "between", [2, 10]), {"A"}),
    (rule("total_spent", "gte", 10000), {"A"}),
    (rule("total_spent", "between", [1000, 5000]), {"B"}),
    (rule("subscription_status", "eq", "active"), {"A"}),
    (rule("subscription_status", "ne", "active"), {"B", "C"}),
    (rule("subscription_status", "eq", ""), {"B"}),
    (rule("subscription_status", "in", ["active", "cancelled"]), {"A", "C"}),
    (rule("subscription_status", "exists", True), {"A", "C"}),
    # engagement
    (rule("mail_open_rate", "gte", 0.5), {"A"}),
    (rule("mail_open_rate", "lt", 0.5), set()),
    (rule("mail_open_rate", "exists", False), {"B", "C"}),
    (rule("last_web_visit_days", "lte", 7), {"A"}),
    (rule("last_web_visit_days", "exists", False), {"B", "C"}),
    # tags
    (rule("tag", "eq", "vip"), {"A"}),
    (rule("tag", "ne", "vip"), {"B", "C"}),
    (rule("tag", "in", ["vip", "dm"]), {"A", "C"}),
    (rule("tag", "contains", ["vip", "dm"]), {"A"}),
    (rule("tag", "contains", "dm"), {"A", "C"}),
    (rule("tag", "exists", True), {"A", "C"}),
    (rule("tag", "exists", False), {"B"}),
    # attributes (JSON): numeric comparisons only see numbers, never fail on text
    (rule("attributes.churn_score", "gte", 0.7), {"A"}),
    (rule("attributes.churn_score", "lt", 0.9), {"A"}),
    (rule("attributes.churn_score", "between", [0.5, 0.9]), {"A"}),
    (rule("attributes.churn_score", "eq", "high"), {"B"}),
    (rule("attributes.churn_score", "eq", 0.8), {"A"}),
    (rule("attributes.churn_score", "ne", 0.8), {"B"}),
    (rule("attributes.churn_score", "in", [0.8, "high"]), {"A", "B"}),
    (rule("attributes.churn_score", "exists", True), {"A", "B"}),
    (rule("attributes.churn_score", "exists", False), {"C"}),
    (rule("attributes.favourite", "contains", "tea"), {"A"}),
    (rule("attributes.favourite", "contains", "COFFEE"), {"B"}),
    (rule("attributes.favourite", "contains", "%"), set()),
    (rule("attributes.flag", "eq", True), {"A"}),
    # call history (denormalized on Customer by the outcome service)
    (rule("last_contact_days", "lte", 30), {"A"}),
    (rule("last_contact_days", "exists", False), {"B", "C"}),
    (rule("last_attempt_days", "lte", 7), {"B"}),
    (rule("last_disposition", "eq", "success"), {"A"}),
    (rule("last_disposition", "ne", "success"), {"B", "C"}),
    (rule("last_disposition", "in", ["success", "no_answer"]), {"A", "B"}),
    (rule("last_disposition", "contains", "answer"), {"B"}),
    (rule("last_disposition", "exists", False), {"C"}),
    (rule("last_reaction", "eq", "interested"), {"A"}),
    (rule("consecutive_no_contact", "gte", 3), {"B"}),
    (rule("attempt_count", "eq", 0), {"C"}),
    (rule("never_contacted", "eq", True), {"B", "C"}),
    (rule("never_contacted", "eq", False), {"A"}),
    (rule("never_contacted", "ne", True), {"A"}),
    (rule("never_called", "eq", True), {"C"}),
]


def test_each_field_and_operator(people):
    """One database set-up for all cases (fast); every mismatch is listed."""
    wrong = []
    for one_rule, expected in CASES:
        found = matching(one_rule)
        if found != expected:
            wrong.append(f"{one_rule}: expected {sorted(expected)}, got {sorted(found)}")
    assert not wrong, "\n".join(wrong)


def test_a_wrong_expectation_is_detected(people):
    """The case runner above really compares sets (guards against a runner that cannot fail)."""
    assert matching(rule("gender", "eq", "female")) != {"B"}


def test_every_documented_field_and_operator_is_covered():
    documented = {
        "gender",
        "age",
        "prefecture",
        "registered_days",
        "last_purchase_days",
        "purchase_count",
        "total_spent",
        "subscription_status",
        "tag",
        "mail_open_rate",
        "last_web_visit_days",
        "last_contact_days",
        "last_disposition",
        "last_reaction",
        "consecutive_no_contact",
        "never_contacted",
    }
    assert documented <= set(FIELDS)
    tested_fields = {r["field"] for r, _e in CASES}
    assert documented | {"attributes.churn_score"} <= tested_fields
    assert {r["op"] for r, _e in CASES} == {"eq", "ne", "lt", "lte", "gt", "gte", "in", "between", "contains", "exists"}


def test_match_any_all_nested_groups_and_no_rules(people):
    assert matching(rule("gender", "eq", "male"), rule("tag", "eq", "vip"), match="any") == {"A", "B"}
    assert matching(rule("gender", "eq", "male"), rule("tag", "eq", "vip"), match="all") == set()
    nested = {
        "match": "any",
        "rules": [rule("prefecture", "eq", "東京都"), rule("subscription_status", "eq", "cancelled")],
    }
    assert matching(rule("tag", "exists", True), nested) == {"A", "C"}
    assert matching() == {"A", "B", "C"}
    assert set(customers_matching({}).values_list("external_id", flat=True)) == {"A", "B", "C"}


def test_age_follows_birthdays_exactly(db):
    today = timezone.localdate(AT)
    CustomerFactory(external_id="today", birth_date=_years_before(today, 30))
    CustomerFactory(external_id="tomorrow", birth_date=_years_before(today, 30) + datetime.timedelta(days=1))
    assert set(customers_matching({"rules": [rule("age", "eq", 30)]}, at=AT).values_list("external_id", flat=True)) == {
        "today"
    }
    assert set(customers_matching({"rules": [rule("age", "eq", 29)]}, at=AT).values_list("external_id", flat=True)) == {
        "tomorrow"
    }
    for customer in Customer.objects.all():
        expected = customer.age(today)
        found = customers_matching({"rules": [rule("age", "eq", expected)]}, at=AT).filter(pk=customer.pk).exists()
        assert found


def test_years_before_handles_29_february():
    assert _years_before(datetime.date(2024, 2, 29), 1) == datetime.date(2023, 2, 28)
    assert _years_before(datetime.date(2024, 2, 29), 4) == datetime.date(2020, 2, 29)


def test_queryset_is_plain_sql_usable_as_subquery_and_in_insert_select(people):
    """Call list builds embed the queryset in their own SQL: no Python-side filtering, and the
    JSON conditions must follow table aliases when nested."""
    criteria = {"match": "all", "rules": [rule("attributes.churn_score", "gte", 0.5), rule("tag", "eq", "vip")]}
    nested = Customer.objects.filter(pk__in=customers_matching(criteria, at=AT).values("id"))
    assert list(nested.values_list("external_id", flat=True)) == ["A"]
    sql, params = customers_matching(criteria, at=AT).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE picked (customer_id bigint)")
        cursor.execute(f"INSERT INTO picked (customer_id) SELECT id FROM ({sql}) AS matching", params)
        cursor.execute("SELECT customer_id FROM picked")
        assert [row[0] for row in cursor.fetchall()] == [people[0].pk]


def test_values_are_normalized_by_validation():
    clean = validate_criteria(
        {
            "rules": [
                rule("age", "gte", "30"),
                rule("purchase_count", "in", [1, "2", 2.0]),
                rule("never_contacted", "eq", "true"),
                rule("tag", "exists"),
            ]
        }
    )
    assert clean == {
        "match": "all",
        "rules": [
            rule("age", "gte", 30),
            rule("purchase_count", "in", [1, 2]),
            rule("never_contacted", "eq", True),
            rule("tag", "exists", True),
        ],
    }


BAD = [
    ({"match": "some", "rules": []}, '"match" must be "all" or "any"'),
    ({"rules": "age > 3"}, '"rules" must be a list'),
    (["not", "an", "object"], "criteria must be an object"),
    ({"rules": [rule("shoe_size", "eq", 27)]}, 'unknown field "shoe_size"'),
    ({"rules": [rule("age", "like", 3)]}, 'unknown operator "like" for "age"'),
    ({"rules": [rule("age", "contains", 3)]}, 'operator "contains" cannot be used with "age"'),
    ({"rules": [rule("purchase_count", "exists", True)]}, 'operator "exists" cannot be used with "purchase_count"'),
    ({"rules": [rule("never_contacted", "gt", 1)]}, 'operator "gt" cannot be used with "never_contacted"'),
    ({"rules": [rule("age", "eq", "thirty")]}, '"age" needs a whole number, not "thirty"'),
    ({"rules": [rule("age", "eq", 30.5)]}, '"age" needs a whole number'),
    ({"rules": [rule("age", "eq", True)]}, '"age" needs a whole number'),
    ({"rules": [rule("mail_open_rate", "gte", "lots")]}, '"mail_open_rate" needs a number'),
    ({"rules": [rule("age", "between", [50])]}, '"age" with "between" needs two values'),
    ({"rules": [rule("age", "between", [50, 20])]}, "the low value 50 is above the high value 20"),
    ({"rules": [rule("age", "in", [])]}, '"age" with "in" needs a non-empty list'),
    ({"rules": [rule("gender", "eq", "f")]}, '"gender": "f" is not one of'),
    ({"rules": [rule("subscription_status", "in", ["active", "gold"])]}, '"subscription_status": "gold" is not one of'),
    ({"rules": [rule("never_contacted", "eq", "maybe")]}, '"never_contacted" needs true or false'),
    ({"rules": [rule("tag", "eq", "")]}, '"tag" needs a value'),
    ({"rules": [rule("prefecture", "eq", "x" * 201)]}, "longer than 200 characters"),
    ({"rules": [rule("attributes.", "exists", True)]}, "An attribute key is"),
    ({"rules": [rule("attributes.bad\tkey", "exists", True)]}, "An attribute key is"),
    ({"rules": [rule("attributes." + "k" * 65, "exists", True)]}, "An attribute key is"),
    ({"rules": [rule("attributes.score", "gt", "high")]}, '"attributes.score" needs a number'),
    ({"rules": [{"op": "eq", "value": 1}]}, "a field is required"),
    ({"rules": ["age>30"]}, "a rule must be an object"),
    ({"rules": [rule("age", "in", list(range(1001)))]}, "at most 1000 values"),
    ({"rules": [{"rules": [{"rules": [{"rules": []}]}]}]}, "nested at most 3 levels"),
]


@pytest.mark.parametrize("criteria, message", BAD, ids=[m[:30] for _c, m in BAD])
def test_invalid_criteria_get_a_message_naming_the_problem(criteria, message):
    with pytest.raises(ValidationError) as error:
        validate_criteria(criteria)
    assert any(message in text for text in error.value.messages), error.value.messages


def test_all_problems_are_reported_at_once_with_rule_numbers():
    with pytest.raises(ValidationError) as error:
        validate_criteria({"rules": [rule("age", "eq", 1), rule("foo", "eq", 1), rule("age", "bar", 1)]})
    messages = error.value.messages
    assert len(messages) == 2
    assert messages[0].startswith("rule 2:") and messages[1].startswith("rule 3:")


def test_customers_matching_refuses_invalid_criteria():
    with pytest.raises(ValidationError):
        customers_matching({"rules": [rule("foo", "eq", 1)]})


def test_description_reads_like_the_rules():
    text = describe_criteria(
        {"match": "all", "rules": [rule("last_purchase_days", "gte", 180), rule("gender", "in", ["female"])]}
    )
    assert "180" in text and "Female" in text
    assert describe_criteria({"rules": []}) == "All customers"
