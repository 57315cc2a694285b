"""Browser journey: an operator books an appointment inside the call with the keyboard (A for the
outcome, an arrow key for the slot, Ctrl+Enter to save), and the salesperson gets the invitation."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Appointment, CallAttempt, Campaign
from campaigns.services.appointments import free_slots
from campaigns.tests.factories_appointments import SalespersonFactory
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from conftest import wait_until
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
RANGE_IS = (
    "(r) => { const el = document.querySelector('[data-testid=slots-range]'); return !!el && el.innerText === r; }"
)
RANGE_CHANGED = (
    "(r) => { const el = document.querySelector('[data-testid=slots-range]'); return !!el && el.innerText !== r; }"
)


@pytest.fixture
def appointment_call(operator):
    campaign = working_campaign(operators=[operator], policy=open_around_the_clock(), name="太陽光 訪問アポ 12月")
    customer = CustomerFactory(
        name="山田 花子", name_kana="ヤマダ ハナコ", prefecture="東京都", address="千代田区丸の内1-1", tags=["太陽光"]
    )
    entry(ready_list(campaign, name="東京 戸建て"), customer=customer, phone=customer.phones.get().number)
    # Every day: the journey does not depend on the day it runs (tomorrow has slots at any hour).
    tanaka = SalespersonFactory(
        name="田中 誠",
        email="tanaka@example.jp",
        prefectures=["東京都"],
        products=["太陽光"],
        weekdays=EVERY_DAY,
        work_start=dt.time(9),
        work_end=dt.time(18),
    )
    SalespersonFactory(
        name="Smith",
        time_zone="America/Los_Angeles",
        products=["太陽光"],
        weekdays=EVERY_DAY,
        work_start=dt.time(9),
        work_end=dt.time(12),
    )
    SalespersonFactory(name="大阪 担当", prefectures=["大阪府"], weekdays=EVERY_DAY)
    return tanaka


def test_operator_books_an_appointment_in_a_few_keystrokes(page, browser_login, shot, operator, appointment_call):
    tanaka = appointment_call
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]:has-text('山田 花子')")
    page.keyboard.press("c")
    page.keyboard.press("e")

    # A: the appointment outcome, the panel opens with the fitting salespeople's slots.
    page.keyboard.press("a")
    page.wait_for_selector("[data-testid=appointment-panel]:not(.d-none) [data-testid=slot]")
    assert page.is_checked("input[name=disposition][value=appointment]")
    slots_text = page.inner_text("[data-testid=appointment-slots]")
    assert "田中 誠" in slots_text and "Smith" in slots_text and "大阪 担当" not in slots_text
    assert "America/Los_Angeles" in slots_text  # the salesperson's own time next to the customer's
    wait_until(page, "document.activeElement && document.activeElement.name === 'appointment-slot'")

    # ] shows the next week, [ comes back; the first slot has the focus again.
    first_range = page.inner_text("[data-testid=slots-range]")
    page.keyboard.press("]")
    wait_until(page, RANGE_CHANGED, first_range)
    page.keyboard.press("[")
    wait_until(page, RANGE_IS, first_range)
    wait_until(page, "document.activeElement && document.activeElement.name === 'appointment-slot'")

    # An arrow key to the second slot; a note for the salesperson.
    page.keyboard.press("ArrowRight")
    chosen = page.eval_on_selector("input[name=appointment-slot]:checked", "el => el.value")
    page.fill("#id_appointment-notes", "屋根の写真を事前に送付済み")
    shot(page, "appointment-1-booking-panel")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=no-call]")

    made = Appointment.objects.get()
    assert made.attempt == CallAttempt.objects.get() and made.attempt.disposition.code == "appointment"
    assert f"{made.salesperson_id}@{made.starts_at.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}" == chosen
    assert made.notes == "屋根の写真を事前に送付済み" and made.booked_by == operator
    if made.salesperson == tanaka:
        # The invitation went out after the commit (the mail task runs eagerly in the live server).
        assert [m.to for m in mail.outbox] == [["tanaka@example.jp"]]


def test_a_slot_taken_while_the_operator_chose_is_refused_in_the_page(
    page, browser_login, shot, operator, appointment_call
):
    tanaka = appointment_call
    tanaka.products = []
    tanaka.save()
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]")
    page.keyboard.press("a")
    page.wait_for_selector("[data-testid=appointment-panel]:not(.d-none) [data-testid=slot]")
    # The second slot, not the first: the first may start barely two hours from now, and a save a
    # few seconds later would be refused for the lead before the taken slot is ever reached.
    page.click("[data-testid=slot]:has-text('田中 誠') >> nth=1")
    value = page.eval_on_selector("input[name=appointment-slot]:checked", "el => el.value")
    slot = next(s for s in free_slots(salespeople=[tanaka], start=timezone.localdate(), days=8) if s.value == value)
    # Someone else books the same slot first.
    Appointment.objects.create(
        salesperson=tanaka,
        customer=CustomerFactory(),
        campaign=Campaign.objects.get(),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        set_at=slot.starts_at - dt.timedelta(days=1),
    )
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=outcome-errors]")
    assert "この枠はたった今ほかの人が予約しました" in page.inner_text("[data-testid=outcome-errors]")
    # The panel is still open, the taken slot gone from the list, the call still held.
    page.wait_for_selector("[data-testid=appointment-panel]:not(.d-none) [data-testid=slot]")
    assert page.locator(f"input[name=appointment-slot][value='{value}']").count() == 0
    shot(page, "appointment-2-slot-taken")
    assert not CallAttempt.objects.exists()
