"""When a customer may be called, and when an entry is tried again.

Calling time (docs/rules.md#calling-hours-weekdays-and-holidays): inside the policy's window in the
*customer's* local time (`Customer.time_zone`), on an allowed weekday, and neither a public holiday
of the policy's holiday calendar (`holidays` package) nor one of the policy's own blackout dates
(is_day_allowed). Local wall-clock comparisons make daylight-saving changes come out right: a
08:00-21:00 window in America/New_York is 13:00-02:00 UTC in winter and 12:00-01:00 UTC in summer.

Retry schedule (docs/rules.md, the limits): after an outcome, `schedule_retry` (run by a Celery task) sets
`next_attempt_at` to the earliest moment that satisfies, all at once: the disposition's retry
delay and the minimum gap, the calling time above, the customer's preferred call times (when
they leave any opening within two weeks), the per-day maximum, the cross-campaign cap (when full,
the moment the oldest counted attempt leaves the rolling window) and the cool-off after a
conversation. The cap and cool-off definitions are those of `policy_rules`.

The window is [start, end): a call may start at 09:00:00 and at 19:59:59, not at 20:00. An end of
00:00 means midnight (the end of the day); an end before the start means the window runs over
midnight.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays
from django.db import connection, transaction
from django.utils import timezone

from ..models import CallAttempt, CallListEntry

DAY = dt.timedelta(days=1)
# How far ahead to look for an opening before giving up (a policy with no weekday never opens).
SEARCH_DAYS = 400
# Preferred call times are a wish: when they leave no opening within this many days, ignore them.
PREFERENCE_SEARCH_DAYS = 14


# ------------------------------------------------------------------ zones and holidays


@cache
def zone(name: str):
    """ZoneInfo for `name`, None for an unknown zone (such customers are never callable)."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, year: int, language: str) -> dict:
    try:
        return dict(holidays.country_holidays(country, years=year, language=language or None))
    except (NotImplementedError, KeyError, AttributeError):
        try:
            return dict(holidays.country_holidays(country, years=year))
        except (NotImplementedError, KeyError, AttributeError):
            return {}


def holiday_name(policy, day: dt.date, language: str = "") -> str | None:
    """The holiday's name when `day` is a public holiday the policy keeps free, else None."""
    if not policy.skip_holidays or not policy.holiday_country:
        return None
    lang = "ja" if language.startswith("ja") else ("en_US" if language else "")
    return _holiday_calendar(policy.holiday_country.upper(), day.year, lang).get(day)


@dataclass(frozen=True)
class Blackout:
    """A day range a policy keeps free on top of the public holidays: "MM-DD" bounds repeat every
    year (12-29..01-03 runs over the new year), "YYYY-MM-DD" bounds are one period."""

    start: str
    end: str
    label: str = ""

    @property
    def yearly(self) -> bool:
        return len(self.start) == 5

    def covers(self, day: dt.date) -> bool:
        if self.yearly:
            month_day = f"{day.month:02d}-{day.day:02d}"
            if self.start <= self.end:
                return self.start <= month_day <= self.end
            return month_day >= self.start or month_day <= self.end
        return self.start <= day.isoformat() <= self.end


def blackouts(raw) -> tuple[Blackout, ...]:
    """CallingPolicy.blackout_dates as Blackout periods (items policy_problems would refuse are
    skipped: a malformed row never makes a day callable or crashes a dispatch)."""
    if isinstance(raw, tuple):
        return raw
    periods = []
    for item in raw or []:
        if isinstance(item, dict) and blackout_item_problem(item) is None:
            periods.append(Blackout(item["from"], item.get("to") or item["from"], str(item.get("label") or "")))
    return tuple(periods)


def blackout_item_problem(item) -> str | None:
    """Why one blackout item is malformed (an English code for policy_problems), None if fine."""
    if not isinstance(item, dict) or not isinstance(item.get("from"), str):
        return "shape"
    start, end = item["from"], item.get("to") or item["from"]
    if not isinstance(end, str) or len(start) != len(end) or len(start) not in (5, 10):
        return "shape"
    try:
        if len(start) == 5:
            # 2000 is a leap year: 02-29 is a day that exists.
            dt.date.fromisoformat(f"2000-{start}"), dt.date.fromisoformat(f"2000-{end}")
        elif dt.date.fromisoformat(start) > dt.date.fromisoformat(end):
            return "order"
    except ValueError:
        return "shape"
    if not isinstance(item.get("label", ""), str) or len(item.get("label", "")) > 100:
        return "label"
    return None


def blackout_label(policy, day: dt.date) -> str | None:
    """The label of the policy's blackout period covering `day` ("" when unnamed), else None."""
    for period in blackouts(policy.blackout_dates):
        if period.covers(day):
            return period.label
    return None


def blackout_day_sql(*, dates: str, day: str) -> str:
    """SQL: true when the local date `day` falls in one of the blackout periods of the jsonb
    column `dates` (CallingPolicy.blackout_dates), as Blackout.covers says. For set-based checks
    (the compliance report); test_scheduling_rules proves both forms agree."""
    month_day = f"to_char({day}, 'MM-DD')"
    return (
        f"EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE({dates}, '[]'::jsonb)) b"
        " WHERE CASE WHEN length(b->>'from') = 5 THEN"
        f" CASE WHEN b->>'from' <= COALESCE(b->>'to', b->>'from')"
        f" THEN {month_day} BETWEEN b->>'from' AND COALESCE(b->>'to', b->>'from')"
        f" ELSE {month_day} >= b->>'from' OR {month_day} <= b->>'to' END"
        f" ELSE ({day})::date BETWEEN (b->>'from')::date AND COALESCE(b->>'to', b->>'from')::date END)"
    )


def is_day_allowed(policy, day: dt.date) -> bool:
    """Whether calls may be made on the local date `day`: an allowed weekday, not a public holiday
    the policy keeps free, not one of its blackout dates. The one home of "is this day callable"
    (dispatch through open_zones, retries, callbacks, the console's reasons)."""
    return (
        day.weekday() in (policy.weekdays or [])
        and holiday_name(policy, day) is None
        and blackout_label(policy, day) is None
    )


def closed_day_reason(policy, day: dt.date, language: str = "") -> str | None:
    """Why calls are not allowed on `day` (a holiday's or a blackout's name, or a generic phrase
    for an unnamed blackout), None when the day is a weekday the policy allows."""
    from django.utils.translation import gettext as _

    name = holiday_name(policy, day, language)
    if name:
        return _("%(date)s is a public holiday (%(name)s): no calls.") % {"date": _date(day), "name": name}
    label = blackout_label(policy, day)
    if label is not None:
        return _("%(date)s is a day off of this calling policy (%(name)s): no calls.") % {
            "date": _date(day),
            "name": label or _("blackout date"),
        }
    if day.weekday() not in (policy.weekdays or []):
        return _("No calls on that day of the week.")
    return None


def days_off(policy, start: dt.date, days: int, language: str = "") -> list[tuple[dt.date, str]]:
    """The weekdays the policy would call on, from `start` for `days` days, that a public holiday or
    a blackout date keeps free, with the reason (closed_day_reason): what a list preview shows of
    the coming weeks."""
    found = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if day.weekday() in (policy.weekdays or []) and not is_day_allowed(policy, day):
            found.append((day, closed_day_reason(policy, day, language)))
    return found


def _date(day: dt.date) -> str:
    from django.utils import formats

    return formats.date_format(day)


# ------------------------------------------------------------------ windows


def _window_bounds(day: dt.date, start: dt.time, end: dt.time) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) on `day` as naive local datetimes (a window over midnight gives two parts)."""
    begin = dt.datetime.combine(day, start)
    if end == dt.time(0) or end == start:
        return [(begin, dt.datetime.combine(day + DAY, dt.time(0)))]
    finish = dt.datetime.combine(day, end)
    if end > start:
        return [(begin, finish)]
    return [(dt.datetime.combine(day, dt.time(0)), finish), (begin, dt.datetime.combine(day + DAY, dt.time(0)))]


def parse_preferred_windows(raw) -> list[tuple[frozenset, dt.time, dt.time]]:
    """Customer.preferred_call_windows ([{"weekdays": [..], "start": "HH:MM", "end": "HH:MM"}]) as
    (weekdays, start, end); malformed items are ignored (the data comes from imports)."""
    parsed = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        try:
            start = dt.time.fromisoformat(str(item.get("start", "00:00")))
            end = dt.time.fromisoformat(str(item.get("end", "00:00")))
            days = item.get("weekdays")
            weekdays = frozenset(int(d) for d in days) if days else frozenset(range(7))
        except (TypeError, ValueError):
            continue
        parsed.append((weekdays, start, end))
    return parsed


def local_intervals(policy, day: dt.date, preferred=None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The naive local intervals of `day` in which a call may start (policy ∩ preferences)."""
    if not is_day_allowed(policy, day):
        return []
    intervals = _window_bounds(day, policy.call_window_start, policy.call_window_end)
    if preferred:
        wished = [
            bounds
            for weekdays, start, end in preferred
            if day.weekday() in weekdays
            for bounds in _window_bounds(day, start, end)
        ]
        intervals = [
            (max(a_start, b_start), min(a_end, b_end))
            for a_start, a_end in intervals
            for b_start, b_end in wished
            if max(a_start, b_start) < min(a_end, b_end)
        ]
    return sorted(intervals)


def is_callable_at(policy, zone_name: str, at: dt.datetime) -> bool:
    """Rule 3 for one moment: allowed weekday, not a holiday, inside the window (local time)."""
    tz = zone(zone_name)
    if tz is None:
        return False
    local = at.astimezone(dt.UTC).astimezone(tz)  # via UTC: normalizes a same-zone input
    naive = local.replace(tzinfo=None)
    return any(start <= naive < end for start, end in local_intervals(policy, local.date()))


def _aware(naive: dt.datetime, tz) -> dt.datetime:
    """A local wall-clock time as an aware datetime. A time inside a spring-forward gap does not
    exist; zoneinfo then reads it with the offset before the change, i.e. just after the gap. The
    round trip through UTC normalizes it (02:30 on the spring-forward night becomes 03:30)."""
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def next_opening(policy, zone_name: str, after: dt.datetime, preferred=None, search_days: int = SEARCH_DAYS):
    """The first moment at or after `after` when a call may start, or None within `search_days`."""
    tz = zone(zone_name)
    if tz is None:
        return None
    local_after = after.astimezone(dt.UTC).astimezone(tz)
    naive_after = local_after.replace(tzinfo=None)
    first_day = local_after.date()
    # The day before too: a window running over midnight may still be open after midnight.
    for offset in range(-1, search_days):
        day = first_day + dt.timedelta(days=offset)
        for start, end in local_intervals(policy, day, preferred):
            if end <= naive_after:
                continue
            candidate = _aware(max(start, naive_after), tz)
            if candidate < after:
                candidate = after
            if is_callable_at(policy, zone_name, candidate):
                return candidate
    return None


def open_zones(policy, at: dt.datetime) -> list[str]:
    """Every time zone in which `policy` allows a call to start at `at`. Dispatch filters
    customers with `time_zone = ANY(open_zones)`: calling hours, weekdays and holidays in the
    customer's zone become one indexed-array test in SQL. Cached per minute."""
    if policy.call_window_start.second or policy.call_window_end.second:
        return _open_zones(_policy_key(policy), at)
    return _open_zones(_policy_key(policy), at.replace(second=0, microsecond=0))


def _policy_key(policy):
    return (
        policy.call_window_start,
        policy.call_window_end,
        tuple(sorted(policy.weekdays or [])),
        bool(policy.skip_holidays),
        policy.holiday_country or "",
        blackouts(policy.blackout_dates),
    )


@dataclass(frozen=True)
class _PolicyTimes:
    """The calling-time fields of a policy, hashable for the cache."""

    call_window_start: dt.time
    call_window_end: dt.time
    weekdays: tuple
    skip_holidays: bool
    holiday_country: str
    blackout_dates: tuple


@lru_cache(maxsize=512)
def _open_zones(key, at: dt.datetime) -> list[str]:
    times = _PolicyTimes(*key)
    return [name for name in all_zone_names() if is_callable_at(times, name, at)]


# ------------------------------------------------------------------ retry schedule


def retry_delay_minutes(policy, disposition) -> int:
    """The policy's delay for this outcome, else the disposition's default, else none."""
    if disposition is None:
        return 0
    override = (policy.retry_delays or {}).get(disposition.code)
    if override not in (None, ""):
        try:
            return max(0, int(override))
        except (TypeError, ValueError):
            pass
    return disposition.retry_delay_minutes or 0


def retry_floor(policy, disposition, attempt_at: dt.datetime) -> dt.datetime:
    """No sooner than the retry delay and the minimum gap after the attempt."""
    minutes = max(retry_delay_minutes(policy, disposition), policy.min_gap_minutes or 0)
    return attempt_at + dt.timedelta(minutes=minutes)


@dataclass
class CallHistory:
    """A customer's recent calls, as the scheduler needs them (all campaigns)."""

    attempt_times: list = field(default_factory=list)  # started_at of every attempt
    contact_times: list = field(default_factory=list)  # started_at of conversations
    entry_attempt_times: list = field(default_factory=list)  # this entry's attempts (per-day max)


def earliest_allowed_time(
    *,
    policy,
    zone_name: str,
    earliest: dt.datetime,
    history: CallHistory,
    preferred_windows=None,
    apply_cooloff: bool = True,
) -> dt.datetime | None:
    """The first moment at or after `earliest` that every calling rule allows (see the module
    docstring), in UTC, or None when the policy never opens."""
    preferred = parse_preferred_windows(preferred_windows)
    tz = zone(zone_name)
    if tz is None:
        return None
    moment = earliest
    for _ in range(500):
        opening = None
        if preferred:
            opening = next_opening(policy, zone_name, moment, preferred, PREFERENCE_SEARCH_DAYS)
            if opening is None:
                preferred = []  # no wished-for time soon: the policy alone decides
        if opening is None:
            opening = next_opening(policy, zone_name, moment)
        if opening is None:
            return None
        # From here on the moment is in UTC (see _utc): the cap and cool-off windows are spans of
        # elapsed time, as policy_rules counts them in SQL.
        moment = _utc(opening)
        local_day = moment.astimezone(tz).date()
        if policy.max_attempts_per_day:
            same_day = sum(1 for a in history.entry_attempt_times if a.astimezone(tz).date() == local_day)
            if same_day >= policy.max_attempts_per_day:
                moment = _utc(_aware(dt.datetime.combine(local_day + DAY, dt.time(0)), tz))
                continue
        if policy.cap_attempts and policy.cap_days:
            window = dt.timedelta(days=policy.cap_days)
            counted = sorted(_utc(a) for a in history.attempt_times if moment - window < a <= moment)
            if len(counted) >= policy.cap_attempts:
                # Wait until enough of the oldest counted attempts have left the rolling window.
                moment = counted[len(counted) - policy.cap_attempts] + window
                continue
        if apply_cooloff and policy.cooloff_days_after_contact:
            window = dt.timedelta(days=policy.cooloff_days_after_contact)
            recent = [_utc(c) for c in history.contact_times if moment - window < c <= moment]
            if recent:
                moment = max(recent) + window
                continue
        return moment
    return None


def _utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC, as the scheduler reckons after finding an opening. In the customer's
    zone, aware arithmetic is wall-clock arithmetic ("7 days before" a moment just after a
    daylight-saving change is 7 days of wall clock, an hour more or less than elapsed), and a wall
    time that occurs twice (the hour repeated when clocks go back) never compares equal to the
    same instant written in another zone (PEP 495)."""
    return moment.astimezone(dt.UTC)


def load_call_history(*, entry, since: dt.datetime) -> CallHistory:
    """The customer's attempts started after `since` (every campaign)."""
    rows = CallAttempt.objects.filter(customer_id=entry.customer_id, started_at__gt=since).values_list(
        "started_at", "is_contact", "entry_id"
    )
    history = CallHistory()
    for started_at, is_contact, entry_id in rows:
        history.attempt_times.append(started_at)
        if is_contact:
            history.contact_times.append(started_at)
        if entry_id == entry.pk:
            history.entry_attempt_times.append(started_at)
    return history


def compute_next_attempt_at(
    *, entry, policy, not_before: dt.datetime | None = None, callback: bool = False, best_hours: set | None = None
) -> dt.datetime | None:
    """Where the next attempt of `entry` may go, from its recorded history. For a callback the
    customer asked for, the cool-off and the preferred times do not apply (they named the time).
    `best_hours`: the entry's best hours read beforehand (None: read them here, from the cache or
    the rollups), for callers that hold row locks."""
    customer = entry.customer
    floors = [not_before] if not_before else []
    if entry.last_attempt_at:
        floors.append(retry_floor(policy, entry.last_disposition, entry.last_attempt_at))
    if customer.last_attempt_at and policy.min_gap_minutes:
        floors.append(customer.last_attempt_at + dt.timedelta(minutes=policy.min_gap_minutes))
    if entry.attempts == 0 and entry.next_attempt_at:
        floors.append(entry.next_attempt_at)  # e.g. a pre-notice wait set by the list build
    from .debts import promise_rest_until

    rest = promise_rest_until(campaign_id=entry.campaign_id, customer=customer)
    if rest is not None:
        floors.append(rest)  # a promise to pay rests the customer until the day after the promised date
    earliest = max(floors) if floors else timezone.now()
    lookback = dt.timedelta(days=max(policy.cap_days or 0, policy.cooloff_days_after_contact or 0, 2))
    history = load_call_history(entry=entry, since=earliest - lookback)
    if policy.min_gap_minutes and history.attempt_times:
        # The gap counts from the customer's latest call in any campaign, as dispatch does.
        earliest = max(earliest, max(history.attempt_times) + dt.timedelta(minutes=policy.min_gap_minutes))

    def allowed_from(moment):
        return earliest_allowed_time(
            policy=policy,
            zone_name=customer.time_zone,
            earliest=moment,
            history=history,
            preferred_windows=None if callback else customer.preferred_call_windows,
            apply_cooloff=not callback,
        )

    next_at = allowed_from(earliest)
    if policy.prefer_best_hours and not callback and next_at is not None:
        # "Prefer best hours" (KPI heat map): the first allowed moment in an hour when this
        # segment answers; unchanged when there is too little history or none within two weeks.
        from ..selectors.kpis.best_hours import best_hours_for_entry, next_best_hour

        best = best_hours if best_hours is not None else best_hours_for_entry(entry)
        next_at = next_best_hour(best=best, earliest=next_at, allowed_from=allowed_from) or next_at
    return next_at


def schedule_retry(*, entry_id: int) -> CallListEntry | None:
    """Set the next attempt of a pending entry (or mark it exhausted). Idempotent: it recomputes
    from what is recorded, so running it twice, late, or after another campaign's call is safe."""
    from ..locks import lock_entry

    # The best hours come from Redis (or, once a day, the rollups): read them before the entry is
    # locked, so a slow or hanging cache never holds the lock.
    best = _best_hours_before_locking(entry_id)
    with transaction.atomic():
        try:
            entry = lock_entry(entry_id)
        except CallListEntry.DoesNotExist:
            return None
        policy = entry.campaign.policy
        if entry.status != CallListEntry.Status.PENDING or policy is None:
            return entry
        if entry.attempts >= policy.max_attempts:
            entry.status = CallListEntry.Status.EXHAUSTED
            entry.next_attempt_at = None
            entry.save(update_fields=["status", "next_attempt_at", "updated_at"])
            return entry
        next_at = compute_next_attempt_at(entry=entry, policy=policy, best_hours=best)
        if next_at is not None and next_at != entry.next_attempt_at:
            entry.next_attempt_at = next_at
            entry.save(update_fields=["next_attempt_at", "updated_at"])
        return entry


def _best_hours_before_locking(entry_id: int) -> set | None:
    """The entry's best hours when its policy prefers them (None otherwise, or when it is gone)."""
    entry = CallListEntry.objects.select_related("campaign__policy").filter(pk=entry_id).first()
    if entry is None or entry.campaign.policy is None or not entry.campaign.policy.prefer_best_hours:
        return None
    from ..selectors.kpis.best_hours import best_hours_for_entry

    return best_hours_for_entry(entry)


def entries_touched_by_other_campaigns(*, after_attempt_id: int, limit: int) -> tuple[list[int], int]:
    """Pending entries whose customer was called in *another* campaign by the next `limit`
    attempts after `after_attempt_id`, and the last attempt id looked at (the next watermark).

    An attempt's id is taken at insert, the row becomes visible at commit, possibly after a row
    with a higher id: the watermark stops before the first id that may still be filled (the KPI
    refresh's rule, kpis.settled_attempt_id), or that attempt would never be looked at."""
    from .kpis import settled_attempt_id

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(id) FROM (SELECT id FROM campaigns_callattempt WHERE id > %s ORDER BY id LIMIT %s) a",
            [after_attempt_id, limit],
        )
        upto = cursor.fetchone()[0]
        if upto is None:
            return [], after_attempt_id
        upto = min(upto, settled_attempt_id(cursor, after=after_attempt_id, now=timezone.now()))
        if upto <= after_attempt_id:
            return [], after_attempt_id
        cursor.execute(
            "SELECT DISTINCT e.id FROM campaigns_callattempt a"
            " JOIN campaigns_calllistentry e ON e.customer_id = a.customer_id AND e.campaign_id <> a.campaign_id"
            " WHERE a.id > %s AND a.id <= %s AND e.status = 'pending'",
            [after_attempt_id, upto],
        )
        return [row[0] for row in cursor.fetchall()], upto
