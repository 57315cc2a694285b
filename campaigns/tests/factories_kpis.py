"""Test data for the KPI tests: attempts and agent-state intervals written straight to the models
(the console writes them the same way), plus the small hand-computed data set the formula tests
check figure by figure."""

import datetime
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from callcenter.roles import ROLE_GROUPS
from campaigns.models import AgentStateLog, CallAttempt, Disposition
from campaigns.tests.factories import CallListFactory, CampaignFactory, CustomerFactory
from contacts.tests.factories import SegmentFactory

# A Monday, in the past, so nothing of "today" interferes.
DAY = datetime.date(2025, 6, 2)


def at(day: datetime.date, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    """An aware datetime in the call center's local time."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=timezone.get_default_timezone())


def make_operator(username: str, **names):
    user = get_user_model().objects.create_user(username=username, password="x", **names)
    user.groups.add(Group.objects.get(name=ROLE_GROUPS["operator"]))
    return user


def make_attempt(
    *,
    campaign,
    operator,
    started_at,
    disposition="no_answer",
    talk=0,
    hold=0,
    acw=0,
    call_list=None,
    customer=None,
    ring=0,
    answered=None,
):
    """`ring`: seconds of ring time (as the call's events record it); `answered`: whether someone
    or something picked up (by default: when there is talk time)."""
    customer = customer or CustomerFactory()
    answered = bool(talk) if answered is None else answered
    return CallAttempt.objects.create(
        campaign=campaign,
        call_list=call_list,
        customer=customer,
        operator=operator,
        phone="+819000000000",
        started_at=started_at,
        answered_at=started_at + datetime.timedelta(seconds=ring) if answered else None,
        ended_at=started_at + datetime.timedelta(seconds=20 + talk + hold),
        ring_seconds=ring,
        talk_seconds=talk,
        hold_seconds=hold,
        acw_seconds=acw,
        disposition=Disposition.objects.get(code=disposition),
    )


def make_state(*, operator, state, started_at, ended_at=None):
    return AgentStateLog.objects.create(operator=operator, state=state, started_at=started_at, ended_at=ended_at)


def hand_dataset():
    """The data set of test_kpis_formulas.py (figures worked out by hand there):

    Monday DAY, Tokyo time
      operator A, campaign X: 10:00 no answer (acw 10) · 10:10 success (talk 120, hold 30, acw 60)
                              10:20 refused (talk 60, acw 30) · 10:30 busy (acw 5)
      operator A, campaign Y, list L1 (segment S): 10:40 callback (talk 90, acw 20)
      operator B, campaign Y, list L2: 11:05 no answer (acw 15) · 11:15 voicemail (acw 15)
      operator C: only a break
    states
      A: ready 10:00-10:10, on call 10:10-10:15, acw 10:15-10:20, ready 10:20-10:50, break 10:50-11:00
      B: ready 10:45-11:30, acw 11:30-11:40, then offline (open)
      C: break 10:00-11:00
    Sunday before: A, campaign X, 15:00 success (talk 100, acw 10)
    X: 1800/h, 3/min, no fixed cost. Y: 3600/h, 6/min, fixed 1000 over DAY..DAY+9 (100 a day)."""
    a = make_operator("kpi_op_a", last_name="青木", first_name="愛")
    b = make_operator("kpi_op_b", last_name="馬場", first_name="勉")
    c = make_operator("kpi_op_c", last_name="千葉", first_name="聡")
    x = CampaignFactory(name="KPI X", cost_per_hour=1800, cost_per_minute=3, fixed_cost=0)
    y = CampaignFactory(
        name="KPI Y",
        cost_per_hour=3600,
        cost_per_minute=6,
        fixed_cost=1000,
        starts_on=DAY,
        ends_on=DAY + datetime.timedelta(days=9),
    )
    segment = SegmentFactory(name="KPI segment S")
    l1 = CallListFactory(campaign=y, name="KPI L1", segment=segment)
    l2 = CallListFactory(campaign=y, name="KPI L2")
    customer = CustomerFactory()

    def attempt(operator, campaign, hh, mm, disposition, **kw):
        return make_attempt(
            campaign=campaign,
            operator=operator,
            started_at=at(DAY, hh, mm),
            disposition=disposition,
            customer=customer,
            **kw,
        )

    attempt(a, x, 10, 0, "no_answer", acw=10)
    attempt(a, x, 10, 10, "success", talk=120, hold=30, acw=60)
    attempt(a, x, 10, 20, "refused", talk=60, acw=30)
    attempt(a, x, 10, 30, "busy", acw=5)
    attempt(a, y, 10, 40, "callback", talk=90, acw=20, call_list=l1)
    attempt(b, y, 11, 5, "no_answer", acw=15, call_list=l2)
    attempt(b, y, 11, 15, "voicemail", acw=15, call_list=l2)
    make_attempt(
        campaign=x,
        operator=a,
        started_at=at(DAY - datetime.timedelta(days=1), 15),
        disposition="success",
        talk=100,
        acw=10,
        customer=customer,
    )

    for state, start, end in [
        ("ready", (10, 0), (10, 10)),
        ("on_call", (10, 10), (10, 15)),
        ("acw", (10, 15), (10, 20)),
        ("ready", (10, 20), (10, 50)),
        ("break", (10, 50), (11, 0)),
    ]:
        make_state(operator=a, state=state, started_at=at(DAY, *start), ended_at=at(DAY, *end))
    make_state(operator=b, state="ready", started_at=at(DAY, 10, 45), ended_at=at(DAY, 11, 30))
    make_state(operator=b, state="acw", started_at=at(DAY, 11, 30), ended_at=at(DAY, 11, 40))
    make_state(operator=b, state="offline", started_at=at(DAY, 11, 40))
    make_state(operator=c, state="break", started_at=at(DAY, 10, 0), ended_at=at(DAY, 11, 0))
    return SimpleNamespace(a=a, b=b, c=c, x=x, y=y, segment=segment, l1=l1, l2=l2, customer=customer)


def sample_history(*, end: datetime.date, days: int = 21, seed: int = 1, operators=None):
    """A few weeks of plausible calling (bulk-created): two campaigns, two segmented lists, three
    operators with agent-state intervals, and customers who answer more in the evening and on
    Saturdays, so the charts and the heat map have a shape. Returns what it made."""
    import random

    rng = random.Random(seed)
    operators = operators or [
        make_operator(f"kpi_hist_{i}", last_name=ln, first_name=fn)
        for i, (ln, fn) in enumerate([("佐々木", "健太"), ("山田", "花子"), ("伊藤", "翔")])
    ]
    reactivation = CampaignFactory(
        name="休眠顧客掘り起こし 2025夏",
        cost_per_hour=1800,
        cost_per_minute=3,
        fixed_cost=50000,
        starts_on=end - datetime.timedelta(days=days - 1),
        ends_on=end + datetime.timedelta(days=30),
    )
    followup = CampaignFactory(name="DMフォローコール 6月号", cost_per_hour=2000, cost_per_minute=4)
    dormant = SegmentFactory(name="休眠2年以上")
    heavy = SegmentFactory(name="ヘビーユーザー")
    lists = [
        CallListFactory(campaign=reactivation, name="休眠リスト A", segment=dormant),
        CallListFactory(campaign=followup, name="DM送付済み", segment=heavy),
    ]
    customers = [CustomerFactory() for _ in range(12)]
    codes = {d.code: d for d in Disposition.objects.all()}
    attempts, states = [], []
    for offset in range(days):
        day = end - datetime.timedelta(days=days - 1 - offset)
        if day.weekday() == 6:
            continue  # no calls on Sundays
        for operator in operators:
            # 9:00-12:00 working, lunch break, 13:00-18:00 (Saturday mornings only)
            blocks = [((9, 0), (12, 0))] if day.weekday() == 5 else [((9, 0), (12, 0)), ((13, 0), (18, 0))]
            for number, (start, stop) in enumerate(blocks):
                moment, block_end = at(day, *start), at(day, *stop)
                if number:
                    states.append(
                        AgentStateLog(operator=operator, state="break", started_at=at(day, 12), ended_at=at(day, 13))
                    )
                while moment < block_end:
                    call_list = rng.choice(lists)
                    hour = timezone.localtime(moment).hour
                    answer = (
                        0.18
                        + (0.22 if hour >= 16 else 0)
                        + (0.15 if day.weekday() == 5 else 0)
                        - (0.08 if hour < 11 else 0)
                    )
                    contact = rng.random() < answer
                    if contact:
                        code = rng.choices(
                            ["success", "refused", "callback", "hung_up", "wrong_person"], [3, 4, 3, 1, 1]
                        )[0]
                        talk, hold, acw = rng.randint(40, 420), rng.randint(0, 40), rng.randint(30, 120)
                    else:
                        code = rng.choices(["no_answer", "busy", "voicemail", "invalid_number"], [6, 2, 2, 1])[0]
                        talk, hold, acw = 0, 0, rng.randint(5, 25)
                    ring = rng.randint(15, 35)
                    attempts.append(
                        CallAttempt(
                            campaign=call_list.campaign,
                            call_list=call_list,
                            customer=rng.choice(customers),
                            operator=operator,
                            phone="+819000000000",
                            started_at=moment,
                            answered_at=moment + datetime.timedelta(seconds=ring) if talk else None,
                            ended_at=moment + datetime.timedelta(seconds=ring + talk + hold),
                            talk_seconds=talk,
                            hold_seconds=hold,
                            acw_seconds=acw,
                            disposition=codes[code],
                        )
                    )
                    waiting = rng.randint(20, 240)
                    call_end = moment + datetime.timedelta(seconds=waiting)
                    states.append(AgentStateLog(operator=operator, state="ready", started_at=moment, ended_at=call_end))
                    in_call = call_end + datetime.timedelta(seconds=ring + talk + hold)
                    states.append(
                        AgentStateLog(operator=operator, state="on_call", started_at=call_end, ended_at=in_call)
                    )
                    after = in_call + datetime.timedelta(seconds=acw)
                    states.append(AgentStateLog(operator=operator, state="acw", started_at=in_call, ended_at=after))
                    attempts[-1].started_at = call_end
                    attempts[-1].answered_at = call_end + datetime.timedelta(seconds=ring) if talk else None
                    attempts[-1].ended_at = in_call
                    moment = after
    CallAttempt.objects.bulk_create(attempts, batch_size=2000)
    AgentStateLog.objects.bulk_create(states, batch_size=2000)
    return SimpleNamespace(
        operators=operators,
        campaigns=[reactivation, followup],
        segments=[dormant, heavy],
        lists=lists,
        customers=customers,
        attempts=len(attempts),
    )
