"""The softphone against a real SIP server (Kamailio, see conftest.py): an operator signs in, the
console registers with server-issued credentials, dials three customers (one answers, one is
busy, one rings out), and every attempt is stored with the outcome the SIP result suggested and
the talk seconds the server timed. A do-not-call entry added while the card is on screen stops the
dial before anything reaches the SIP server."""

import pytest

from campaigns.models import CallAttempt, CallEvent
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from conftest import wait_until
from contacts.models import DoNotCall
from contacts.services import dnc
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHASE = "() => document.querySelector('[data-testid=call-phase]').textContent"


def campaign_with(operator, people, **fields):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="解約防止 12月", **fields)
    call_list = ready_list(campaign)
    entries = []
    for rank, (name, phone) in enumerate(people, start=1):
        customer = CustomerFactory(name=name, phone=phone)
        entries.append(entry(call_list, customer=customer, rank=rank, phone=customer.phones.get().number))
    return entries


def registered(page):
    page.wait_for_selector("[data-testid=softphone-status][data-state=registered]", timeout=20000)


def take_next_call(page, name):
    page.keyboard.press("n")
    page.wait_for_selector(f"[data-testid=customer-name]:has-text('{name}')")
    registered(page)


def test_operator_dials_three_customers_through_the_sip_server(page, browser_login, shot, operator, customer_phone):
    answers, busy, rings_out = campaign_with(
        operator,
        [("中村 愛", "090-1234-0001"), ("小林 誠", "090-1234-0002"), ("加藤 翼", "090-1234-0003")],
        caller_id="0312345678",
    )
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")

    # 1. The customer answers: talk, hold, a DTMF tone, hang up.
    take_next_call(page, "中村 愛")
    assert page.inner_text("[data-testid=call-phase]") == "未発信"
    shot(page, "softphone-1-registered")
    page.keyboard.press("c")
    wait_until(page, f"() => ({PHASE})() === '通話中'")
    page.click("[data-testid=btn-keypad]")
    page.click("[data-testid=dtmf-5]")
    page.click("[data-testid=btn-mute]")
    assert "active" in page.get_attribute("[data-testid=btn-mute]", "class")
    page.wait_for_timeout(1500)
    page.keyboard.press("h")
    wait_until(page, f"() => ({PHASE})() === '保留中'")
    page.wait_for_timeout(1000)
    page.keyboard.press("h")
    wait_until(page, f"() => ({PHASE})() === '通話中'")
    shot(page, "softphone-2-talking")
    page.keyboard.press("e")
    wait_until(page, f"() => ({PHASE})() === '後処理中'")
    page.keyboard.press("8")  # success
    page.keyboard.press("Control+Enter")

    # 2. Busy: the SIP server answers 486, the console preselects 話し中.
    take_next_call(page, "小林 誠")
    page.keyboard.press("c")
    page.wait_for_selector("[data-testid=suggested-outcome]:not(.d-none)")
    assert page.is_checked("input[name=disposition][value=busy]")
    assert "486" in page.inner_text("[data-testid=suggested-outcome]")
    shot(page, "softphone-3-busy")
    page.keyboard.press("Control+Enter")

    # 3. No answer: it rings at the far end until the SIP server gives up (408): 不在.
    take_next_call(page, "加藤 翼")
    page.keyboard.press("c")
    wait_until(page, f"() => ({PHASE})() === '呼出中'")
    page.wait_for_selector("[data-testid=suggested-outcome]:not(.d-none)", timeout=20000)
    assert page.is_checked("input[name=disposition][value=no_answer]")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=no-call]")

    stored = {a.entry_id: a for a in CallAttempt.objects.select_related("disposition")}
    talked = stored[answers.pk]
    assert talked.disposition.code == "success" and talked.sip_status is None
    assert talked.answered_at is not None
    assert talked.hold_seconds >= 1
    assert talked.talk_seconds >= 2
    # Server-timed: exactly what the stored events say.
    events = dict(CallEvent.objects.filter(attempt=talked).values_list("kind", "at"))
    assert talked.answered_at == events["answered"] and talked.ended_at == events["hung_up"]
    assert talked.talk_seconds == round(
        (events["hung_up"] - events["answered"] - (events["resumed"] - events["held"])).total_seconds()
    )
    assert (stored[busy.pk].disposition.code, stored[busy.pk].sip_status, stored[busy.pk].talk_seconds) == (
        "busy",
        486,
        0,
    )
    rang = stored[rings_out.pk]
    assert (rang.disposition.code, rang.sip_status, rang.talk_seconds) == ("no_answer", 408, 0)
    assert rang.ring_seconds >= 2  # it rang for the server's 2.5 s
    calls = customer_phone.calls()
    assert [call["user"] for call in calls] == ["answer", "ringer"]  # the busy number never reached a phone
    assert calls[0]["dtmf"] == ["5"] and "0312345678" in calls[0]["callerId"]


def test_a_dnc_entry_added_while_the_card_is_shown_stops_the_dial(
    page, browser_login, shot, operator, supervisor, customer_phone
):
    (held,) = campaign_with(operator, [("松本 陽子", "090-5555-0001")])
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    take_next_call(page, "松本 陽子")

    dnc.register_dnc(
        by=supervisor, reason=DoNotCall.Reason.CUSTOMER_REQUEST, source=DoNotCall.Source.SUPERVISOR, phone=held.phone
    )
    page.keyboard.press("c")
    page.wait_for_selector("[data-testid=call-refused]:not(.d-none)")
    assert "架電禁止" in page.inner_text("[data-testid=call-refused]")
    shot(page, "softphone-4-dnc-refused")
    page.wait_for_timeout(1000)
    assert page.inner_text("[data-testid=call-phase]") == "未発信"
    assert customer_phone.calls() == []
    assert not CallEvent.objects.exists()


def test_progressive_mode_dials_by_itself(page, browser_login, operator, customer_phone):
    campaign_with(operator, [("井上 大輔", "090-7777-0002")], progressive_dial_seconds=1)
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    take_next_call(page, "井上 大輔")
    page.wait_for_selector("[data-testid=suggested-outcome]:not(.d-none)", timeout=10000)
    assert page.is_checked("input[name=disposition][value=busy]")
    assert list(CallEvent.objects.values_list("kind", "source")) == [("dialing", "softphone"), ("failed", "softphone")]
