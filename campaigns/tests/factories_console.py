"""Helpers for the console, dispatch, outcome and scheduling tests: a dialable setup in one line,
on top of the setup and contacts factories."""

import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.models import CallAttempt, Campaign, Disposition
from campaigns.tests.factories import CallingPolicyFactory, CallListEntryFactory, CallListFactory, CampaignFactory
from contacts.tests.factories import CustomerFactory

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
# A plain Wednesday afternoon in Tokyo: inside every usual calling window, not a holiday.
WEDNESDAY_2PM = dt.datetime(2026, 11, 25, 14, 0, tzinfo=TOKYO)


def japan_standard(**overrides):
    """The "Japan standard" preset numbers (campaigns.services.policies.PRESETS), each overridable."""
    fields = dict(
        call_window_start=dt.time(9, 0),
        call_window_end=dt.time(20, 0),
        weekdays=[0, 1, 2, 3, 4, 5],
        skip_holidays=True,
        holiday_country="JP",
        max_attempts=6,
        max_attempts_per_day=2,
        min_gap_minutes=120,
        cap_attempts=3,
        cap_days=7,
        cooloff_days_after_contact=7,
        no_resolicit_after_refusal=True,
    )
    fields.update(overrides)
    return CallingPolicyFactory(**fields)


def open_around_the_clock(**overrides):
    """A policy open around the clock, every day, no gap: tests of the console's flow that must
    not depend on the hour or the day they run."""
    fields = dict(
        call_window_start=dt.time(0),
        call_window_end=dt.time(0),
        weekdays=list(range(7)),
        skip_holidays=False,
        min_gap_minutes=0,
    )
    fields.update(overrides)
    return CallingPolicyFactory(**fields)


def working_campaign(*, operators, policy=None, **fields) -> Campaign:
    """An active campaign with a policy (open around the clock unless given) and these operators.
    Not CallingPolicyFactory's 00:00-23:59: a test dispatching on the real clock found nobody
    callable in the last minute of the Tokyo day (14:59-15:00 UTC)."""
    fields.setdefault("status", Campaign.Status.ACTIVE)
    return CampaignFactory(policy=policy or open_around_the_clock(), operators=list(operators), **fields)


def ready_list(campaign, **fields):
    return CallListFactory(campaign=campaign, **fields)


def entry(call_list, *, customer=None, **fields):
    """A pending entry, due since long ago unless told otherwise."""
    fields.setdefault("next_attempt_at", None)
    return CallListEntryFactory(call_list=call_list, customer=customer or CustomerFactory(), **fields)


def past_attempt(*, entry=None, customer=None, campaign=None, at, code="no_answer", operator=None, **fields):
    """An attempt recorded earlier (written directly, as history; `fields`: notes, talk seconds...
    set here, since an attempt cannot be changed once stored)."""
    disposition = Disposition.objects.get(code=code)
    customer = customer or entry.customer
    campaign = campaign or entry.campaign
    return CallAttempt.objects.create(
        entry=entry,
        call_list=entry.call_list if entry else None,
        campaign=campaign,
        customer=customer,
        operator=operator,
        phone=entry.phone if entry else "+819000000000",
        started_at=at,
        ended_at=at + dt.timedelta(minutes=2),
        disposition=disposition,
        **fields,
    )
