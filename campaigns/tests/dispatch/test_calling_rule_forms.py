"""The Python and SQL forms of each calling rule agree, on generated cases.

Each calling rule is written twice. The scheduler (Python: `scheduling.compute_next_attempt_at`,
`is_callable_at`) picks when an entry is tried next; dispatch's claim (SQL: `dispatch.rules_sql`
with the fragments of `policy_rules`) decides whether the entry may be called at this moment, and
the list build (SQL sets: `policy_rules.customers_*_sql`) who is listed at all. If they disagreed,
the scheduler would set times the claim refuses (the entry parked again at every press) or the
claim would ring someone the schedule keeps waiting.

For each rule (calling window, weekday and holiday, minimum gap, per-day maximum, cross-campaign
cap, cool-off after a conversation, and all of them at once) cases are generated from a fixed
seed, with the moments biased to where two forms drift apart: the minute a window opens or
closes, a daylight-saving change or a holiday in the customer's zone, a call exactly N days or
minutes before; and, for the rules that count days, every clock change of the year in every zone
with daylight saving (clock_change_cases). Every case checks:

* allowed now: the scheduler's next moment from `at` is `at` itself  <=>  the claim is true;
* the set forms and the correlated fragments (cap, cool-off) block the same customers;
* the scheduler's next moment `m` is allowed by the claim, and one microsecond before `m` it is
  not: the scheduler neither picks a refused moment nor waits longer than the rules ask.

The do-not-call rule has the same kind of tests: test_dnc.py (its set and per-row forms) and
test_dispatch_rules.py (the claim's check and the registry service)."""

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from campaigns.models import CallAttempt, CallingPolicy, CallListEntry, Disposition
from campaigns.services import dispatch, policy_rules, scheduling
from campaigns.tests.factories import CallListFactory, CampaignFactory
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SEED = 20240610
CASES_PER_RULE = 50
MICROSECOND = dt.timedelta(microseconds=1)
UTC = dt.UTC

# Zones with daylight saving (north and south, at 02:00 and at midnight), half and quarter hours.
ZONES = [
    "Asia/Tokyo",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
]
# Days worth tripping over: daylight-saving changes of those zones, Japanese and US holidays, a
# leap day, the turn of the year, and a plain Wednesday.
DAYS = [
    dt.date(2024, 3, 10),  # US spring forward
    dt.date(2024, 11, 3),  # US fall back
    dt.date(2024, 3, 31),  # EU spring forward
    dt.date(2024, 10, 27),  # EU fall back
    dt.date(2024, 4, 7),  # Lord Howe, Santiago, Chatham: back
    dt.date(2024, 9, 8),  # Santiago forward at midnight
    dt.date(2024, 9, 29),  # Chatham forward
    dt.date(2024, 10, 6),  # Lord Howe forward (half an hour)
    dt.date(2024, 1, 1),
    dt.date(2024, 5, 3),  # 憲法記念日
    dt.date(2024, 7, 4),
    dt.date(2024, 2, 29),
    dt.date(2024, 12, 31),
    dt.date(2024, 6, 12),
]
# A policy that allows everything, so a case switches on exactly the rules it is about.
OPEN = {
    "call_window_start": dt.time(0),
    "call_window_end": dt.time(0),
    "weekdays": [0, 1, 2, 3, 4, 5, 6],
    "skip_holidays": False,
    "holiday_country": "JP",
    "max_attempts": 99,
    "max_attempts_per_day": 0,
    "min_gap_minutes": 0,
    "cap_attempts": None,
    "cap_days": None,
    "cooloff_days_after_contact": None,
    "no_resolicit_after_refusal": False,
}


@dataclass
class Case:
    rule: str
    policy: dict
    zone: str
    at: dt.datetime
    # (started_at, disposition code, of this entry?) — every call at or before `at`.
    attempts: list = field(default_factory=list)

    def __str__(self):
        calls = ", ".join(f"{t.isoformat()} {code}{' (entry)' if own else ''}" for t, code, own in self.attempts)
        changed = {k: v for k, v in self.policy.items() if OPEN.get(k) != v}
        return f"{self.rule}: policy {changed}, zone {self.zone}, at {self.at.isoformat()}, calls [{calls}]"


# ------------------------------------------------------------------ generating cases


@functools.cache
def _clock_changes(zone: str) -> list[dt.date]:
    """The days of 2024 on which `zone`'s clocks change (daylight saving)."""
    tz, day, changes = ZoneInfo(zone), dt.date(2024, 1, 1), []
    while day.year == 2024:
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=tz)
        if noon.utcoffset() != (noon - dt.timedelta(days=1)).utcoffset():
            changes.append(day)
        day += dt.timedelta(days=1)
    return changes


def _local(rng, zone: str, times: list[dt.time]) -> dt.datetime:
    """A moment of `zone`'s clock at one of `times` (or any minute), as UTC: on one of DAYS, or
    (mostly, in a zone with daylight saving) on a day up to six days after its clocks changed, so
    that "N days before" reaches back over the change."""
    changes = _clock_changes(zone) if zone in ZONES else []
    if changes and rng.random() < 0.6:
        day = rng.choice(changes) + dt.timedelta(days=rng.choice([0, 0, 1, 2, 6]))
    else:
        day = rng.choice(DAYS) + dt.timedelta(days=rng.choice([0, 0, 0, -1, 1]))
    wall = rng.choice([*times, dt.time(rng.randrange(24), rng.randrange(60))])
    return dt.datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)


EDGES = [
    dt.timedelta(0),
    MICROSECOND,
    -MICROSECOND,
    dt.timedelta(seconds=1),
    -dt.timedelta(seconds=1),
    dt.timedelta(minutes=30),  # what a daylight-saving change moves a wall clock by (Lord Howe)
    -dt.timedelta(minutes=30),
    dt.timedelta(minutes=59),  # or nearly (the usual hour)
    -dt.timedelta(minutes=59),
]


def _edge(rng, moment: dt.datetime) -> dt.datetime:
    """`moment` itself or just either side of it."""
    return moment + rng.choice(EDGES)


def _within(rng, at: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """Some moment in (at - span, at]."""
    return at - span * rng.random()


def window_rule(rng, zone):
    """A calling window (over midnight, to midnight, half hours), weekdays and holidays, and a
    moment on an edge of the window in `zone`."""
    minutes = [0, 8 * 60, 9 * 60, 9 * 60 + 30, 12 * 60, 20 * 60, 21 * 60, 22 * 60 + 45, rng.randrange(24 * 60)]
    start, end = (dt.time(*divmod(rng.choice(minutes), 60)) for _ in range(2))
    policy = {
        "call_window_start": start,
        "call_window_end": end,
        "weekdays": sorted(rng.sample(range(7), rng.choice([0, 1, 3, 5, 6, 7]))),
        "skip_holidays": rng.random() < 0.7,
        "holiday_country": rng.choice(["JP", "US"]),
    }
    before_start = (dt.datetime.combine(dt.date(2000, 1, 2), start) - dt.timedelta(minutes=1)).time()
    at = _local(rng, zone if zone in ZONES else "UTC", [start, end, before_start])
    if rng.random() < 0.3:
        at -= MICROSECOND  # the last instant before an edge
    return policy, at


def gap_rule(rng, zone, at):
    gap = rng.choice([1, 30, 120, 1440, 2880])
    span = dt.timedelta(minutes=2 * gap)
    calls = [
        (rng.choice([_edge(rng, at - dt.timedelta(minutes=gap)), _within(rng, at, span)]), code, own)
        for code, own in [("no_answer", True), ("busy", False), ("success", False)][: rng.randrange(1, 4)]
    ]
    return {"min_gap_minutes": gap}, calls


def per_day_rule(rng, zone, at):
    """Calls of the entry around the start of `at`'s day in the customer's zone, and before `at`."""
    tz = ZoneInfo(zone)
    midnight = dt.datetime.combine(at.astimezone(tz).date(), dt.time(0), tzinfo=tz).astimezone(UTC)
    calls = [
        (
            rng.choice([_edge(rng, midnight), _edge(rng, at), _within(rng, at, dt.timedelta(hours=30))]),
            "no_answer",
            True,
        )
        for _ in range(rng.randrange(0, 5))
    ]
    return {"max_attempts_per_day": rng.choice([1, 2, 3])}, calls


def cap_rule(rng, zone, at):
    """Fewer calls inside the rolling window than the cap, and a few on its edge that may tip it."""
    attempts, days = rng.choice([1, 1, 2, 3, 4]), rng.choice([1, 3, 7, 10])
    window = dt.timedelta(days=days)
    moments = [_within(rng, at, window) for _ in range(rng.randrange(0, attempts))]
    moments += [_edge(rng, at - window) for _ in range(rng.randrange(0, 3))]
    moments += [_edge(rng, at) for _ in range(rng.randrange(0, 2))]
    calls = [
        (moment, rng.choice(["no_answer", "busy", "success", "voicemail"]), rng.random() < 0.5) for moment in moments
    ]
    return {"cap_attempts": attempts, "cap_days": days}, calls


def cooloff_rule(rng, zone, at):
    """Conversations on the edge of the cool-off (or just now), other calls anywhere in it."""
    days = rng.choice([1, 2, 7, 10])
    window = dt.timedelta(days=days)
    conversations = [_edge(rng, rng.choice([at - window, at - window, at])) for _ in range(rng.randrange(0, 3))]
    calls = [
        (moment, rng.choice(["success", "hung_up", "wrong_person"]), rng.random() < 0.5) for moment in conversations
    ]
    calls += [(_within(rng, at, window), rng.choice(["no_answer", "busy"]), False) for _ in range(rng.randrange(0, 2))]
    return {"cooloff_days_after_contact": days}, calls


HISTORY_RULES = {"gap": gap_rule, "per_day": per_day_rule, "cap": cap_rule, "cooloff": cooloff_rule}
RULES = ["window", *HISTORY_RULES, "combined"]


def generate(rng, rule: str) -> Case:
    """One case of `rule` ("combined": every rule at once, so the forms must also agree on which
    rule lets the call through last). Moments around midnight and early morning in the zone, where
    a local day begins and daylight saving changes."""
    zone = rng.choice(ZONES)
    policy = dict(OPEN)
    if rule in ("window", "combined"):
        if rule == "window":
            zone = rng.choice([*ZONES, "Mars/Olympus_Mons"])  # an unknown zone is never callable
        changes, at = window_rule(rng, zone)
        policy.update(changes)
    else:
        at = _local(rng, zone, [dt.time(0), dt.time(0, 1), dt.time(2, 30), dt.time(23, 59), dt.time(10)])
    calls = []
    for name, history_rule in HISTORY_RULES.items():
        if rule in (name, "combined"):
            changes, more = history_rule(rng, zone, at)
            policy.update(changes)
            calls += more
    return Case(rule, policy, zone, at, sorted(call for call in calls if call[0] <= at))


def clock_change_cases(rule: str):
    """Besides the random cases, every clock change of 2024 in every zone with daylight saving,
    for the rules that count days: a day and at 10:00 local after the change, one call on the
    edge of the rolling window (the wall clock and elapsed time differ there by the change), and
    for the per-day maximum, calls either side of the local midnights around the change."""
    for zone in ZONES:
        tz = ZoneInfo(zone)
        for change in _clock_changes(zone):
            at = dt.datetime.combine(change + dt.timedelta(days=1), dt.time(10), tzinfo=tz).astimezone(UTC)
            for offset in EDGES:
                if rule == "cap":
                    yield Case(
                        rule,
                        {**OPEN, "cap_attempts": 1, "cap_days": 3},
                        zone,
                        at,
                        [(at - dt.timedelta(days=3) + offset, "busy", False)],
                    )
                elif rule == "cooloff":
                    calls = [(at - dt.timedelta(days=3) + offset, "success", False)]
                    yield Case(rule, {**OPEN, "cooloff_days_after_contact": 3}, zone, at, calls)
                elif rule == "per_day" and abs(offset) in (dt.timedelta(0), MICROSECOND, dt.timedelta(minutes=30)):
                    for day in (change, change + dt.timedelta(days=1)):
                        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)
                        for wall in (dt.time(0, 30), dt.time(3), dt.time(23, 30)):
                            local_at = dt.datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
                            calls = [(midnight + offset, "no_answer", True)]
                            yield Case(
                                rule,
                                {**OPEN, "max_attempts_per_day": 1},
                                zone,
                                local_at,
                                [c for c in calls if c[0] <= local_at],
                            )


# ------------------------------------------------------------------ the forms


@pytest.fixture
def call_list(reference_data):
    return CallListFactory(campaign=CampaignFactory())


@pytest.fixture
def other_campaign(reference_data):
    return CampaignFactory()


def store(case: Case, call_list, other_campaign) -> CallListEntry:
    """The case as rows: a customer in the case's zone, an entry, and the calls."""
    customer = CustomerFactory(time_zone=case.zone)
    entry = CallListEntry.objects.create(
        call_list=call_list,
        campaign=call_list.campaign,
        customer=customer,
        phone="+819000000000",
        rank=1,
        status=CallListEntry.Status.PENDING,
    )
    dispositions = {d.code: d for d in Disposition.objects.all()}
    own = [started for started, _code, mine in case.attempts if mine]
    for started, code, mine in case.attempts:
        CallAttempt.objects.create(
            entry=entry if mine else None,
            campaign=call_list.campaign if mine else other_campaign,
            customer=customer,
            phone="+819000000000",
            started_at=started,
            ended_at=started + dt.timedelta(minutes=1),
            disposition=dispositions[code],
        )
    # What the outcome service keeps: the entry's count and last call, the customer's last call.
    entry.attempts = len(own)
    entry.last_attempt_at = max(own, default=None)
    entry.save(update_fields=["attempts", "last_attempt_at"])
    customer.last_attempt_at = max((started for started, _c, _m in case.attempts), default=None)
    customer.save(update_fields=["last_attempt_at"])
    return CallListEntry.objects.select_related("customer").get(pk=entry.pk)


def scheduler_next(policy, entry, at):
    """Python: the first moment from `at` the scheduler allows (None: never)."""
    return scheduling.compute_next_attempt_at(entry=entry, policy=policy, not_before=at)


def claim_allows(policy, entry, at, answers: list) -> bool:
    """SQL: dispatch's claim conditions for the entry at `at`, with the zones dispatch passes."""
    rules = dispatch.rules_sql(policy, zones_param="zones", callback=False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rules} FROM campaigns_calllistentry e JOIN contacts_customer c ON c.id = e.customer_id"
            " WHERE e.id = %(entry)s",
            {"now": at, "entry": entry.pk, "zones": dispatch.open_zones_param(policy, at)},
        )
        answers.append(cursor.fetchone()[0])
        return answers[-1]


def blocked_by_fragment(fragment, entry, at) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {fragment}", {"customer": entry.customer_id, "at": at})
        return cursor.fetchone()[0]


def listed_by_set(set_sql, entry, at) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %(customer)s IN ({set_sql})", {"customer": entry.customer_id, "at": at})
        return cursor.fetchone()[0]


def disagreements(case: Case, entry, answers: list) -> list[str]:
    policy = CallingPolicy(name="case", **case.policy)
    at, found = case.at, []
    allowed = claim_allows(policy, entry, at, answers)
    following = scheduler_next(policy, entry, at)
    if (following == at) != allowed:
        found.append(f"at `at` the scheduler says {following} and the claim says {allowed}")
    if case.rule == "window" and scheduling.is_callable_at(policy, case.zone, at) != allowed:
        found.append(f"is_callable_at says {not allowed}, the claim {allowed}")
    for fragment, set_sql in [
        (
            policy_rules.cap_reached_sql(policy, customer="%(customer)s", at="%(at)s"),
            policy_rules.customers_over_cap_sql(policy, at="%(at)s"),
        ),
        (
            policy_rules.cooling_off_sql(policy, customer="%(customer)s", at="%(at)s"),
            policy_rules.customers_cooling_off_sql(policy, at="%(at)s"),
        ),
    ]:
        if fragment and blocked_by_fragment(fragment, entry, at) != listed_by_set(set_sql, entry, at):
            found.append(f"the set form and the fragment disagree: {set_sql}")
    if following is not None:
        if not claim_allows(policy, entry, following, answers):
            found.append(f"the scheduler picks {following.isoformat()}, which the claim refuses")
        if following > at and claim_allows(policy, entry, following - MICROSECOND, answers):
            found.append(f"the claim allows a call just before {following.isoformat()}, the scheduler waits")
    return found


@pytest.mark.parametrize("rule", RULES)
def test_the_scheduler_and_the_claim_agree_on_generated_cases(rule, call_list, other_campaign):
    rng = random.Random(f"{SEED}-{rule}")
    problems, answers = [], []
    cases = [generate(rng, rule) for _ in range(CASES_PER_RULE)] + list(clock_change_cases(rule))
    for number, case in enumerate(cases):
        entry = store(case, call_list, other_campaign)
        problems += [f"case {number} ({case}): {problem}" for problem in disagreements(case, entry, answers)]
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:15])
    # The claim answered both ways (cases stuck on one side would prove little).
    assert answers.count(True) >= 10 and answers.count(False) >= 10, answers
