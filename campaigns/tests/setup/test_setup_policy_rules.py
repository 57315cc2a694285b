"""The shared policy rules (cap, cool-off, re-solicitation) judged for one customer."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import CallAttempt, Disposition
from campaigns.services.policy_rules import blocking_reason
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def attempt(*, customer, campaign, code, days_ago, now):
    started = now - datetime.timedelta(days=days_ago)
    return CallAttempt.objects.create(
        campaign=campaign,
        customer=customer,
        phone="+819000000000",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=1),
        disposition=Disposition.objects.get(code=code),
    )


def test_cap_counts_attempts_of_every_campaign_in_the_rolling_window(reference_data):
    now = timezone.now()
    policy = CallingPolicyFactory(cap_attempts=3, cap_days=7)
    first, second = CampaignFactory(policy=policy), CampaignFactory(policy=policy)
    customer = CustomerFactory()
    attempt(customer=customer, campaign=first, code="no_answer", days_ago=1, now=now)
    attempt(customer=customer, campaign=second, code="no_answer", days_ago=2, now=now)
    attempt(customer=customer, campaign=second, code="busy", days_ago=8, now=now)  # outside
    assert blocking_reason(policy=policy, customer=customer, campaign=first, at=now) is None
    attempt(customer=customer, campaign=first, code="busy", days_ago=6, now=now)
    assert blocking_reason(policy=policy, customer=customer, campaign=first, at=now) == "cap"
    # A week later the window has rolled past all of them.
    later = now + datetime.timedelta(days=7)
    assert blocking_reason(policy=policy, customer=customer, campaign=first, at=later) is None


def test_cooloff_follows_a_conversation_in_any_campaign(reference_data):
    now = timezone.now()
    policy = CallingPolicyFactory(cooloff_days_after_contact=7)
    mine, other = CampaignFactory(policy=policy), CampaignFactory(policy=policy)
    customer = CustomerFactory()
    attempt(customer=customer, campaign=other, code="no_answer", days_ago=1, now=now)
    assert blocking_reason(policy=policy, customer=customer, campaign=mine, at=now) is None
    attempt(customer=customer, campaign=other, code="success", days_ago=6, now=now)
    assert blocking_reason(policy=policy, customer=customer, campaign=mine, at=now) == "cooloff"
    assert blocking_reason(policy=policy, customer=customer, campaign=mine, at=now + datetime.timedelta(days=2)) is None


def test_refusal_blocks_only_the_same_campaign_and_only_with_the_rule_on(reference_data):
    now = timezone.now()
    policy = CallingPolicyFactory(no_resolicit_after_refusal=True)
    refused_in, other = CampaignFactory(policy=policy), CampaignFactory(policy=policy)
    customer = CustomerFactory()
    attempt(customer=customer, campaign=refused_in, code="refused", days_ago=200, now=now)
    assert blocking_reason(policy=policy, customer=customer, campaign=refused_in, at=now) == "refused_before"
    assert blocking_reason(policy=policy, customer=customer, campaign=other, at=now) is None
    relaxed = CallingPolicyFactory(no_resolicit_after_refusal=False)
    assert blocking_reason(policy=relaxed, customer=customer, campaign=refused_in, at=now) is None


def test_busy_call_me_later_is_not_a_refusal(reference_data):
    now = timezone.now()
    policy = CallingPolicyFactory()
    campaign = CampaignFactory(policy=policy)
    customer = CustomerFactory()
    attempt(customer=customer, campaign=campaign, code="callback", days_ago=1, now=now)
    attempt(customer=customer, campaign=campaign, code="busy", days_ago=1, now=now)
    assert blocking_reason(policy=policy, customer=customer, campaign=campaign, at=now) is None
