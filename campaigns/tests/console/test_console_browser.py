"""Browser journeys: an operator works three calls with the keyboard (a retry, a callback and a
do-not-call request); a supervisor releases a stuck hold from the live board."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import AgentStateLog, CallAttempt, CallListEntry
from campaigns.services.dispatch import dispatch_next, release_hold
from campaigns.tests.factories_console import entry, open_around_the_clock, past_attempt, ready_list, working_campaign
from conftest import wait_until
from contacts.models import DoNotCall
from contacts.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = CallListEntry.Status


@pytest.fixture
def eager_celery():
    """The retry task runs in the live server's thread instead of piling up in Redis."""
    from callcenter.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def work(operator, eager_celery):
    policy = open_around_the_clock(name="終日 (テスト)")
    campaign = working_campaign(operators=[operator], policy=policy, name="休眠顧客掘り起こし 11月")
    call_list = ready_list(campaign, name="休眠 6か月以上")
    people = [
        CustomerFactory(
            name="山田 花子",
            name_kana="ヤマダ ハナコ",
            phone="090-1111-2222",
            purchase_count=12,
            total_spent=184000,
            subscription_status="active",
            tags=["vip", "定期便"],
            notes="平日の夕方が好ましい",
            last_purchase_at=timezone.now() - dt.timedelta(days=200),
        ),
        CustomerFactory(
            name="鈴木 次郎", name_kana="スズキ ジロウ", phone="080-3333-4444", purchase_count=2, total_spent=9800
        ),
        CustomerFactory(
            name="高橋 三郎", name_kana="タカハシ サブロウ", phone="070-5555-6666", purchase_count=1, total_spent=3200
        ),
    ]
    entries = [
        entry(call_list, customer=person, rank=rank, phone=person.phones.get().number)
        for rank, person in enumerate(people, start=1)
    ]
    earlier = working_campaign(operators=[], name="定期便 解約防止 9月", status="finished")
    past_attempt(
        customer=people[0],
        campaign=earlier,
        at=timezone.now() - dt.timedelta(days=40),
        code="callback",
        notes="定期便の休止を相談。秋にもう一度連絡してほしいとのこと。",
        reaction="listened",
        talk_seconds=312,
    )
    return entries


def test_operator_works_three_calls_with_the_keyboard(page, browser_login, shot, operator, work):
    first, second, third = work
    browser_login(operator)
    assert page.url.endswith("/campaigns/console/")
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    shot(page, "console-1-ready")

    # Call 1: the keyboard shortcut N takes the call; C = connected; M = notes; 1 = no answer... it
    # rang out after all; E = hang up; Ctrl+Enter = save and next.
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]:has-text('山田 花子')")
    assert page.get_attribute("[data-testid=phone-link]", "href") == "tel:+819011112222"
    assert "平日の夕方が好ましい" in page.inner_text("[data-testid=customer-card]")
    assert "定期便の休止を相談" in page.inner_text("[data-testid=history]")
    page.keyboard.press("c")
    page.keyboard.press("m")
    page.keyboard.type("呼び出し音のみ。夕方に再架電。")
    page.keyboard.press("Escape")
    page.keyboard.press("1")
    page.keyboard.press("e")
    page.wait_for_selector("[data-testid=agent-state]")
    shot(page, "console-2-first-call")
    page.keyboard.press("Control+Enter")

    # Call 2: a personal callback tomorrow at 10:00.
    page.wait_for_selector("[data-testid=customer-name]:has-text('鈴木 次郎')")
    page.keyboard.press("c")
    page.keyboard.press("6")  # callback requested
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.fill("#id_callback_at", f"{tomorrow:%Y-%m-%d}T10:00")
    page.check("#id_callback_personal")
    page.fill("#id_notes", "明日10時に折り返し希望")
    shot(page, "console-3-callback")
    page.click("[data-testid=save-next]")

    # Call 3: the customer asks never to be called again.
    page.wait_for_selector("[data-testid=customer-name]:has-text('高橋 三郎')")
    page.keyboard.press("c")
    page.keyboard.press("7")  # refused... then the customer says never to call again
    assert page.inner_text("[data-testid=chosen-outcome]").endswith("断り")
    page.keyboard.press("d")  # D: the do-not-call request outcome, whatever its number key
    assert page.is_checked("input[name=disposition][value=dnc_request]")
    assert page.is_checked("#id_dnc_request")
    assert "架電拒否" in page.inner_text("[data-testid=chosen-outcome]")
    page.keyboard.press("e")
    page.keyboard.press("Control+Enter")

    # Nothing left: the console says why.
    page.wait_for_selector("[data-testid=no-call][data-reason=on_retry]")
    assert "10:00" in page.inner_text("[data-testid=my-callbacks]")
    shot(page, "console-4-nothing-left")

    attempts = list(
        CallAttempt.objects.filter(entry__isnull=False)
        .order_by("id")
        .values_list("entry_id", "disposition__code", "notes")
    )
    assert attempts == [
        (first.pk, "no_answer", "呼び出し音のみ。夕方に再架電。"),
        (second.pk, "callback", "明日10時に折り返し希望"),
        (third.pk, "dnc_request", ""),
    ]
    assert CallAttempt.objects.get(entry=first).talk_seconds >= 0
    assert CallAttempt.objects.get(entry=first).answered_at is not None
    second.refresh_from_db()
    assert second.status == Status.CALLBACK and second.assigned_operator == operator
    assert timezone.localtime(second.callback_at).hour == 10
    third.refresh_from_db()
    assert third.status == Status.BLOCKED
    assert DoNotCall.objects.filter(customer=third.customer, source="operator", created_by=operator).exists()
    first.refresh_from_db()
    assert first.status == Status.PENDING and first.next_attempt_at > timezone.now()

    # A lunch break, then back to work.
    page.select_option("[data-testid=break-reason]", "lunch")
    page.click("[data-testid=take-break]")
    page.wait_for_selector("[data-testid=agent-state][data-state=break]")
    assert page.is_disabled("[data-testid=next-call]")
    shot(page, "console-4b-break")
    page.click("[data-testid=end-break]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    assert AgentStateLog.objects.filter(operator=operator, state="break", reason="lunch").exists()
    states = set(AgentStateLog.objects.filter(operator=operator).values_list("state", flat=True))
    assert {"ready", "on_call", "acw"} <= states


def test_callback_outside_hours_is_refused_with_a_clear_message(page, browser_login, shot, operator, work):
    policy = work[0].campaign.policy
    policy.call_window_start, policy.call_window_end = dt.time(9), dt.time(20)
    policy.save()
    browser_login(operator)
    page.click("[data-testid=start-work]")
    # Whatever the hour of the run, the customer must be callable now for this test.
    policy.call_window_start, policy.call_window_end = dt.time(0), dt.time(0)
    policy.save()
    page.click("[data-testid=next-call]")
    page.wait_for_selector("[data-testid=customer-name]")
    policy.call_window_start, policy.call_window_end = dt.time(9), dt.time(20)
    policy.save()
    page.keyboard.press("6")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.fill("#id_callback_at", f"{tomorrow:%Y-%m-%d}T22:30")
    page.fill("#id_notes", "夜遅くを希望")
    page.click("[data-testid=save]")
    error = page.wait_for_selector("[data-testid=callback-error]")
    assert "09:00" in error.inner_text() and "20:00" in error.inner_text()
    # The reason is also next to the save buttons, where the operator is looking.
    refused = page.inner_text("[data-testid=save-refused]")
    assert "保存されていません" in refused and "09:00" in refused
    assert "再架電希望" in page.inner_text("[data-testid=chosen-outcome]")
    assert page.input_value("#id_notes") == "夜遅くを希望"
    shot(page, "console-5-callback-refused")
    assert not CallAttempt.objects.filter(entry__isnull=False).exists()


def test_supervisor_releases_a_stuck_hold(page, browser_login, shot, supervisor, operator, work):
    held = dispatch_next(operator=operator)
    AgentStateLog.objects.create(operator=operator, state="on_call", started_at=timezone.now())
    browser_login(supervisor)
    page.goto(page.base_url + "/campaigns/console/board/")
    page.wait_for_selector(f"[data-testid=holds] tr[data-entry='{held.pk}']")
    assert "山田 花子" in page.inner_text("[data-testid=holds]")
    shot(page, "console-6-board")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"[data-testid=release-{held.pk}]")
    page.wait_for_selector(".alert-success")
    held.refresh_from_db()
    assert held.status == Status.PENDING and held.held_by is None
    shot(page, "console-7-released")

    # The operator went home with the console open: the supervisor signs them off.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"[data-testid=sign-off-{operator.username}]")
    page.wait_for_selector(".alert-success")
    assert not AgentStateLog.objects.filter(operator=operator, ended_at__isnull=True).exists()
    assert page.query_selector(f"[data-testid=sign-off-{operator.username}]") is None
    shot(page, "console-7b-signed-off")


def test_a_long_call_keeps_its_hold_while_the_console_is_open(
    page, browser_login, shot, settings, supervisor, operator, work
):
    """The page renews the hold while the call goes on (every DISPATCH_HOLD_RENEW_SECONDS, here 1 s):
    not while the tab sits unused, but a hold about to expire during a conversation is extended,
    the ceiling is announced, and a hold a supervisor released is reported at once instead of at
    the save."""
    settings.DISPATCH_HOLD_RENEW_SECONDS = 1
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]")
    held = CallListEntry.objects.get(status=Status.HELD, held_by=operator)

    # A tab nobody uses, with nobody on the line, lets its hold run out (it would strand the
    # customer otherwise).
    idle_until = timezone.now() + dt.timedelta(minutes=5)
    CallListEntry.objects.filter(pk=held.pk).update(held_until=idle_until)
    page.wait_for_timeout(2500)
    held.refresh_from_db()
    assert held.held_until == idle_until

    page.keyboard.press("c")  # connected: the customer is on the line

    # Twenty minutes into the call the first hold would be over; the beat renews it.
    about_to_expire = timezone.now() + dt.timedelta(seconds=3)
    CallListEntry.objects.filter(pk=held.pk).update(
        held_at=timezone.now() - dt.timedelta(minutes=20), held_until=about_to_expire
    )
    deadline = timezone.now() + dt.timedelta(seconds=10)
    while timezone.now() < deadline:
        held.refresh_from_db()
        if held.held_until > about_to_expire + dt.timedelta(minutes=10):
            break
        page.wait_for_timeout(200)
    assert held.held_until > timezone.now() + dt.timedelta(minutes=14)
    shown = timezone.localtime(held.held_until).strftime("%H:%M")
    wait_until(page, "(t) => document.querySelector('[data-held-until]').textContent === t", shown)
    assert page.is_hidden("[data-testid=hold-ceiling]") and page.is_hidden("[data-testid=hold-lost]")

    # Close to the ceiling (two hours after the dispatch): the operator is told to wrap up.
    CallListEntry.objects.filter(pk=held.pk).update(held_at=timezone.now() - dt.timedelta(minutes=119))
    page.wait_for_selector("[data-testid=hold-ceiling]", state="visible")
    assert "120" in page.inner_text("[data-testid=hold-ceiling]")
    shot(page, "console-8-hold-ceiling")

    # A supervisor releases it: the page says so before the operator types a whole outcome.
    release_hold(entry_id=held.pk, by=supervisor)
    lost = page.wait_for_selector("[data-testid=hold-lost]", state="visible")
    assert "担当ではありません" in lost.inner_text() or "no longer assigned" in lost.inner_text()
    assert page.is_hidden("[data-testid=hold-ceiling]")
    shot(page, "console-9-hold-lost")


def test_an_open_console_keeps_its_operator_and_learns_of_a_sign_off(
    page, browser_login, shot, settings, operator, work
):
    """The page pings (here every second) so the absence sweep leaves a present operator alone;
    when the operator was signed off anyway (the computer slept), the page says so without losing
    the call on screen, and "Start work" resumes."""
    from django.core.cache import cache

    from campaigns.services import agent_state

    settings.AGENT_PRESENCE_PING_SECONDS = 1
    cache.delete(agent_state._presence_key(operator.pk))
    browser_login(operator)
    page.click("[data-testid=start-work]")
    page.wait_for_selector("[data-testid=agent-state][data-state=ready]")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=customer-name]")
    page.fill("#id_notes", "折り返し希望の時間を確認中")

    # Twenty minutes without contact, as far as the server knows: the pings put it right before
    # the sweep runs.
    cache.set(agent_state._presence_key(operator.pk), timezone.now() - dt.timedelta(minutes=20))
    page.wait_for_timeout(1500)
    assert agent_state.sign_off_absent() == 0
    assert AgentStateLog.objects.filter(operator=operator, ended_at__isnull=True).exists()

    # Signed off while the page could not reach the server.
    agent_state.sign_off(operator_id=operator.pk, at=timezone.now(), action=agent_state.SIGNED_OFF_ABSENT)
    banner = page.wait_for_selector("[data-testid=signed-off]", state="visible")
    assert "記録されていません" in banner.inner_text() or "not being recorded" in banner.inner_text()
    shot(page, "console-10-signed-off")
    assert page.input_value("#id_notes") == "折り返し希望の時間を確認中"  # nothing typed is lost

    page.click("[data-testid=resume-work]")
    page.wait_for_selector("[data-testid=signed-off]", state="hidden")
    resumed = AgentStateLog.objects.get(operator=operator, ended_at__isnull=True)
    assert resumed.state == "on_call"  # the call on screen is still held
    assert page.input_value("#id_notes") == "折り返し希望の時間を確認中"
