"""Pre-notification records: a direct mail / SMS / email notice sent to a customer before the
campaign calls them. A campaign with `prenotice_days` only calls customers whose notice is at
least that many days old (checked by the list build)."""

import csv
import datetime
import io

from django.db import connection, transaction
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from campaigns.models import PreNotice
from contacts.models import Customer

MAX_IMPORT_ROWS = 200_000


class PreNoticeImportError(Exception):
    """The file as a whole cannot be read; row problems are reported per line instead."""


@transaction.atomic
def record_prenotice(*, campaign, customer, channel: str, sent_on: datetime.date, by) -> tuple[PreNotice, bool]:
    """Record one notice by hand; recording the same notice twice keeps one row."""
    notice, created = PreNotice.objects.get_or_create(
        campaign=campaign,
        customer=customer,
        channel=channel,
        sent_on=sent_on,
        defaults={"created_by": by if by is not None and by.is_authenticated else None},
    )
    if created:
        record_event(
            actor=by,
            action="prenotice.recorded",
            target=notice,
            summary=f"{campaign.name}: {customer.external_id} {channel} {sent_on}",
            campaign=campaign.pk,
            customer=customer.pk,
        )
    return notice, created


def parse_prenotice_csv(data: bytes) -> tuple[list[tuple[str, datetime.date, str]], list[dict]]:
    """Rows (external_id, sent_on, channel) of a CSV with a header `external_id,sent_on[,channel]`
    (UTF-8, with or without BOM, or Shift_JIS); problems as [{line, message}]."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PreNoticeImportError(_("The file is neither UTF-8 nor Shift_JIS text."))
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "external_id" not in header or "sent_on" not in header:
        raise PreNoticeImportError(
            _("The first line must name the columns external_id and sent_on (channel optional).")
        )
    reader.fieldnames = header
    channels = set(PreNotice.Channel.values)
    rows, problems = [], []
    for line, record in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            raise PreNoticeImportError(_("At most %(n)s rows per file.") % {"n": MAX_IMPORT_ROWS})
        external_id = (record.get("external_id") or "").strip()
        raw_date = (record.get("sent_on") or "").strip()
        channel = (record.get("channel") or PreNotice.Channel.DM).strip().lower() or PreNotice.Channel.DM
        if not external_id:
            problems.append({"line": line, "message": _("external_id is empty")})
            continue
        try:
            sent_on = datetime.date.fromisoformat(raw_date.replace("/", "-"))
        except ValueError:
            problems.append(
                {"line": line, "message": _("sent_on %(value)s is not a date (YYYY-MM-DD)") % {"value": raw_date}}
            )
            continue
        if channel not in channels:
            problems.append(
                {"line": line, "message": _("channel %(value)s is not one of dm, sms, email") % {"value": channel}}
            )
            continue
        rows.append((external_id, sent_on, channel))
    return rows, problems


@transaction.atomic
def import_prenotices(*, campaign, rows: list[tuple[str, datetime.date, str]], by) -> dict:
    """Record many notices at once (one INSERT … SELECT over the rows); rows naming an unknown
    customer are reported, already recorded ones are skipped. Returns {created, duplicates,
    unknown: [external ids]}."""
    if not rows:
        return {"created": 0, "duplicates": 0, "unknown": []}
    external_ids = [r[0] for r in rows]
    dates = [r[1] for r in rows]
    channels = [r[2] for r in rows]
    created_by = by.pk if by is not None and by.is_authenticated else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH incoming AS (
                SELECT * FROM unnest(%s::text[], %s::date[], %s::text[]) AS r(external_id, sent_on, channel)
            ), inserted AS (
                INSERT INTO {PreNotice._meta.db_table} (customer_id, campaign_id, channel, sent_on, created_by_id,
                    created_at)
                SELECT DISTINCT c.id, %s, r.channel, r.sent_on, %s::bigint, now()
                FROM incoming r JOIN {Customer._meta.db_table} c ON c.external_id = r.external_id
                ON CONFLICT (customer_id, campaign_id, channel, sent_on) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted),
                   ARRAY(SELECT DISTINCT r.external_id FROM incoming r
                         WHERE NOT EXISTS (SELECT 1 FROM {Customer._meta.db_table} c WHERE c.external_id =
                         r.external_id)
                         ORDER BY 1)
            """,
            [external_ids, dates, channels, campaign.pk, created_by],
        )
        created, unknown = cursor.fetchone()
    unknown_ids = set(unknown)
    known_rows = len({r for r in rows if r[0] not in unknown_ids})
    result = {"created": created, "duplicates": known_rows - created, "unknown": list(unknown)}
    record_event(
        actor=by,
        action="prenotice.imported",
        target=campaign,
        summary=f"{campaign.name}: {created} notices",
        created=created,
        duplicates=result["duplicates"],
        unknown=len(unknown),
    )
    return result
