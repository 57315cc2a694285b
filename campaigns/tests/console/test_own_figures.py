"""The console shows the operator their own figures for today and this week, from the KPI
rollups: dials, contacts, successes, talk time, utilization; never a colleague's."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AgentStateLog, CallAttempt, Disposition
from campaigns.services.kpis import refresh_kpi_rollups
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_console_shows_the_operators_own_figures_from_the_rollups(login, operator, operator2):
    campaign = working_campaign(operators=[operator, operator2], policy=open_around_the_clock())
    call_list = ready_list(campaign)
    now = timezone.now()
    # Today's figures count the local day: shortly after midnight the calls go just after it.
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - dt.timedelta(minutes=30), midnight - dt.timedelta(minutes=1))
    AgentStateLog.objects.create(
        operator=operator,
        state="ready",
        started_at=start,
        ended_at=max(now - dt.timedelta(minutes=5), start + dt.timedelta(minutes=1)),
    )
    for who, code, talk in ((operator, "success", 300), (operator, "no_answer", 0), (operator2, "success", 600)):
        item = entry(call_list, customer=CustomerFactory())
        CallAttempt.objects.create(
            entry=item,
            call_list=call_list,
            campaign=campaign,
            customer=item.customer,
            operator=who,
            phone=item.phone,
            attempt_number=1,
            started_at=start + dt.timedelta(minutes=1),
            ended_at=start + dt.timedelta(minutes=6),
            talk_seconds=talk,
            disposition=Disposition.objects.get(code=code),
        )
    refresh_kpi_rollups(now=now)
    page = login(operator).get(reverse("campaigns:console")).content.decode()
    assert 'data-testid="my-figures"' in page
    today = page.split('data-testid="my-figures-1"')[1].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in today.split("</td>")[:-1]]
    assert cells[:4] == ["2", "1", "1", "0:05"]  # dials, contacts, successes, talk (not the colleague's)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_figures_in_the_browser(page, browser_login, operator, shot):
    from playwright.sync_api import expect

    browser_login(operator)
    page.goto(page.base_url + "/campaigns/console/")
    expect(page.get_by_test_id("my-figures")).to_contain_text("今日")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("my-figures")).to_contain_text("This week")
    shot(page, "console-my-figures-en")
