"""Reading the audit trail: filters, keyset pages (the trail grows by millions of rows: OFFSET
would read every skipped row, a keyset page reads 50 from the index) and the CSV export."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from .csv_files import BOM, line_writer, safe_row
from .models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # username, exact
    action: str = ""  # code or prefix ("dnc." for every do-not-call action)
    object_type: str = ""  # "app.model"
    object_id: str = ""
    date_from: dt.date | None = None  # local days, inclusive
    date_to: dt.date | None = None

    def as_params(self) -> dict:
        return {key: str(value) for key, value in self.__dict__.items() if value not in ("", None)}


def events_matching(audit_filter: AuditFilter):
    events = AuditEvent.objects.select_related("actor")
    if audit_filter.actor:
        events = events.filter(actor__username=audit_filter.actor)
    if audit_filter.action:
        events = events.filter(action__startswith=audit_filter.action)
    if audit_filter.object_type:
        events = events.filter(object_type=audit_filter.object_type)
    if audit_filter.object_id:
        events = events.filter(object_id=audit_filter.object_id)
    if audit_filter.date_from:
        events = events.filter(created_at__gte=_day_start(audit_filter.date_from))
    if audit_filter.date_to:
        events = events.filter(created_at__lt=_day_start(audit_filter.date_to + dt.timedelta(days=1)))
    return events


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@dataclass(frozen=True)
class KeysetPage:
    events: list
    older: str | None  # cursor of the next (older) page, None on the last one
    newer: str | None  # cursor of the previous (newer) page, None on the first one


def cursor_of(event) -> str:
    return f"{event.created_at.isoformat()}~{event.pk}"


def parse_cursor(text: str):
    """(created_at, id) of a cursor, or None for anything else (a hand-edited URL starts over)."""
    moment, _, pk = (text or "").partition("~")
    try:
        when = dt.datetime.fromisoformat(moment)
        number = int(pk)
    except ValueError:
        return None
    if when.tzinfo is None or not 0 < number < 2**63:
        return None
    return when, number


def keyset_page(events, *, before: str = "", after: str = "", size: int = PAGE_SIZE) -> KeysetPage:
    """Newest first. `before`: the page after that cursor (older rows); `after`: the page before
    it (newer rows). One index range scan of (created_at, id) either way."""
    older_than, newer_than = parse_cursor(before), parse_cursor(after)
    if newer_than:
        when, pk = newer_than
        rows = list(
            events.filter(Q(created_at__gt=when) | Q(created_at=when, id__gt=pk)).order_by("created_at", "id")[
                : size + 1
            ]
        )
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = True
    else:
        if older_than:
            when, pk = older_than
            events = events.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))
        rows = list(events.order_by("-created_at", "-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = older_than is not None
    return KeysetPage(
        events=rows,
        older=cursor_of(rows[-1]) if rows and has_older else None,
        newer=cursor_of(rows[0]) if rows and has_newer else None,
    )


def csv_lines(events, *, labels):
    """The export, streamed (BOM first, formula-safe cells)."""
    from django.utils.translation import gettext as _

    writer = line_writer()
    yield BOM + writer.writerow(
        [_("When"), _("Who"), _("Action"), _("Code"), _("Object"), _("Object id"), _("Summary")]
    )
    for event in events.order_by("-created_at", "-id").iterator(chunk_size=2000):
        yield writer.writerow(
            safe_row(
                [
                    timezone.localtime(event.created_at).isoformat(timespec="seconds"),
                    event.actor.username if event.actor else "",
                    labels(event.action),
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.summary,
                ]
            )
        )
