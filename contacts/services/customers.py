"""Creating and changing single customers (API, admin-like edits). Bulk loads go through the
import service, which writes set-based SQL instead."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..attributes import clean_attributes
from ..models import Customer, DoNotCall, PhoneNumber
from ..phones import normalize_phone, phone_kind
from .erasure import block_erased_numbers

# Fields a caller may set directly (the call-history summary is kept by the outcome service).
EDITABLE_FIELDS = (
    "external_id",
    "name",
    "name_kana",
    "gender",
    "birth_date",
    "email",
    "postal_code",
    "prefecture",
    "address",
    "time_zone",
    "registered_at",
    "first_purchase_at",
    "last_purchase_at",
    "purchase_count",
    "total_spent",
    "subscription_status",
    "mail_open_rate",
    "last_web_visit_at",
    "tags",
    "attributes",
    "preferred_call_windows",
    "no_workplace_calls",
    "notes",
    "no_workplace_calls",
)


def _clean_phones(phones: list[dict]) -> list[dict]:
    """[{number, kind?, is_primary?}] -> normalized rows: one per number, exactly one primary
    (the first valid one marked primary, else the first valid one, else the first)."""
    rows, seen = [], set()
    for index, phone in enumerate(phones):
        raw = str(phone.get("number") or "").strip()
        number, valid = normalize_phone(raw)
        if not number:
            raise ValidationError({"phones": [_("Phone %(n)s: enter a phone number.") % {"n": index + 1}]})
        if number in seen:
            continue
        seen.add(number)
        kind = phone.get("kind") or (phone_kind(number) if valid else PhoneNumber.Kind.OTHER)
        if kind not in PhoneNumber.Kind.values:
            raise ValidationError(
                {"phones": [_("Phone %(n)s: unknown kind %(kind)s.") % {"n": index + 1, "kind": kind}]}
            )
        rows.append(
            {
                "number": number,
                "raw": raw[:64],
                "kind": kind,
                "is_valid": valid,
                "is_primary": bool(phone.get("is_primary")),
            }
        )
    primary = next((r for r in rows if r["is_primary"] and r["is_valid"]), None)
    primary = primary or next((r for r in rows if r["is_valid"]), None) or (rows[0] if rows else None)
    for row in rows:
        row["is_primary"] = row is primary
    return rows


def _replace_phones(customer: Customer, phones: list[dict], *, by=None) -> bool:
    """Whether anything changed."""
    rows = _clean_phones(phones)
    # A number erased on request (its hash is on the registry) stays blocked when it comes back.
    block_erased_numbers([row["number"] for row in rows], by=by, source=DoNotCall.Source.SUPERVISOR)
    keep = {row["number"] for row in rows}
    deleted, _by_model = customer.phones.exclude(number__in=keep).delete()
    touched = bool(deleted)
    existing = {p.number: p for p in customer.phones.all()}
    for row in rows:
        phone = existing.get(row["number"])
        if phone is None:
            PhoneNumber.objects.create(customer=customer, **row)
            touched = True
            continue
        changed = [name for name in ("kind", "is_valid", "is_primary") if getattr(phone, name) != row[name]]
        for name in changed:
            setattr(phone, name, row[name])
        if changed:
            phone.save(update_fields=changed)
            touched = True
    return touched


# Text fields an import converts (contacts/imports/converters.py): the page and the API write
# them the same way (東京 → 東京都, ﾔﾏﾀﾞ → ヤマダ, 1000001 → 100-0001), with the same messages.
IMPORT_CONVERTERS = {
    "name_kana": ("kana", 200),
    "postal_code": ("postal_code", None),
    "prefecture": ("prefecture", None),
    "email": ("email", None),
    "time_zone": ("time_zone", None),
}
MAX_TAGS = 100


def _normalized(fields: dict) -> tuple[dict, dict]:
    """(fields as an import would store them, {field: [messages]})."""
    from ..imports.converters import Invalid, converter_for

    fields = dict(fields)
    errors: dict[str, list[str]] = {}
    for name, (kind, max_length) in IMPORT_CONVERTERS.items():
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            try:
                fields[name] = converter_for(kind, max_length)[0](value.strip())
            except Invalid as error:
                errors[name] = [str(error)]
    if "tags" in fields:
        tags = [str(tag).strip() for tag in fields["tags"] or [] if str(tag).strip()]
        tags = list(dict.fromkeys(tags))
        if any(len(tag) > 50 for tag in tags):
            errors["tags"] = [_("A tag is longer than 50 characters.")]
        elif len(tags) > MAX_TAGS:
            errors["tags"] = [_("At most %(max)s tags.") % {"max": MAX_TAGS}]
        fields["tags"] = tags
    if "preferred_call_windows" in fields:
        try:
            fields["preferred_call_windows"] = clean_call_windows(fields["preferred_call_windows"])
        except ValidationError as error:
            errors["preferred_call_windows"] = error.messages
    if isinstance(fields.get("attributes"), dict):
        try:
            fields["attributes"] = clean_attributes(fields["attributes"])
        except ValidationError as error:
            errors["attributes"] = error.messages
    return fields, errors


def window_format_message() -> str:
    return _("Write each call time as weekdays and HH:MM-HH:MM, e.g. 月 火 10:00-12:00.")


def clean_call_windows(windows) -> list[dict]:
    """Preferred call times as stored: [{"weekdays": [0-6, Monday 0], "start": "HH:MM", "end":
    "HH:MM"}], start before end; an empty weekdays list means every day."""
    import datetime as dt

    if not isinstance(windows, list):
        raise ValidationError(_("A list of call times."))
    clean = []
    for window in windows:
        try:
            start = dt.time.fromisoformat(str(window["start"]))
            end = dt.time.fromisoformat(str(window["end"]))
            weekdays = sorted({int(day) for day in window.get("weekdays") or []})
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                _("Write each call time as weekdays and HH:MM-HH:MM, e.g. 月 火 10:00-12:00.")
            ) from None
        if start >= end or any(day < 0 or day > 6 for day in weekdays):
            raise ValidationError(_("A call time starts before it ends, on weekdays Monday to Sunday."))
        clean.append({"weekdays": weekdays, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    return clean


def _checked_fields(fields: dict) -> dict:
    """The fields normalized as imports do, attribute keys cleaned by the one attribute-key rule;
    ValidationError with every problem by field."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    fields, errors = _normalized(fields)
    if errors:
        raise ValidationError(errors)
    return fields


def _touch(customer: Customer) -> None:
    customer.updated_at = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(updated_at=customer.updated_at)


class ChangedMeanwhile(ValidationError):
    """The customer was saved by someone else since the editor loaded it: nothing was written."""


def create_customer(*, by, phones: list[dict] | None = None, **fields) -> Customer:
    fields = _checked_fields(fields)
    try:
        with transaction.atomic():
            customer = Customer(**fields)
            customer.full_clean(exclude=["phones"])
            customer.save()
            _replace_phones(customer, phones or [], by=by)
            record_event(actor=by, action="customer.create", target=customer, summary=f"#{customer.pk}")
    except IntegrityError:
        raise ValidationError({"external_id": [_("A customer with this customer ID already exists.")]})
    return customer


def update_customer(
    *, customer: Customer, by, phones: list[dict] | None = None, loaded_version=None, **fields
) -> Customer:
    """Change some fields and, when `phones` is given, replace the phone numbers with it. With
    `loaded_version` (the `updated_at` the editor was shown), an edit made on a customer someone
    saved since raises ChangedMeanwhile instead of overwriting their change."""
    fields = _checked_fields(fields)
    if customer.erased_at is not None:
        raise ValidationError(_("This customer was erased on request: their data cannot be edited."))
    try:
        with transaction.atomic():
            # Two edits of one customer at once (two supervisors, an API client and a page) run
            # one after the other: each replaces the phones the other left, instead of both
            # inserting the same new number. NO KEY: outcomes' attempt rows keep checking it.
            current = (
                Customer.objects.select_for_update(no_key=True)
                .filter(pk=customer.pk)
                .values_list("updated_at", flat=True)
                .first()
            )
            if loaded_version is not None and current != loaded_version:
                raise ChangedMeanwhile(
                    _(
                        "Someone saved this customer after you opened it: nothing was changed. "
                        "Reload the page to see their change, then edit again."
                    ),
                    code="changed_meanwhile",
                )
            changed = [name for name, value in fields.items() if getattr(customer, name) != value]
            for name in changed:
                setattr(customer, name, fields[name])
            if changed:
                customer.full_clean(exclude=["phones"])
                customer.save(update_fields=[*changed, "updated_at"])
            if phones is not None and _replace_phones(customer, phones, by=by) and not changed:
                _touch(customer)  # the customer's version moves with its numbers
            if changed or phones is not None:
                record_event(
                    actor=by,
                    action="customer.update",
                    target=customer,
                    summary=f"#{customer.pk}",
                    fields=changed,
                    phones_replaced=phones is not None,
                )
    except IntegrityError:
        raise ValidationError({"external_id": [_("A customer with this customer ID already exists.")]})
    return customer


# ------------------------------------------------------------------ from the console, during a call

MAX_NOTE_LENGTH = 1000


def _locked(customer: Customer) -> None:
    Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).values_list("pk").first()


@transaction.atomic
def mark_phone_wrong(*, customer: Customer, number: str, by) -> PhoneNumber:
    """The customer's number turned out wrong or dead: kept, marked invalid, never dialed again;
    another valid number becomes the primary one."""
    _locked(customer)
    phone = customer.phones.filter(number=number).first()
    if phone is None:
        raise ValidationError(_("This customer has no such number."))
    if phone.is_valid or phone.is_primary:
        phone.is_valid = False
        phone.is_primary = False
        phone.save(update_fields=["is_valid", "is_primary"])
        successor = customer.phones.filter(is_valid=True).order_by("id").first()
        if successor is not None and not customer.phones.filter(is_primary=True).exists():
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
        _touch(customer)
        record_event(
            actor=by, action="customer.phone_marked_wrong", target=customer, summary=f"#{customer.pk}", phone=phone.pk
        )
    return phone


@transaction.atomic
def add_phone(*, customer: Customer, number: str, kind: str = "", by) -> PhoneNumber:
    """A number the customer gave, normalized as everywhere; the primary one when the customer has
    no valid primary."""
    _locked(customer)
    rows = _clean_phones([{"number": number, "kind": kind}])
    row = rows[0]
    if not row["is_valid"]:
        raise ValidationError({"number": [_("This is not a phone number that can be dialed.")]})
    if customer.phones.filter(number=row["number"]).exists():
        raise ValidationError({"number": [_("The customer already has this number.")]})
    # A number erased on request (its hash is on the registry) stays blocked when it comes back.
    block_erased_numbers([row["number"]], by=by, source=DoNotCall.Source.OPERATOR)
    row["is_primary"] = not customer.phones.filter(is_primary=True, is_valid=True).exists()
    if row["is_primary"]:
        customer.phones.filter(is_primary=True).update(is_primary=False)
    phone = PhoneNumber.objects.create(customer=customer, **row)
    _touch(customer)
    record_event(actor=by, action="customer.phone_added", target=customer, summary=f"#{customer.pk}", phone=phone.pk)
    return phone


@transaction.atomic
def add_note(*, customer: Customer, text: str, by) -> Customer:
    """A dated, signed line at the end of the customer's notes."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError({"note": [_("Write the note first.")]})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [_("At most %(max)s characters.") % {"max": MAX_NOTE_LENGTH}]})
    _locked(customer)
    customer.refresh_from_db(fields=["notes"])
    author = f"{by.last_name} {by.first_name}".strip() or by.get_username()
    line = f"{timezone.localtime():%Y-%m-%d %H:%M} {author}: {text}"
    customer.notes = f"{customer.notes}\n{line}" if customer.notes else line
    customer.updated_at = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(notes=customer.notes, updated_at=customer.updated_at)
    # The note itself is on the customer (and erased with them): the trail keeps who and when.
    record_event(
        actor=by, action="customer.note_added", target=customer, summary=f"#{customer.pk}", characters=len(text)
    )
    return customer
