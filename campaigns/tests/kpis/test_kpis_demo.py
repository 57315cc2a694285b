"""campaigns.demo.kpis: after the demo history, the rollups hold it (equal to the raw tables)."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.demo import history as demo_history
from campaigns.demo import kpis as demo_kpis
from campaigns.models import Campaign
from campaigns.selectors.kpis.figures import KpiFilter
from campaigns.selectors.kpis.tables import GROUPINGS, kpi_tables
from campaigns.tests.factories_console import entry, japan_standard, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_rollups_match_the_demo_history_and_reseeding_changes_nothing(operator, operator2, manager, login):
    policy = japan_standard()
    active = working_campaign(operators=[operator, operator2], policy=policy)
    finished = working_campaign(operators=[operator, operator2], policy=policy, status=Campaign.Status.FINISHED)
    customers = [CustomerFactory() for _ in range(120)]
    for campaign, people in ((active, customers[:80]), (finished, customers[40:])):
        call_list = ready_list(campaign)
        for rank, customer in enumerate(people, start=1):
            entry(call_list, customer=customer, rank=rank)
    users = {"operator1": operator, "operator2": operator2}
    demo_history.seed(users=users, stdout=io.StringIO())

    out = io.StringIO()
    demo_kpis.seed(users=users, stdout=out)
    assert "KPI rollups" in out.getvalue()
    today = timezone.localdate()
    kpi_filter = KpiFilter(date_from=today - datetime.timedelta(days=60), date_to=today)
    now = timezone.now()
    rollup = kpi_tables(kpi_filter, list(GROUPINGS), now=now)
    raw = kpi_tables(kpi_filter, list(GROUPINGS), source="raw", now=now)
    for grouping in GROUPINGS:
        assert [(r.key, r.figures) for r in rollup[grouping]] == [(r.key, r.figures) for r in raw[grouping]], grouping
    totals = rollup["none"][0].figures
    assert totals.dials > 50 and totals.contacts > 0 and totals.logged_in_seconds > 0 and totals.cost > 0

    again = io.StringIO()
    demo_kpis.seed(users=users, stdout=again)
    assert "(0 changed)" in again.getvalue()

    page = login(manager).get(reverse("campaigns:dashboard"))
    assert page.context["totals"].dials > 0
