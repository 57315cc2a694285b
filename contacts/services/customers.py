"""Creating and changing single customers (API, admin-like edits). Bulk loads go through the
import service, which writes set-based SQL instead."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..attributes import clean_attributes
from ..models import Customer, PhoneNumber
from ..phones import normalize_phone, phone_kind

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
    "notes",
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


def _replace_phones(customer: Customer, phones: list[dict]) -> None:
    rows = _clean_phones(phones)
    keep = {row["number"] for row in rows}
    customer.phones.exclude(number__in=keep).delete()
    existing = {p.number: p for p in customer.phones.all()}
    for row in rows:
        phone = existing.get(row["number"])
        if phone is None:
            PhoneNumber.objects.create(customer=customer, **row)
            continue
        changed = [name for name in ("kind", "is_valid", "is_primary") if getattr(phone, name) != row[name]]
        for name in changed:
            setattr(phone, name, row[name])
        if changed:
            phone.save(update_fields=changed)


def _checked_fields(fields: dict) -> dict:
    """The fields with attribute keys cleaned by the one attribute-key rule."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if isinstance(fields.get("attributes"), dict):
        try:
            fields = {**fields, "attributes": clean_attributes(fields["attributes"])}
        except ValidationError as error:
            raise ValidationError({"attributes": error.messages}) from None
    return fields


def create_customer(*, by, phones: list[dict] | None = None, **fields) -> Customer:
    fields = _checked_fields(fields)
    try:
        with transaction.atomic():
            customer = Customer(**fields)
            customer.full_clean(exclude=["phones"])
            customer.save()
            _replace_phones(customer, phones or [])
            record_event(actor=by, action="customer.create", target=customer, summary=str(customer))
    except IntegrityError:
        raise ValidationError({"external_id": [_("A customer with this customer ID already exists.")]})
    return customer


def update_customer(*, customer: Customer, by, phones: list[dict] | None = None, **fields) -> Customer:
    """Change some fields and, when `phones` is given, replace the phone numbers with it."""
    fields = _checked_fields(fields)
    try:
        with transaction.atomic():
            # Two edits of one customer at once (two supervisors, an API client and a page) run
            # one after the other: each replaces the phones the other left, instead of both
            # inserting the same new number. NO KEY: outcomes' attempt rows keep checking it.
            Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).values_list("pk").first()
            changed = [name for name, value in fields.items() if getattr(customer, name) != value]
            for name in changed:
                setattr(customer, name, fields[name])
            if changed:
                customer.full_clean(exclude=["phones"])
                customer.save(update_fields=[*changed, "updated_at"])
            if phones is not None:
                _replace_phones(customer, phones)
            if changed or phones is not None:
                record_event(
                    actor=by,
                    action="customer.update",
                    target=customer,
                    summary=str(customer),
                    fields=changed,
                    phones_replaced=phones is not None,
                )
    except IntegrityError:
        raise ValidationError({"external_id": [_("A customer with this customer ID already exists.")]})
    return customer
