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


def make_attempt(*, campaign, operator, started_at, disposition="no_answer", talk=0, hold=0, acw=0, call_list=None, customer=None):
    customer = customer or CustomerFactory()
    return CallAttempt.objects.create(
        campaign=campaign,
        call_list=call_list,
        customer=customer,
        operator=operator,
        phone="+819000000000",
        started_at=started_at,
        answered_at=started_at if talk else None,
        ended_at=started_at + datetime.timedelta(seconds=20 + talk + hold),
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
        name="KPI Y", cost_per_hour=3600, cost_per_minute=6, fixed_cost=1000,
        starts_on=DAY, ends_on=DAY + datetime.timedelta(days=9),
    )
    segment = SegmentFactory(name="KPI segment S")
    l1 = CallListFactory(campaign=y, name="KPI L1", segment=segment)
    l2 = CallListFactory(campaign=y, name="KPI L2")
    customer = CustomerFactory()

    def attempt(operator, campaign, hh, mm, disposition, **kw):
        return make_attempt(campaign=campaign, operator=operator, started_at=at(DAY, hh, mm),
                            disposition=disposition, customer=customer, **kw)

    attempt(a, x, 10, 0, "no_answer", acw=10)
    attempt(a, x, 10, 10, "success", talk=120, hold=30, acw=60)
    attempt(a, x, 10, 20, "refused", talk=60, acw=30)
    attempt(a, x, 10, 30, "busy", acw=5)
    attempt(a, y, 10, 40, "callback", talk=90, acw=20, call_list=l1)
    attempt(b, y, 11, 5, "no_answer", acw=15, call_list=l2)
    attempt(b, y, 11, 15, "voicemail", acw=15, call_list=l2)
    make_attempt(campaign=x, operator=a, started_at=at(DAY - datetime.timedelta(days=1), 15), disposition="success",
                 talk=100, acw=10, customer=customer)

    for state, start, end in [
        ("ready", (10, 0), (10, 10)), ("on_call", (10, 10), (10, 15)), ("acw", (10, 15), (10, 20)),
        ("ready", (10, 20), (10, 50)), ("break", (10, 50), (11, 0)),
    ]:
        make_state(operator=a, state=state, started_at=at(DAY, *start), ended_at=at(DAY, *end))
    make_state(operator=b, state="ready", started_at=at(DAY, 10, 45), ended_at=at(DAY, 11, 30))
    make_state(operator=b, state="acw", started_at=at(DAY, 11, 30), ended_at=at(DAY, 11, 40))
    make_state(operator=b, state="offline", started_at=at(DAY, 11, 40))
    make_state(operator=c, state="break", started_at=at(DAY, 10, 0), ended_at=at(DAY, 11, 0))
    return SimpleNamespace(a=a, b=b, c=c, x=x, y=y, segment=segment, l1=l1, l2=l2, customer=customer)
