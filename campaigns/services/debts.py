"""The debts a collections campaign collects, and promises to pay (支払約束).

A debt is one customer's amount due in one campaign (imported from a CSV or sent through the API).
An outcome with `is_promise_to_pay` records the promised date and amount on the attempt and opens
the promise on the debt: the customer's entries in that campaign are not called again before the
day after the promised date (in the customer's local time), unless a supervisor or an import marks
the promise broken (calls resume at once) or paid (the customer's open entries close).

The rule is written once as SQL (`promise_rests_sql`), read by dispatch's hold UPDATE, and once
as a moment (`promise_rest_until`), read by the retry scheduler so retries land after the rest.
"""

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from contacts.models import Customer

from ..models import CallListEntry, Debt

MAX_IMPORT_ROWS = 200_000
MAX_AMOUNT = Decimal("999999999999")
# How far ahead a promised date may lie: a promise further out is a payment plan, not a promise.
MAX_PROMISE_DAYS = 92

Status = CallListEntry.Status


class DebtImportError(Exception):
    """The file as a whole cannot be read; row problems are reported per line instead."""


def promise_rests_sql(*, campaign: str, customer: str, now: str, time_zone: str) -> str:
    """SQL: true while the customer's open promise to pay in the campaign still rests their
    entries, i.e. until the end of the promised date in the customer's local time."""
    return (
        "EXISTS (SELECT 1 FROM campaigns_debt promise_d WHERE promise_d.campaign_id = "
        f"{campaign} AND promise_d.customer_id = {customer} AND promise_d.promise_status = 'open'"
        f" AND promise_d.promised_on >= ({now} AT TIME ZONE {time_zone})::date)"
    )


def promise_rest_until(*, campaign_id: int, customer) -> dt.datetime | None:
    """The first moment the customer may be called again in the campaign after an open promise
    (local midnight after the promised date), None without an open promise."""
    promised_on = (
        Debt.objects.filter(campaign_id=campaign_id, customer_id=customer.pk, promise_status=Debt.Promise.OPEN)
        .values_list("promised_on", flat=True)
        .first()
    )
    return rest_after(promised_on, customer.time_zone) if promised_on else None


def rest_after(promised_on: dt.date, zone_name: str) -> dt.datetime | None:
    """Local midnight after the promised date, in the customer's zone (None: unknown zone)."""
    from .scheduling import zone

    tz = zone(zone_name)
    if tz is None:
        return None
    return dt.datetime.combine(promised_on + dt.timedelta(days=1), dt.time(0)).replace(tzinfo=tz)


def promise_problems(*, entry, promised_on, promised_amount, now) -> dict[str, list[str]]:
    """Why a promise to pay cannot be recorded on this call ({field: [messages]})."""
    from .scheduling import zone

    problems: dict[str, list[str]] = {}
    if not Debt.objects.filter(campaign_id=entry.campaign_id, customer_id=entry.customer_id).exists():
        problems.setdefault("promised_on", []).append(
            _("No debt is recorded for this customer in this campaign: a promise to pay cannot be logged.")
        )
        return problems
    tz = zone(entry.customer.time_zone)
    today = now.astimezone(tz).date() if tz is not None else now.date()
    if promised_on is None:
        problems.setdefault("promised_on", []).append(_("Enter the date the customer promised to pay."))
    elif promised_on < today:
        problems.setdefault("promised_on", []).append(_("The promised date cannot be in the past."))
    elif promised_on > today + dt.timedelta(days=MAX_PROMISE_DAYS):
        problems.setdefault("promised_on", []).append(
            _("The promised date is more than %(n)s days away.") % {"n": MAX_PROMISE_DAYS}
        )
    if promised_amount is None:
        problems.setdefault("promised_amount", []).append(_("Enter the amount the customer promised to pay."))
    elif promised_amount <= 0 or promised_amount > MAX_AMOUNT:
        problems.setdefault("promised_amount", []).append(_("The promised amount must be more than 0."))
    return problems


def open_promise(*, attempt) -> None:
    """Record the promise made on `attempt` on the customer's debt (inside the outcome's
    transaction, after the attempt row exists)."""
    Debt.objects.filter(campaign_id=attempt.campaign_id, customer_id=attempt.customer_id).update(
        promise_status=Debt.Promise.OPEN,
        promised_on=attempt.promised_on,
        promised_amount=attempt.promised_amount,
        promise_attempt_id=attempt.pk,
        promise_resolved_at=None,
        promise_resolved_by=None,
        updated_at=timezone.now(),
    )


@transaction.atomic
def resolve_promise(*, debt, status: str, by, now=None) -> Debt:
    """A supervisor (or an import) marks the open promise paid or broken. Paid closes the
    customer's open entries in the campaign; broken makes them callable again at once (every
    other rule still applies at dispatch, and the retry scheduler recomputes their time)."""
    now = now or timezone.now()
    if status not in (Debt.Promise.PAID, Debt.Promise.BROKEN):
        raise ValueError(status)
    debt = Debt.objects.select_for_update().get(pk=debt.pk)
    previous = debt.promise_status
    debt.promise_status = status
    debt.promise_resolved_at = now
    debt.promise_resolved_by = by if by is not None and getattr(by, "is_authenticated", False) else None
    debt.save(update_fields=["promise_status", "promise_resolved_at", "promise_resolved_by", "updated_at"])
    _apply_resolution(campaign_id=debt.campaign_id, customer_ids=[debt.customer_id], status=status, now=now)
    record_event(
        actor=by,
        action="debt.promise_resolved",
        target=debt,
        summary=f"{debt.account_reference or debt.customer_id}: {previous or '-'} -> {status}",
        campaign=debt.campaign_id,
        status=status,
    )
    return debt


def _apply_resolution(*, campaign_id: int, customer_ids: list[int], status: str, now) -> None:
    entries = CallListEntry.objects.filter(
        campaign_id=campaign_id, customer_id__in=customer_ids, status__in=[Status.PENDING, Status.CALLBACK]
    )
    if status == Debt.Promise.PAID:
        entries.update(status=Status.DONE, next_attempt_at=None, callback_at=None, updated_at=now)
        return
    ids = list(entries.filter(status=Status.PENDING).values_list("pk", flat=True))
    if ids:
        # Callable again from now: the scheduler puts each at the first moment the other rules allow.
        CallListEntry.objects.filter(pk__in=ids).update(next_attempt_at=now, updated_at=now)
        from ..tasks.console import schedule_entry_retry

        for entry_id in ids:
            transaction.on_commit(lambda entry_id=entry_id: schedule_entry_retry.delay(entry_id), robust=True)


@transaction.atomic
def save_debt(*, campaign, customer, amount_due, due_on=None, account_reference="", by) -> tuple[Debt, bool]:
    """Create or update the customer's debt in the campaign (the promise is left as it is)."""
    debt, created = Debt.objects.update_or_create(
        campaign=campaign,
        customer=customer,
        defaults={"amount_due": amount_due, "due_on": due_on, "account_reference": account_reference or ""},
    )
    record_event(
        actor=by,
        action="debt.saved",
        target=debt,
        summary=f"{campaign.name}: {customer.external_id} {amount_due}",
        campaign=campaign.pk,
        created=created,
    )
    return debt, created


def parse_debt_csv(data: bytes) -> tuple[list[dict], list[dict]]:
    """Rows of a CSV with the header `external_id,amount_due[,due_on][,account_reference][,promise]`
    (UTF-8, with or without BOM, or Shift_JIS); `promise` is empty, `paid` or `broken`. Problems
    as [{line, message}]."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DebtImportError(_("The file is neither UTF-8 nor Shift_JIS text."))
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "external_id" not in header or "amount_due" not in header:
        raise DebtImportError(
            _(
                "The first line must name the columns external_id and amount_due "
                "(due_on, account_reference and promise optional)."
            )
        )
    reader.fieldnames = header
    rows, problems = [], []
    for line, record in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            raise DebtImportError(_("At most %(n)s rows per file.") % {"n": MAX_IMPORT_ROWS})
        external_id = (record.get("external_id") or "").strip()
        raw_amount = (record.get("amount_due") or "").strip().replace(",", "").lstrip("¥")
        raw_date = (record.get("due_on") or "").strip()
        reference = (record.get("account_reference") or "").strip()
        promise = (record.get("promise") or "").strip().lower()
        if not external_id:
            problems.append({"line": line, "message": _("external_id is empty")})
            continue
        try:
            amount = Decimal(raw_amount)
            if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.to_integral_value():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(
                {
                    "line": line,
                    "message": _("amount_due %(value)s is not a whole amount in yen") % {"value": raw_amount},
                }
            )
            continue
        due_on = None
        if raw_date:
            try:
                due_on = dt.date.fromisoformat(raw_date.replace("/", "-"))
            except ValueError:
                problems.append(
                    {"line": line, "message": _("due_on %(value)s is not a date (YYYY-MM-DD)") % {"value": raw_date}}
                )
                continue
        if len(reference) > 64:
            problems.append({"line": line, "message": _("account_reference is longer than 64 characters")})
            continue
        if promise not in ("", Debt.Promise.PAID, Debt.Promise.BROKEN):
            problems.append(
                {"line": line, "message": _("promise %(value)s is not one of paid, broken") % {"value": promise}}
            )
            continue
        rows.append(
            {
                "external_id": external_id,
                "amount_due": amount,
                "due_on": due_on,
                "reference": reference,
                "promise": promise,
            }
        )
    return rows, problems


@transaction.atomic
def import_debts(*, campaign, rows: list[dict], by, now=None) -> dict:
    """Create or update many debts at once (one INSERT … ON CONFLICT over the rows); a `promise`
    of paid or broken resolves an open promise as resolve_promise does. Returns {saved, resolved,
    unknown: [external ids]}."""
    now = now or timezone.now()
    if not rows:
        return {"saved": 0, "resolved": 0, "unknown": []}
    latest = {row["external_id"]: row for row in rows}  # the last line of a customer wins
    rows = list(latest.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH incoming AS (
                SELECT * FROM unnest(%s::text[], %s::numeric[], %s::date[], %s::text[])
                    AS r(external_id, amount_due, due_on, reference)
            ), saved AS (
                INSERT INTO {Debt._meta.db_table} (campaign_id, customer_id, amount_due, due_on, account_reference,
                    promise_status, created_at, updated_at)
                SELECT %s, c.id, r.amount_due, r.due_on, r.reference, '', %s, %s
                FROM incoming r JOIN {Customer._meta.db_table} c ON c.external_id = r.external_id
                ON CONFLICT (campaign_id, customer_id) DO UPDATE SET amount_due = EXCLUDED.amount_due,
                    due_on = EXCLUDED.due_on, account_reference = EXCLUDED.account_reference,
                    updated_at = EXCLUDED.updated_at
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM saved),
                   ARRAY(SELECT DISTINCT r.external_id FROM incoming r
                         WHERE NOT EXISTS (SELECT 1 FROM {Customer._meta.db_table} c WHERE c.external_id =
                         r.external_id) ORDER BY 1)
            """,
            [
                [r["external_id"] for r in rows],
                [r["amount_due"] for r in rows],
                [r["due_on"] for r in rows],
                [r["reference"] for r in rows],
                campaign.pk,
                now,
                now,
            ],
        )
        saved, unknown = cursor.fetchone()
    resolved = 0
    for status in (Debt.Promise.PAID, Debt.Promise.BROKEN):
        external_ids = [r["external_id"] for r in rows if r["promise"] == status]
        if not external_ids:
            continue
        open_debts = Debt.objects.filter(
            campaign=campaign, customer__external_id__in=external_ids, promise_status=Debt.Promise.OPEN
        )
        customer_ids = list(open_debts.values_list("customer_id", flat=True))
        resolved += open_debts.update(
            promise_status=status,
            promise_resolved_at=now,
            promise_resolved_by=by if by is not None and getattr(by, "is_authenticated", False) else None,
            updated_at=now,
        )
        _apply_resolution(campaign_id=campaign.pk, customer_ids=customer_ids, status=status, now=now)
    result = {"saved": saved, "resolved": resolved, "unknown": list(unknown)}
    record_event(
        actor=by,
        action="debt.imported",
        target=campaign,
        summary=f"{campaign.name}: {saved} debts, {resolved} promises resolved",
        saved=saved,
        resolved=resolved,
        unknown=len(unknown),
    )
    return result
