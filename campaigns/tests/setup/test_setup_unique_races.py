"""A name another request takes between a form's uniqueness check and the save (a double click,
two supervisors): the second gets a form error (page) or a 400 (API), never a server error.

Deterministic: another connection inserts the same name and commits once the request waits for
it. The request passes its check (it cannot see the uncommitted row), then waits at the unique
index until the other commits, and the database refuses its row."""

import pytest
from django.urls import reverse

from campaigns.models import CallingPolicy, Campaign, Disposition
from campaigns.services.policies import ensure_preset_policies
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory
from conftest import another_transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def taken_meanwhile(create):
    """`create()` in another transaction, committed once the block's request waits for it."""
    return another_transaction(create, commit_once_waited_on=True)


def test_a_campaign_name_taken_meanwhile_is_a_form_error(login, supervisor, reference_data):
    ensure_preset_policies()
    policy = CallingPolicy.objects.get(name="Japan standard")
    with taken_meanwhile(lambda: CampaignFactory(name="年末セール", policy=policy)):
        response = login(supervisor).post(
            reverse("campaigns:campaign_create"),
            {
                "name": "年末セール",
                "purpose": "sales",
                "policy": policy.pk,
                "cost_per_hour": "1800",
                "cost_per_minute": "3",
                "fixed_cost": "0",
            },
        )

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["この名前のキャンペーンは既に存在します。"]
    assert Campaign.objects.filter(name="年末セール").count() == 1


def test_a_disposition_code_taken_meanwhile_is_a_form_error(login, supervisor, reference_data):
    with taken_meanwhile(
        lambda: Disposition.objects.create(code="home_visit", label="Home visit", label_ja="訪問", position=300)
    ):
        response = login(supervisor).post(
            reverse("campaigns:disposition_create"),
            {
                "code": "home_visit",
                "label": "Home visit booked",
                "label_ja": "訪問予約",
                "is_contact": "on",
                "position": "200",
            },
        )

    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert Disposition.objects.filter(code="home_visit").count() == 1


def test_a_policy_name_taken_meanwhile_is_a_400_in_the_api(api_as, supervisor, reference_data):
    with taken_meanwhile(lambda: CallingPolicyFactory(name="夜間なし")):
        template = CallingPolicyFactory.build()
        body = {
            "name": "夜間なし",
            "call_window_start": "09:00",
            "call_window_end": "18:00",
            "weekdays": [0, 1, 2, 3, 4],
            "skip_holidays": True,
            "holiday_country": "JP",
            "max_attempts": template.max_attempts,
            "max_attempts_per_day": 2,
            "min_gap_minutes": 60,
            "cap_attempts": 3,
            "cap_days": 7,
            "cooloff_days_after_contact": 7,
            "no_resolicit_after_refusal": True,
            "retry_delays": {},
        }

        response = api_as(supervisor).post("/api/v1/policies/", body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["name"]
    assert CallingPolicy.objects.filter(name="夜間なし").count() == 1


def test_an_api_disposition_code_taken_meanwhile_is_a_400(api_as, supervisor, reference_data):
    with taken_meanwhile(
        lambda: Disposition.objects.create(code="home_visit", label="Home visit", label_ja="訪問", position=300)
    ):
        response = api_as(supervisor).post(
            "/api/v1/dispositions/",
            {
                "code": "home_visit",
                "label": "Home visit booked",
                "label_ja": "訪問予約",
                "is_contact": True,
            },
            format="json",
        )

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["code"]
    assert Disposition.objects.filter(code="home_visit").count() == 1
