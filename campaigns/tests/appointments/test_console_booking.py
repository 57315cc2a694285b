"""The console's booking panel through the Django test client: the slots of the held call only,
in the customer's and the salesperson's time, and the booking posted with the outcome."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.models import Appointment, CallAttempt, CallListEntry
from campaigns.services.appointments import free_slots
from campaigns.services.dispatch import dispatch_next
from campaigns.tests.factories_appointments import SalespersonFactory
from campaigns.tests.factories_console import entry, open_around_the_clock, ready_list, working_campaign
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


@pytest.fixture
def held(operator):
    call_list = ready_list(working_campaign(operators=[operator], policy=open_around_the_clock()))
    customer = CustomerFactory(name="山田 花子", prefecture="東京都", time_zone="America/New_York")
    one = entry(call_list, customer=customer)
    assert dispatch_next(operator=operator).pk == one.pk
    return one


@pytest.fixture
def salesperson():
    """Works every day, all day, in Tokyo: these tests do not depend on when they run."""
    return SalespersonFactory(
        name="田中 営業", prefectures=["東京都"], weekdays=EVERY_DAY, work_start=dt.time(0), work_end=dt.time(23, 0)
    )


def slots_url(held):
    return reverse("campaigns:console_appointment_slots", args=[held.pk])


def first_slot(salesperson):
    """The salesperson's first slot the day after tomorrow (Tokyo). Not timezone.now().date(): from
    15:00 UTC that UTC date is already yesterday in Tokyo, so "tomorrow" was today and its first
    free slot only just cleared the two-hour lead, a booking posted a moment later could miss it;
    and not tomorrow either: after 22:00 its first slots are within the lead too."""
    start = timezone.localdate() + dt.timedelta(days=2)
    return free_slots(salespeople=[salesperson], start=start, days=1)[0]


def outcome_post(**fields):
    data = {"disposition": "appointment", "client_token": "t-1", "appointment-mode": "visit"}
    data.update(fields)
    return data


def test_the_panel_lists_the_fitting_salespeoples_slots_in_both_times(login, operator, held, salesperson):
    SalespersonFactory(name="大阪 営業", prefectures=["大阪府"], weekdays=EVERY_DAY)
    page = login(operator).get(slots_url(held)).content.decode()
    assert "田中 営業" in page and "大阪 営業" not in page
    assert 'name="appointment-slot"' in page
    # The customer lives in New York, the salesperson works in Tokyo: both times are shown.
    assert 'data-testid="salesperson-time"' in page and "Asia/Tokyo" in page
    assert "America/New_York" in page


def test_the_panel_pages_by_week_and_never_before_today(login, operator, held, salesperson):
    client = login(operator)
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=-5))).date()
    page = client.get(slots_url(held), {"start": "2000-01-01"}).content.decode()
    assert 'disabled data-testid="slots-previous"' in page
    later = (today + dt.timedelta(days=14)).isoformat()
    page = client.get(slots_url(held), {"start": later}).content.decode()
    assert 'disabled data-testid="slots-previous"' not in page
    assert client.get(slots_url(held), {"start": "2026-99-01"}).status_code == 200


def test_without_a_fitting_salesperson_the_panel_says_so(login, operator, held):
    SalespersonFactory(prefectures=["大阪府"])
    page = login(operator).get(slots_url(held)).content.decode()
    assert 'data-testid="no-salespeople"' in page


def test_the_slots_of_another_operators_call_are_refused(login, operator, operator2, held, salesperson):
    response = login(operator2).get(slots_url(held))
    assert response.status_code == 404
    assert "山田" not in response.content.decode()


def test_booking_with_the_outcome_from_the_console(login, operator, held, salesperson):
    slot = first_slot(salesperson)
    response = login(operator).post(
        reverse("campaigns:console_outcome", args=[held.pk]),
        outcome_post(
            **{"appointment-slot": slot.value, "appointment-place": "本社 3F", "appointment-notes": "資料持参"}
        ),
    )
    assert response.status_code == 302
    made = Appointment.objects.get()
    assert (made.salesperson, made.starts_at, made.place, made.notes) == (
        salesperson,
        slot.starts_at,
        "本社 3F",
        "資料持参",
    )
    assert made.attempt == CallAttempt.objects.get() and made.booked_by == operator


def test_the_appointment_outcome_needs_a_slot(login, operator, held, salesperson):
    response = login(operator).post(reverse("campaigns:console_outcome", args=[held.pk]), outcome_post())
    assert response.status_code == 400
    assert "アポイントの枠を選んでください。" in response.content.decode()
    assert not CallAttempt.objects.exists()
    assert CallListEntry.objects.get(pk=held.pk).held_by == operator


def test_a_slot_taken_meanwhile_is_refused_and_what_was_typed_stays(login, operator, held, salesperson):
    slot = first_slot(salesperson)
    Appointment.objects.create(
        salesperson=salesperson,
        customer=CustomerFactory(),
        campaign=held.campaign,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        set_at=timezone.now(),
    )
    response = login(operator).post(
        reverse("campaigns:console_outcome", args=[held.pk]),
        outcome_post(**{"appointment-slot": slot.value, "appointment-place": "本社 3F"}),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "この枠はたった今ほかの人が予約しました" in page
    assert 'value="本社 3F"' in page and 'data-testid="appointment-panel"' in page
    panel_tag = page.split('id="appointment-panel"')[0].rsplit("<div", 1)[1]
    assert "d-none" not in panel_tag  # the panel stays open with the outcome still chosen
    assert not CallAttempt.objects.exists() and Appointment.objects.count() == 1


# ---------------------------------------------------------------- through POST /api/v1/attempts/


def attempt_body(held, **fields):
    now = timezone.now()
    body = {
        "entry": held.pk,
        "disposition": "appointment",
        "started_at": (now - dt.timedelta(seconds=30)).isoformat(),
        "ended_at": now.isoformat(),
    }
    body.update(fields)
    return body


def test_the_api_books_with_the_attempt(api_as, operator, held, salesperson):
    slot = first_slot(salesperson)
    booking = {
        "salesperson": salesperson.pk,
        "starts_at": slot.starts_at.isoformat(),
        "mode": "online",
        "notes": "Zoom",
    }
    response = api_as(operator).post("/api/v1/attempts/", attempt_body(held, appointment=booking), format="json")
    assert response.status_code == 201, response.content
    made = Appointment.objects.get()
    assert response.json()["appointment"] == made.pk
    assert (made.attempt_id, made.mode, made.notes, made.starts_at) == (
        response.json()["id"],
        "online",
        "Zoom",
        slot.starts_at,
    )


def test_the_api_refuses_the_appointment_outcome_without_a_booking_and_a_booking_without_it(
    api_as, operator, held, salesperson
):
    client = api_as(operator)
    response = client.post("/api/v1/attempts/", attempt_body(held), format="json")
    assert response.status_code == 400 and "appointment" in response.json()["errors"]
    slot = first_slot(salesperson)
    booking = {"salesperson": salesperson.pk, "starts_at": slot.starts_at.isoformat()}
    response = client.post(
        "/api/v1/attempts/", attempt_body(held, disposition="success", appointment=booking), format="json"
    )
    assert response.status_code == 400 and "appointment" in response.json()["errors"]
    assert not CallAttempt.objects.exists()


def test_the_api_refuses_a_taken_slot_and_saves_nothing(api_as, operator, held, salesperson):
    slot = first_slot(salesperson)
    Appointment.objects.create(
        salesperson=salesperson,
        customer=CustomerFactory(),
        campaign=held.campaign,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        set_at=timezone.now(),
    )
    booking = {"salesperson": salesperson.pk, "starts_at": slot.starts_at.isoformat()}
    response = api_as(operator).post("/api/v1/attempts/", attempt_body(held, appointment=booking), format="json")
    assert response.status_code == 400
    assert "この枠はたった今ほかの人が予約しました" in str(response.json()["errors"]["appointment"])
    assert not CallAttempt.objects.exists()


def test_the_api_lists_the_held_calls_free_slots(api_as, operator, operator2, held, salesperson):
    client = api_as(operator)
    response = client.get("/api/v1/appointment-slots/", {"entry": held.pk})
    assert response.status_code == 200
    rows = response.json()
    assert rows and {row["salesperson"] for row in rows} == {salesperson.pk}
    first = first_slot(salesperson)
    later = client.get("/api/v1/appointment-slots/", {"entry": held.pk, "start": first.starts_at.date().isoformat()})
    assert any(parse_datetime(row["starts_at"]) == first.starts_at for row in later.json())
    assert client.get("/api/v1/appointment-slots/", {"entry": held.pk, "start": "2026-99-01"}).status_code == 400
    assert client.get("/api/v1/appointment-slots/").status_code == 400
    # Another operator's call: not found, no customer.
    response = api_as(operator2).get("/api/v1/appointment-slots/", {"entry": held.pk})
    assert response.status_code == 404 and "山田" not in response.content.decode()
