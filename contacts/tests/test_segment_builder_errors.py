"""The builder page words problems with field, operator and choice labels in the user's language;
the API keeps naming them by their machine keys (clients match on those)."""

import html
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from contacts.segments import validate_criteria

pytestmark = pytest.mark.django_db

BAD = {
    "match": "all",
    "rules": [
        {"field": "last_purchase_days", "op": "between", "value": [None, 20]},
        {"field": "gender", "op": "eq", "value": "robot"},
        {"field": "age", "op": "contains", "value": 3},
        {"field": "purchase_count", "op": "gte", "value": "many"},
    ],
}
RAW_KEYS = ["last_purchase_days", "purchase_count", '"gender"', '"age"', "eq, ne", "null", '"male"']
WORDED = {
    "en": [
        'rule 1: "Days since last purchase" needs a value',
        'rule 2: "Gender": "robot" is not one of Male, Female, Other, Unknown',
        'rule 3: operator "contains" cannot be used with "Age" (allowed: is, is not, less than,',
        'rule 4: "Number of purchases" needs a whole number, not "many"',
    ],
    "ja": [
        "条件 1: 「最終購入からの日数」に値を指定してください",
        '条件 2: 「性別」: "robot" は使えません（使える値: 男性, 女性, その他, 不明）',
        "条件 3: 演算子「含む」は「年齢」には使えません（使える演算子: 等しい, 等しくない,",
        '条件 4: 「購入回数」には整数を指定してください（"many" は整数ではありません）',
    ],
}


def _shown(response) -> str:
    return html.unescape(response.content.decode())


def _errors_block(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}">')[1].split("</div>")[0]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_live_count_errors_name_labels_not_keys(login, supervisor, language):
    client = login(supervisor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.post(reverse("contacts:segment_preview"), {"criteria": json.dumps(BAD)})
    errors = _errors_block(_shown(response), "segment-errors")
    for sentence in WORDED[language]:
        assert sentence in errors
    for key in RAW_KEYS:
        assert key not in errors


@pytest.mark.parametrize("language", ["en", "ja"])
def test_saving_bad_rules_shows_labels_and_keeps_the_rules(login, supervisor, language):
    client = login(supervisor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.post(reverse("contacts:segment_create"), {"name": "休眠", "criteria": json.dumps(BAD)})
    page = _shown(response)
    errors = _errors_block(page, "criteria-errors")
    for sentence in WORDED[language]:
        assert sentence in errors
    for key in RAW_KEYS:
        assert key not in errors
    assert json.loads(response.context["criteria_json"]) == BAD, "the rules typed are kept for the builder"


def test_the_api_keeps_machine_keys():
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        validate_criteria(BAD)
    messages = raised.value.messages
    assert messages[0] == 'rule 1: "last_purchase_days" needs a value'
    assert messages[1] == 'rule 2: "gender": "robot" is not one of "male", "female", "other", ""'
    assert messages[2].startswith('rule 3: operator "contains" cannot be used with "age" (allowed: eq, ne,')
