"""Contact rates by weekday and hour (the heat map's cells) and the best time to call that the
scheduler prefers when a campaign asks for it."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from .figures import KpiFilter, KpiRow, ratio
from .tables import kpi_table


@dataclass
class HeatCell:
    dials: int = 0
    contacts: int = 0

    @property
    def rate(self):
        return ratio(self.contacts, self.dials)


def heat_grid(rows: list[KpiRow]) -> dict[tuple[int, int], HeatCell]:
    """(weekday, hour) -> dials and contacts, from a "weekday_hour" table."""
    return {row.key: HeatCell(row.figures.dials, row.figures.contacts) for row in rows}


def pick_best_hours(grid: dict[tuple[int, int], HeatCell], *, min_dials: int) -> set[tuple[int, int]]:
    """The cells with enough dials to judge whose contact rate is at least the average of those
    cells: when this campaign's or segment's customers pick up more often than usual."""
    judged = {cell: figures for cell, figures in grid.items() if figures.dials >= min_dials}
    if not judged:
        return set()
    average = sum(f.contacts for f in judged.values()) / sum(f.dials for f in judged.values())
    return {cell for cell, figures in judged.items() if figures.rate >= average and figures.contacts > 0}


BEST_HOURS_DAYS = 56


def best_hours(
    *, campaign_id=None, segment_id=None, min_dials: int = 20, days: int = BEST_HOURS_DAYS, today=None
) -> set[tuple[int, int]]:
    """(weekday, hour) slots, in the call center's local time (weekday 0 = Monday), in which the
    customers of a campaign and/or segment answered at least as often as on average over the last
    `days` days, counting only slots with `min_dials` dials or more. Empty when there is too little
    history to judge (the scheduler then ignores the preference)."""
    today = today or timezone.localdate()
    kpi_filter = KpiFilter(
        date_from=today - datetime.timedelta(days=days),
        date_to=today - datetime.timedelta(days=1),
        campaign_ids=(campaign_id,) if campaign_id is not None else None,
        segment_id=segment_id,
    )
    return pick_best_hours(heat_grid(kpi_table(kpi_filter, "weekday_hour")), min_dials=min_dials)


def best_hours_for_entry(entry) -> set[tuple[int, int]]:
    """The best hours for a list entry's next attempt: those of its list's segment (every campaign
    that called it) when there is enough history, else those of its campaign. They are judged on
    the days before today, so they change once a day: cached per list and day, a hit costs no
    query at all (scheduling runs after every outcome)."""
    from callcenter import cache_safely
    from campaigns.models import CallList

    key = f"kpis:best-hours:{entry.campaign_id}:{entry.call_list_id}:{timezone.localdate()}"
    cached = cache_safely.get(key)  # Redis away: dispatch still works, reading the rollups
    if cached is not None:
        return {tuple(cell) for cell in cached}
    segment_id = CallList.objects.filter(id=entry.call_list_id).values_list("segment_id", flat=True).first()
    best = best_hours(segment_id=segment_id) if segment_id else set()
    if not best:
        best = best_hours(campaign_id=entry.campaign_id)
    cache_safely.set(key, sorted(best), 24 * 3600)
    return best


def next_best_hour(*, best: set[tuple[int, int]], earliest: datetime.datetime, allowed_from, horizon_days: int = 14):
    """The first moment at or after `earliest` that `allowed_from(moment)` (the scheduler's "first
    allowed time at or after moment", or None) accepts and that falls in one of the `best` slots.
    None when no best slot is allowed within `horizon_days` (the caller keeps its own time)."""
    if not best:
        return None
    tz = timezone.get_default_timezone()
    limit = earliest + datetime.timedelta(days=horizon_days)
    moment = earliest
    for _ in range(horizon_days * 24 + 1):  # at most one try per hour of the horizon
        allowed = allowed_from(moment)
        if allowed is None or allowed > limit or allowed < moment:
            return None
        local = allowed.astimezone(tz)
        if (local.weekday(), local.hour) in best:
            return allowed
        # not a best slot: try the start of the next local hour
        moment = (local.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)).astimezone(
            datetime.UTC
        )
    return None
