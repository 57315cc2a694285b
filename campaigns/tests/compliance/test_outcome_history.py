"""History that cannot be rewritten: each attempt keeps the meaning its outcome had when it was
logged, and refusals block by campaign, product or company."""

import datetime
import importlib

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from callcenter.history import history_change
from campaigns.models import CallAttempt, CallingPolicy, Disposition, Refusal
from campaigns.selectors.kpis.sql import attempt_buckets_sql
from campaigns.services import policy_rules
from campaigns.services.policy_rules import blocking_reason
from campaigns.tests.factories import CallingPolicyFactory, CampaignFactory, CustomerFactory

pytestmark = pytest.mark.django_db

Scope = CallingPolicy.RefusalScope


def attempt(*, customer, campaign, code, minutes_ago=60, now=None):
    started = (now or timezone.now()) - datetime.timedelta(minutes=minutes_ago)
    return CallAttempt.objects.create(
        campaign=campaign,
        customer=customer,
        phone="+819000000000",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=1),
        disposition=Disposition.objects.get(code=code),
    )


def contacts_and_successes(campaign) -> tuple[int, int]:
    with connection.cursor() as cursor:
        buckets = attempt_buckets_sql("a.campaign_id = %(c)s")
        cursor.execute(
            f"SELECT coalesce(sum(contacts), 0), coalesce(sum(successes), 0) FROM ({buckets}) b",
            {"tz": "Asia/Tokyo", "c": campaign.pk},
        )
        return tuple(int(v) for v in cursor.fetchone())


def test_an_attempt_stores_the_meaning_of_its_outcome_whatever_path_inserts_it(reference_data):
    customer, campaign = CustomerFactory(), CampaignFactory()
    refused = attempt(customer=customer, campaign=campaign, code="refused")
    refused.refresh_from_db()
    flags = {flag: getattr(refused, flag) for flag in CallAttempt.MEANING_FLAGS}
    disposition = Disposition.objects.get(code="refused")
    assert flags == {flag: getattr(disposition, flag) for flag in CallAttempt.MEANING_FLAGS}
    assert refused.is_refusal and refused.is_contact
    # A raw INSERT that names none of the flags gets them too (the trigger).
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_callattempt (campaign_id, customer_id, phone, attempt_number, started_at, ended_at,"
            " talk_seconds, hold_seconds, acw_seconds, disposition_id, reaction, notes, callback_personal, answers,"
            " created_at) VALUES (%s, %s, '+819000000000', 1, now(), now(), 0, 0, 0, %s, '', '', false, '{}', now())"
            " RETURNING is_success, is_contact, is_refusal",
            [campaign.pk, customer.pk, Disposition.objects.get(code="success").pk],
        )
        assert cursor.fetchone() == (True, True, False)


def test_unticking_refusal_on_an_outcome_leaves_past_refusals_in_force(reference_data):
    now = timezone.now()
    policy = CallingPolicyFactory(no_resolicit_after_refusal=True)
    campaign = CampaignFactory(policy=policy)
    customer = CustomerFactory()
    attempt(customer=customer, campaign=campaign, code="refused", now=now)
    assert blocking_reason(policy=policy, customer=customer, campaign=campaign, at=now) == "refused_before"
    Disposition.objects.filter(code="refused").update(is_refusal=False, is_final=False)
    # The customer who refused stays protected, in dispatch and in the list build alike.
    assert blocking_reason(policy=policy, customer=customer, campaign=campaign, at=now) == "refused_before"
    with connection.cursor() as cursor:
        cursor.execute(policy_rules.customers_refused_sql(policy, campaign=str(campaign.pk)))
        assert [row[0] for row in cursor.fetchall()] == [customer.pk]
    # A later call with that outcome is not a refusal any more.
    later_customer = CustomerFactory()
    later = attempt(customer=later_customer, campaign=campaign, code="refused", now=now)
    later.refresh_from_db()
    assert later.is_refusal is False
    assert blocking_reason(policy=policy, customer=later_customer, campaign=campaign, at=now) is None


def test_editing_contact_and_success_flags_changes_no_past_kpi_nor_cool_off(reference_data):
    now = timezone.now()
    policy = CallingPolicyFactory(cooloff_days_after_contact=7)
    campaign = CampaignFactory(policy=policy)
    customer = CustomerFactory()
    attempt(customer=customer, campaign=campaign, code="success", now=now)
    attempt(customer=CustomerFactory(), campaign=campaign, code="no_answer", now=now)
    assert contacts_and_successes(campaign) == (1, 1)
    assert blocking_reason(policy=policy, customer=customer, campaign=campaign, at=now) == "cooloff"
    Disposition.objects.filter(code="success").update(is_contact=False, is_success=False)
    Disposition.objects.filter(code="no_answer").update(is_contact=True, is_success=True)
    assert contacts_and_successes(campaign) == (1, 1)
    assert blocking_reason(policy=policy, customer=customer, campaign=campaign, at=now) == "cooloff"


def _campaigns_selling(policy):
    return {
        "refused_in": CampaignFactory(policy=policy, company="ABC株式会社", product="光回線"),
        # the same company and product, written differently (width, case, spaces)
        "same_product": CampaignFactory(policy=policy, company=" ＡＢＣ株式会社 ", product="光回線"),
        "other_product": CampaignFactory(policy=policy, company="ABC株式会社", product="ウォーターサーバー"),
        "other_company": CampaignFactory(policy=policy, company="XYZ株式会社", product="光回線"),
        "unnamed": CampaignFactory(policy=policy),
    }


@pytest.mark.parametrize(
    ("scope", "blocked"),
    [
        (Scope.CAMPAIGN, {"refused_in"}),
        (Scope.PRODUCT, {"refused_in", "same_product"}),
        (Scope.COMPANY, {"refused_in", "same_product", "other_product"}),
    ],
)
def test_a_refusal_blocks_every_campaign_in_the_policys_scope(reference_data, scope, blocked):
    now = timezone.now()
    policy = CallingPolicyFactory(no_resolicit_after_refusal=True, refusal_scope=scope)
    campaigns = _campaigns_selling(policy)
    customer, bystander = CustomerFactory(), CustomerFactory()
    attempt(customer=customer, campaign=campaigns["refused_in"], code="refused", now=now)
    attempt(customer=bystander, campaign=campaigns["refused_in"], code="busy", now=now)
    for name, campaign in campaigns.items():
        reason = blocking_reason(policy=policy, customer=customer, campaign=campaign, at=now)
        assert (reason == "refused_before") == (name in blocked), name
        assert blocking_reason(policy=policy, customer=bystander, campaign=campaign, at=now) is None
        # The set form used by the list build agrees with the per-customer form of dispatch.
        with connection.cursor() as cursor:
            cursor.execute(policy_rules.customers_refused_sql(policy, campaign=str(campaign.pk)))
            assert {row[0] for row in cursor.fetchall()} == ({customer.pk} if name in blocked else set()), name


def test_busy_call_me_later_files_no_refusal(reference_data):
    customer = CustomerFactory()
    campaign = CampaignFactory(company="ABC", product="光回線")
    attempt(customer=customer, campaign=campaign, code="callback")
    attempt(customer=customer, campaign=campaign, code="busy")
    assert not Refusal.objects.filter(customer=customer).exists()


def test_a_refusal_is_filed_in_the_transaction_of_its_attempt(reference_data):
    customer = CustomerFactory()
    campaign = CampaignFactory(company="ABC", product="光回線")
    with pytest.raises(RuntimeError), transaction.atomic():
        refused = attempt(customer=customer, campaign=campaign, code="refused")
        assert set(Refusal.objects.filter(attempt=refused).values_list("scope_key", flat=True)) == {
            f"campaign:{campaign.pk}",
            "product:abc\x1f光回線",
            "company:abc",
        }
        raise RuntimeError("roll back")
    assert not Refusal.objects.exists()


def test_the_migration_fills_the_meaning_and_the_refusals_of_existing_attempts(reference_data):
    migration = importlib.import_module("campaigns.migrations.0007_attempt_outcome_meaning")
    customer, campaign = CustomerFactory(), CampaignFactory(product="光回線")
    refused = attempt(customer=customer, campaign=campaign, code="refused")
    success = attempt(customer=customer, campaign=campaign, code="success")
    with history_change("test: attempts logged before the meaning was stored"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_callattempt SET is_contact = false, is_success = false, is_final = false,"
            " is_refusal = false, adds_dnc = false, is_callback = false"
        )
        cursor.execute("DELETE FROM campaigns_refusal")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(migration.FILL_SQL)
    refused.refresh_from_db()
    success.refresh_from_db()
    assert refused.is_refusal and refused.is_contact and not refused.is_success
    assert success.is_success and success.is_contact and not success.is_refusal
    assert set(Refusal.objects.values_list("customer_id", "attempt_id", "scope_key")) == {
        (customer.pk, refused.pk, f"campaign:{campaign.pk}"),
        (customer.pk, refused.pk, "product:\x1f光回線"),
    }


def test_the_outcome_edit_page_says_past_calls_keep_their_meaning(login, supervisor):
    disposition = Disposition.objects.get(code="refused")
    page = login(supervisor).get(reverse("campaigns:disposition_edit", args=[disposition.pk]))
    assert page.status_code == 200
    assert 'data-testid="outcome-history-note"' in page.content.decode()
    new_page = login(supervisor).get(reverse("campaigns:disposition_create"))
    assert 'data-testid="outcome-history-note"' not in new_page.content.decode()
