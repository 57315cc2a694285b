"""What the salesperson and supervisors see: the calendar (day, week), marking the visit's
outcome, rescheduling, the salespeople's setup, the secret calendar feed and the API."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from callcenter.models import AuditEvent
from campaigns.models import Appointment, Salesperson
from campaigns.tests.factories_appointments import SalespersonFactory, appointment
from campaigns.tests.factories_console import TOKYO, working_campaign
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return working_campaign(operators=[], name="太陽光 訪問")


@pytest.fixture
def own(sales):
    return SalespersonFactory(name="加藤 健", user=sales, email="kato@example.jp")


@pytest.fixture
def other():
    return SalespersonFactory(name="別の 営業")


def at(days, hour):
    today = timezone.now().astimezone(TOKYO).date()
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), tzinfo=TOKYO)


@pytest.fixture
def booked(own, other, campaign):
    mine = appointment(
        salesperson=own,
        customer=CustomerFactory(name="山田 花子"),
        campaign=campaign,
        starts_at=at(0, 10),
        place="本社",
    )
    theirs = appointment(
        salesperson=other, customer=CustomerFactory(name="秘密 太郎"), campaign=campaign, starts_at=at(0, 11)
    )
    return mine, theirs


# ---------------------------------------------------------------- the calendar


def test_a_salesperson_lands_on_their_own_calendar_and_sees_only_their_appointments(login, sales, booked):
    page = login(sales).get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("campaigns:appointment_calendar")
    text = page.content.decode()
    assert "山田 花子" in text and "秘密 太郎" not in text
    assert 'data-testid="feed-url"' in text  # their own feed address
    mine, theirs = booked
    client = login(sales)
    assert client.get(reverse("campaigns:appointment_detail", args=[theirs.pk])).status_code == 404
    assert (
        client.get(reverse("campaigns:appointment_calendar"), {"salesperson": theirs.salesperson_id}).status_code == 200
    )
    assert (
        "秘密 太郎"
        not in client.get(
            reverse("campaigns:appointment_calendar"), {"salesperson": theirs.salesperson_id}
        ).content.decode()
    )


def test_supervisors_see_everyone_and_filter_by_salesperson(login, supervisor, booked, own):
    client = login(supervisor)
    text = client.get(reverse("campaigns:appointment_calendar")).content.decode()
    assert "山田 花子" in text and "秘密 太郎" in text
    text = client.get(
        reverse("campaigns:appointment_calendar"), {"salesperson": own.pk, "view": "day"}
    ).content.decode()
    assert "山田 花子" in text and "秘密 太郎" not in text


def test_week_and_day_views_page_by_their_length(login, supervisor, own, campaign):
    appointment(salesperson=own, customer=CustomerFactory(name="来週 さん"), campaign=campaign, starts_at=at(7, 10))
    client = login(supervisor)
    today = timezone.now().astimezone(TOKYO).date()
    this_week = client.get(reverse("campaigns:appointment_calendar"), {"date": today.isoformat()}).content.decode()
    assert "来週 さん" not in this_week and this_week.count('data-testid="calendar-day"') == 7
    next_week = (today + dt.timedelta(days=7)).isoformat()
    assert "来週 さん" in client.get(reverse("campaigns:appointment_calendar"), {"date": next_week}).content.decode()
    day = client.get(reverse("campaigns:appointment_calendar"), {"date": next_week, "view": "day"}).content.decode()
    assert "来週 さん" in day and 'data-testid="calendar-day-view"' in day
    assert client.get(reverse("campaigns:appointment_calendar"), {"date": "2026-99-01"}).status_code == 200


def test_operators_and_managers_have_no_calendar(login, operator, manager):
    assert login(operator).get(reverse("campaigns:appointment_calendar")).status_code == 403
    assert login(manager).get(reverse("campaigns:appointment_calendar")).status_code == 403


# ---------------------------------------------------------------- outcome and reschedule


def test_the_salesperson_marks_their_visit_held(login, sales, booked):
    mine, theirs = booked
    Appointment.objects.filter(pk=mine.pk).update(starts_at=at(-1, 10), ends_at=at(-1, 11))
    client = login(sales)
    response = client.post(reverse("campaigns:appointment_status", args=[mine.pk]), {"status": "held"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "held" and mine.status_changed_by == sales
    # Another salesperson's appointment: refused, unchanged.
    assert (
        client.post(reverse("campaigns:appointment_status", args=[theirs.pk]), {"status": "cancelled"}).status_code
        == 404
    )
    assert Appointment.objects.get(pk=theirs.pk).status == "booked"


def test_a_future_visit_cannot_be_held_and_the_page_says_why(login, sales, booked):
    mine, _theirs = booked
    Appointment.objects.filter(pk=mine.pk).update(starts_at=at(2, 10), ends_at=at(2, 11))
    response = login(sales).post(
        reverse("campaigns:appointment_status", args=[mine.pk]), {"status": "held"}, follow=True
    )
    assert "開始時刻を過ぎたアポイントだけを実施・不在にできます。" in response.content.decode()
    assert Appointment.objects.get(pk=mine.pk).status == "booked"


def test_rescheduling_from_the_page_sends_the_new_invitation(login, supervisor, own, campaign):
    made = appointment(salesperson=own, customer=CustomerFactory(), campaign=campaign, starts_at=at(3, 10))
    # The salesperson's working days must include the new day: every day here.
    Salesperson.objects.filter(pk=own.pk).update(weekdays=[0, 1, 2, 3, 4, 5, 6])
    new_start = at(4, 14)
    response = login(supervisor).post(
        reverse("campaigns:appointment_reschedule", args=[made.pk]),
        {"starts_at": new_start.strftime("%Y-%m-%dT%H:%M")},
    )
    moved = Appointment.objects.get(rescheduled_from=made)
    assert response.status_code == 302 and response["Location"] == reverse(
        "campaigns:appointment_detail", args=[moved.pk]
    )
    assert moved.starts_at == new_start
    assert Appointment.objects.get(pk=made.pk).status == "rescheduled"


def test_a_reschedule_into_a_taken_slot_is_refused(login, supervisor, own, campaign):
    Salesperson.objects.filter(pk=own.pk).update(weekdays=[0, 1, 2, 3, 4, 5, 6])
    made = appointment(salesperson=own, customer=CustomerFactory(), campaign=campaign, starts_at=at(3, 10))
    appointment(salesperson=own, customer=CustomerFactory(), campaign=campaign, starts_at=at(3, 14))
    response = login(supervisor).post(
        reverse("campaigns:appointment_reschedule", args=[made.pk]),
        {"starts_at": at(3, 14).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "この枠はたった今ほかの人が予約しました" in response.content.decode()
    assert Appointment.objects.get(pk=made.pk).status == "booked"


# ---------------------------------------------------------------- salespeople and their feed


def test_supervisors_add_a_salesperson(login, supervisor, sales):
    response = login(supervisor).post(
        reverse("campaigns:salesperson_create"),
        {
            "name": "新人 営業",
            "user": sales.pk,
            "email": "new@example.jp",
            "time_zone": "Asia/Tokyo",
            "work_start": "09:00",
            "work_end": "17:00",
            "weekdays": ["0", "1", "2"],
            "appointment_minutes": "90",
            "prefectures": "東京都、神奈川県",
            "products": "太陽光 蓄電池",
            "active": "on",
        },
    )
    assert response.status_code == 302
    made = Salesperson.objects.get(name="新人 営業")
    assert made.prefectures == ["東京都", "神奈川県"] and made.products == ["太陽光", "蓄電池"]
    assert (made.weekdays, made.appointment_minutes, made.user) == ([0, 1, 2], 90, sales)
    assert AuditEvent.objects.filter(action="salesperson.created", object_id=str(made.pk)).exists()


def test_bad_working_hours_are_refused_with_a_message(login, supervisor):
    response = login(supervisor).post(
        reverse("campaigns:salesperson_create"),
        {
            "name": "x",
            "time_zone": "Asia/Tokyo",
            "work_start": "17:00",
            "work_end": "09:00",
            "weekdays": ["0"],
            "appointment_minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "勤務時間の終了は開始より後にしてください。" in response.content.decode()
    assert not Salesperson.objects.exists()


def test_the_feed_serves_the_salespersons_calendar_behind_its_secret(client, login, supervisor, booked, own):
    mine, _theirs = booked
    url = reverse("campaigns:appointment_feed", args=[own.feed_token])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == mine.ics_uid and "山田 花子" in str(event["summary"])
    assert event.decoded("dtstart") == mine.starts_at
    assert client.get(reverse("campaigns:appointment_feed", args=["x" * 43])).status_code == 404
    # A new address cuts the old one off.
    login(supervisor).post(reverse("campaigns:salesperson_renew_feed", args=[own.pk]))
    assert client.get(url).status_code == 404
    own.refresh_from_db()
    assert client.get(reverse("campaigns:appointment_feed", args=[own.feed_token])).status_code == 200


def test_cancelled_appointments_stay_in_the_feed_as_cancelled(client, own, campaign):
    gone = appointment(
        salesperson=own, customer=CustomerFactory(), campaign=campaign, starts_at=at(1, 10), status="cancelled"
    )
    (event,) = Calendar.from_ical(
        client.get(reverse("campaigns:appointment_feed", args=[own.feed_token])).content
    ).walk("VEVENT")
    assert str(event["uid"]) == gone.ics_uid and str(event["status"]) == "CANCELLED"
    assert not mail.outbox


# ---------------------------------------------------------------- the API


def test_the_api_lists_appointments_with_their_customer(api_as, supervisor, booked):
    mine, theirs = booked
    response = api_as(supervisor).get("/api/v1/appointments/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk, theirs.pk]
    first = rows[0]
    assert first["customer"]["name"] == "山田 花子" and first["customer"]["phone"].startswith("+81")
    assert first["salesperson"]["name"] == "加藤 健" and first["status"] == "booked" and first["place"] == "本社"
    assert AuditEvent.objects.filter(action="appointments.page_read", actor=supervisor).exists()
    detail = api_as(supervisor).get(f"/api/v1/appointments/{mine.pk}/").json()
    assert detail["id"] == mine.pk and detail["campaign_name"] == "太陽光 訪問"


def test_the_api_filters_and_refuses_bad_filters(api_as, manager, booked, own):
    mine, theirs = booked
    client = api_as(manager)
    assert [r["id"] for r in client.get("/api/v1/appointments/", {"salesperson": own.pk}).json()["results"]] == [
        mine.pk
    ]
    after = at(0, 10).isoformat()
    assert [r["id"] for r in client.get("/api/v1/appointments/", {"starts_after": after}).json()["results"]] == [
        mine.pk,
        theirs.pk,
    ]
    assert client.get("/api/v1/appointments/", {"status": "held"}).json()["results"] == []
    assert client.get("/api/v1/appointments/", {"status": "nope"}).status_code == 400
    assert client.get("/api/v1/appointments/", {"starts_after": "2026-01-01T10:00"}).status_code == 400
    assert client.get("/api/v1/appointments/", {"salesperson": "x"}).status_code == 400


def test_a_salesperson_reads_only_their_own_through_the_api(api_as, sales, operator, booked):
    mine, theirs = booked
    client = api_as(sales)
    assert [r["id"] for r in client.get("/api/v1/appointments/").json()["results"]] == [mine.pk]
    response = client.get(f"/api/v1/appointments/{theirs.pk}/")
    assert response.status_code == 404 and "秘密" not in response.content.decode()
    assert api_as(operator).get("/api/v1/appointments/").status_code == 403
