"""The call's state lives on the server: in tel: mode the console's buttons post the events, and
a reload during the after-call work, or a second window, shows the real phase and timers."""

import pytest

from campaigns.models import CallAttempt, CallEvent
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from conftest import wait_until
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def one_customer(operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="定期便 フォロー")
    customer = CustomerFactory(name="佐藤 一郎", name_kana="サトウ イチロウ", phone="090-2222-3333")
    return entry(ready_list(campaign), customer=customer, phone=customer.phones.get().number)


def phase(page):
    return page.inner_text("[data-testid=call-phase]")


def test_a_reload_during_after_call_work_shows_the_truth(page, browser_login, shot, operator, one_customer):
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]:has-text('佐藤 一郎')")
    page.keyboard.press("c")
    wait_until(page, "() => document.querySelector('[data-testid=call-phase]').textContent === '通話中'")
    page.wait_for_timeout(2200)
    page.keyboard.press("h")
    wait_until(page, "() => document.querySelector('[data-testid=call-phase]').textContent === '保留中'")
    page.wait_for_timeout(1100)
    page.keyboard.press("h")
    page.keyboard.press("e")
    wait_until(page, "() => document.querySelector('[data-testid=call-phase]').textContent === '後処理中'")
    assert CallEvent.objects.filter(entry=one_customer).count() == 4

    page.reload()
    page.wait_for_selector("[data-testid=customer-name]:has-text('佐藤 一郎')")
    assert phase(page) == "後処理中"
    # Measured by the server: not the zeros a fresh tab would start from.
    assert page.inner_text("#timer-talk") in ("00:02", "00:03")
    assert page.inner_text("#timer-hold") in ("00:01", "00:02")
    page.wait_for_timeout(1100)
    assert page.inner_text("#timer-acw") != "00:00"
    assert page.is_disabled("[data-testid=btn-hangup]") and page.is_disabled("[data-testid=btn-connected]")
    shot(page, "call-events-1-after-reload")

    # A second window of the same operator sees the same call.
    second = page.context.new_page()
    second.goto(page.base_url + "/campaigns/console/")
    assert phase(second) == "後処理中"
    assert second.inner_text("#timer-talk") == page.inner_text("#timer-talk")
    second.close()

    page.keyboard.press("2")  # busy after all
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=next-call]")
    attempt = CallAttempt.objects.get(entry=one_customer)
    assert attempt.disposition.code == "busy"
    assert 2 <= attempt.talk_seconds <= 3 and 1 <= attempt.hold_seconds <= 2
    assert attempt.acw_seconds >= 1
    assert set(CallEvent.objects.filter(entry=one_customer).values_list("attempt_id", flat=True)) == {attempt.pk}


def test_the_live_board_shows_who_is_on_a_call_and_for_how_long(
    page, browser_login, shot, operator, supervisor, one_customer
):
    import datetime as dt

    from django.utils import timezone

    from campaigns.services import call_events
    from campaigns.services.dispatch import dispatch_next

    held = dispatch_next(operator=operator)
    for kind, seconds_ago in (("dialing", 200), ("ringing", 195), ("answered", 185)):
        call_events.record_call_event(
            entry_id=held.pk,
            operator=operator,
            kind=kind,
            source=CallEvent.Source.SOFTPHONE,
            now=timezone.now() - dt.timedelta(seconds=seconds_ago),
        )
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/console/board/")
    row = page.locator(f"tr[data-operator='{operator.username}']")
    assert row.locator("[data-phase=talking]").inner_text() == "通話中"
    minutes, seconds = row.locator("[data-testid=board-talk]").inner_text().split(":")
    assert 185 <= int(minutes) * 60 + int(seconds) < 240  # answered 185 s before the page was asked for
    assert "佐藤 一郎" in row.inner_text()
    shot(page, "call-events-2-live-board")
