"""Browser journeys of the calendar: a salesperson reads their week and marks yesterday's visit
held; a supervisor filters by salesperson, cancels an appointment after confirming, and moves
another one."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Appointment
from campaigns.tests.factories_appointments import SalespersonFactory, appointment
from campaigns.tests.factories_console import TOKYO, working_campaign
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def at(days, hour, minute=0):
    today = timezone.now().astimezone(TOKYO).date()
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=TOKYO)


@pytest.fixture
def week(sales, operator):
    campaign = working_campaign(operators=[operator], name="太陽光 訪問アポ")
    kato = SalespersonFactory(name="加藤 健", user=sales, weekdays=EVERY_DAY)
    tanaka = SalespersonFactory(name="田中 誠", weekdays=EVERY_DAY)
    people = {
        "yesterday": ("山田 花子", kato, at(-1, 10), "booked"),
        "held": ("鈴木 次郎", kato, at(-1, 14), "held"),
        "today": ("高橋 三郎", kato, at(0, 15, 30), "booked"),
        "later": ("伊藤 美咲", kato, at(1, 11), "booked"),
        "no_show": ("渡辺 健太", kato, at(-1, 16), "no_show"),
        # Today, not tomorrow: on a Sunday tomorrow is in the next week, outside the week view.
        "tanaka": ("中村 優", tanaka, at(0, 13), "booked"),
    }
    made = {}
    for key, (name, salesperson, starts_at, status) in people.items():
        made[key] = appointment(
            salesperson=salesperson,
            customer=CustomerFactory(name=name, prefecture="東京都", address="港区芝公園4-2-8"),
            campaign=campaign,
            starts_at=starts_at,
            status=status,
            booked_by=operator,
            place="お客様宅" if key != "later" else "",
            mode="online" if key == "later" else "visit",
            notes="駐車場あり",
        )
    return made


def test_a_salesperson_reads_the_week_and_marks_a_visit_held(page, browser_login, shot, sales, week):
    browser_login(sales)
    assert "/campaigns/appointments/" in page.url
    page.wait_for_selector("[data-testid=calendar-week]")
    # The week of yesterday's visit: on a Monday that is last week.
    yesterday = at(-1, 10).date()
    page.goto(page.base_url + f"/campaigns/appointments/?date={yesterday.isoformat()}")
    text = page.inner_text("[data-testid=calendar-week]")
    assert "山田 花子" in text and "中村 優" not in text  # another salesperson's customer
    assert page.locator("[data-testid=feed]").count() == 1
    shot(page, "appointment-3-salesperson-week")

    page.click(f"[data-appointment='{week['yesterday'].pk}'] [data-testid=appointment-customer]")
    page.wait_for_selector("[data-testid=appointment-detail]")
    assert "駐車場あり" in page.inner_text("[data-testid=appointment-detail]")
    shot(page, "appointment-4-detail")
    page.click("[data-testid=mark-held]")
    page.wait_for_selector("[data-testid=appointment-status][data-status=held]")
    assert Appointment.objects.get(pk=week["yesterday"].pk).status == "held"

    # The same calendar in English.
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("[data-testid=appointment-status][data-status=held]:has-text('Held')")
    page.click("text=Back to the calendar")
    page.wait_for_selector("[data-testid=calendar-day-view]")
    assert "Times in Asia/Tokyo." in page.inner_text("main")
    page.click("[data-testid=view-week]")
    page.wait_for_selector("[data-testid=calendar-week]")
    assert "No-show" in page.inner_text("[data-testid=calendar-week]")
    shot(page, "appointment-7-week-english")


def test_a_supervisor_cancels_and_moves_appointments_from_the_day_view(page, browser_login, shot, supervisor, week):
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/appointments/")
    page.wait_for_selector("[data-testid=calendar-week]")
    assert "中村 優" in page.inner_text("[data-testid=calendar-week]")
    page.select_option("[data-testid=salesperson-filter] select", label="加藤 健")
    page.wait_for_selector("[data-testid=calendar-salesperson]:has-text('加藤 健')")
    assert "中村 優" not in page.inner_text("[data-testid=calendar-week]")

    # Tomorrow's day view: cancel, after confirming.
    page.click("[data-testid=view-day]")
    page.click("[data-testid=calendar-next]")
    page.wait_for_selector(f"[data-appointment='{week['later'].pk}']")
    shot(page, "appointment-5-day-view")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(f"[data-appointment='{week['later'].pk}'] [data-testid=mark-cancelled]")
    assert Appointment.objects.get(pk=week["later"].pk).status == "booked"  # dismissed: nothing happens
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"[data-appointment='{week['later'].pk}'] [data-testid=mark-cancelled]")
    page.wait_for_selector(f"[data-appointment='{week['later'].pk}'] [data-status=cancelled]")

    # Today's appointment moves to tomorrow 16:00.
    page.goto(page.base_url + f"/campaigns/appointments/{week['today'].pk}/")
    page.fill("#id_starts_at", at(1, 16).strftime("%Y-%m-%dT%H:%M"))
    page.click("[data-testid=reschedule-save]")
    page.wait_for_selector("[data-testid=appointment-when]:has-text('16:00')")
    moved = Appointment.objects.get(rescheduled_from=week["today"])
    assert moved.starts_at == at(1, 16) and moved.status == "booked"
    shot(page, "appointment-6-moved")
