"""Deletion requests (個人情報保護法: 利用停止・消去): a supervisor erases a customer's personal data.

What `erase_customer` does, in one transaction (the history guards are opened for it with
`history_change`, the reason naming the customer):
- clears the name, kana, e-mail, address (postal code, prefecture, address), birth date, gender,
  tags, notes, attributes and preferred call times; the customer ID becomes a keyed hash, so a
  later import with the same ID makes a new customer;
- replaces each phone number by its keyed hash (`number_hash`: "#" and 31 hex digits of an
  HMAC-SHA256 under settings.ERASURE_HASH_KEY), everywhere it is stored: the customer's numbers,
  the do-not-call entries about the customer or about one of their numbers alone (their notes
  emptied), and through `customer_erased` the campaigns' data (attempts keep their times and
  outcomes for the KPIs, their numbers become hashes and their notes and script answers are
  cleared; open entries are blocked; appointments lose notes and place; debts' account
  references become hashes);
- registers a global do-not-call entry for each hashed number and one for the customer, so the
  person is never called again;
- keeps a plain-number entry for a number another customer still has (a household's line: the
  opt-out stays on the number itself);
- replaces the person's values in import error reports and, through the one rewrite the audit
  trail allows (callcenter.audit.redact_events), in the audit events about the customer and the
  objects the apps name them under; that rewrite is audited (`audit.redacted`);
- records `customer.erased` in the audit trail (who, when, why; no personal data);
- once committed, queues the removal of the customer's rows from the kept files of past imports
  (contacts.services.upload_erasure).

The hash is compared where a number enters the database (`block_erased_numbers`: imports, the
customer form and API, the console, any other save of a phone row through contacts.signals) and
in `dnc.blocking_entries`: a number whose hash carries an active entry gets a plain do-not-call
entry of its own there, so every later check (list builds, dispatch) blocks it with the
registry's ordinary rule.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import REDACTED, record_event, redact_events
from callcenter.history import history_change

from ..locks import lock_erased_numbers
from ..models import Customer, DoNotCall, ImportRowError, PhoneNumber
from ..phones import format_national

HASH_PREFIX = "#"
ERASURE_NOTE = "Deletion request: the customer's personal data was erased; never call this number again."
REIMPORT_NOTE = "The number of a customer erased on request, imported again: never call it."

# Sent inside the erasure's transaction so the apps above contacts erase what they hold about the
# customer: sender=Customer, customer_id, hash (the number_hash function), by.
customer_erased = Signal()


def number_hash(number: str) -> str:
    """The keyed hash that stands for an erased number (fits the 32 characters of a number column;
    "#" is never the start of a normalized number)."""
    digest = hmac.new(settings.ERASURE_HASH_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest[:31]


def is_hashed(number: str) -> bool:
    return number.startswith(HASH_PREFIX)


def _active(at):
    return DoNotCall.objects.filter(revoked_at__isnull=True).exclude(expires_at__lte=at)


def _number_forms(number: str, raws) -> set[str]:
    """The ways a number may have been written down in the audit trail or an import's error
    report: as stored (E.164), as shown (090-1234-5678), its national digits, as typed."""
    national = format_national(number)
    return {number, national, "".join(ch for ch in national if ch.isdigit()), *[raw for raw in raws if raw]}


def _personal_values(customer, phones, numbers) -> dict[str, str]:
    """What to look for in the audit trail and the import error reports, and what replaces it: a
    number (in each of its forms) by its hash, the customer ID by its hash, anything else by a
    placeholder."""
    replacements = {}
    for value in (customer.name, customer.name_kana, customer.email, customer.address, customer.postal_code):
        if value:
            replacements[value] = REDACTED
    for value in (customer.attributes or {}).values():
        if isinstance(value, str) and value:
            replacements[value] = REDACTED
    replacements[customer.external_id] = number_hash(f"external-id:{customer.external_id}")
    raws = {}
    for phone in phones:
        raws.setdefault(phone.number, set()).add(phone.raw)
    for number in numbers:
        for form in _number_forms(number, raws.get(number, ())):
            replacements[form] = number_hash(number)
    return replacements


def erase_customer(*, customer, by, reason: str) -> Customer:
    """Erase the customer's personal data (see the module docstring). Raises ValidationError when
    no reason is given or the customer was erased already."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the customer is erased (e.g. the request's reference).")]})
    now = timezone.now()
    with history_change(f"personal-data erasure of customer {customer.pk}"):
        with connection.cursor() as cursor:
            # Numbers being stored meanwhile commit first and are seen below (`shared`), or are
            # checked after this commits (contacts/locks.py).
            lock_erased_numbers(cursor, shared=False)
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at is not None:
            raise ValidationError(_("This customer was erased already."))
        phones = list(customer.phones.all())
        numbers = {p.number for p in phones if p.number and not is_hashed(p.number)}
        numbers |= set(
            DoNotCall.objects.filter(customer=customer)
            .exclude(phone_number="")
            .exclude(phone_number__startswith=HASH_PREFIX)
            .order_by()
            .values_list("phone_number", flat=True)
        )
        shared = set(
            PhoneNumber.objects.filter(number__in=numbers).exclude(customer=customer).values_list("number", flat=True)
        )
        replacements = _personal_values(customer, phones, numbers)
        for phone in phones:
            if not is_hashed(phone.number):
                PhoneNumber.objects.filter(pk=phone.pk).update(
                    number=number_hash(phone.number), raw="", is_valid=False, is_primary=phone.is_primary
                )
        # The customer's entries, and the entries of a number alone that nobody else has: the
        # number is the erased person's (a household's shared line keeps its entry as it is).
        about_person = Q(customer=customer) | Q(customer__isnull=True, phone_number__in=numbers - shared)
        dnc_ids = set(DoNotCall.objects.filter(about_person).values_list("pk", flat=True))
        for entry in DoNotCall.objects.filter(pk__in=dnc_ids).exclude(phone_number=""):
            if not is_hashed(entry.phone_number):
                DoNotCall.objects.filter(pk=entry.pk).update(phone_number=number_hash(entry.phone_number))
        DoNotCall.objects.filter(pk__in=dnc_ids).exclude(note="").exclude(note=ERASURE_NOTE).update(note=REDACTED)
        active = _active(now)
        for number in sorted(numbers):
            hashed = number_hash(number)
            if not active.filter(phone_number=hashed, campaign__isnull=True).exists():
                DoNotCall.objects.create(
                    phone_number=hashed,
                    customer=customer,
                    reason=DoNotCall.Reason.CUSTOMER_REQUEST,
                    source=DoNotCall.Source.SUPERVISOR,
                    note=ERASURE_NOTE,
                    created_by=by,
                    created_at=now,
                )
            if number in shared and not active.filter(phone_number=number, campaign__isnull=True).exists():
                DoNotCall.objects.create(
                    phone_number=number,
                    reason=DoNotCall.Reason.CUSTOMER_REQUEST,
                    source=DoNotCall.Source.SUPERVISOR,
                    note=ERASURE_NOTE,
                    created_by=by,
                    created_at=now,
                )
        if not active.filter(customer=customer, phone_number="", campaign__isnull=True).exists():
            DoNotCall.objects.create(
                customer=customer,
                reason=DoNotCall.Reason.CUSTOMER_REQUEST,
                source=DoNotCall.Source.SUPERVISOR,
                note=ERASURE_NOTE,
                created_by=by,
                created_at=now,
            )
        Customer.objects.filter(pk=customer.pk).update(
            external_id=number_hash(f"external-id:{customer.external_id}"),
            name="",
            name_kana="",
            gender="",
            birth_date=None,
            email="",
            postal_code="",
            prefecture="",
            address="",
            tags=[],
            attributes={},
            preferred_call_windows=[],
            notes="",
            erased_at=now,
            updated_at=now,
        )
        # The apps above contacts erase what they hold and say which of their objects the audit
        # trail may name the person under, and what else stands for them (an account reference).
        targets = {Customer._meta.label_lower: {customer.pk}, DoNotCall._meta.label_lower: dnc_ids}
        for _receiver, held in customer_erased.send(sender=Customer, customer_id=customer.pk, hash=number_hash, by=by):
            for object_type, ids in (held or {}).get("targets", {}).items():
                targets.setdefault(object_type, set()).update(ids)
            replacements.update((held or {}).get("replacements", {}))
        # An import's error report keeps the failed cells as they were typed (contacts.ImportRowError).
        _redact_import_errors(replacements)
        redacted = redact_events(
            targets=targets,
            replacements=replacements,
            marker=f"erasure of customer {customer.pk}",
            by=by,
            about=(Customer._meta.label_lower, customer.pk),
        )
        record_event(
            actor=by,
            action="customer.erased",
            target=customer,
            summary=f"#{customer.pk}",
            reason=reason,
            numbers=len(numbers),
            audit_events_redacted=redacted,
        )
        # The kept files of past imports are rewritten once the erasure can no longer roll back.
        from ..tasks.imports import erase_from_kept_uploads

        erased_id = customer.pk
        transaction.on_commit(lambda: erase_from_kept_uploads.delay(erased_id))
    customer.refresh_from_db()
    return customer


def _redact_import_errors(replacements: dict[str, str]) -> int:
    """Error-report cells equal to one of the erased values (the md5 index of the cells finds them
    without reading the reports), replaced as in the audit trail."""
    pairs = sorted((old, new) for old, new in replacements.items() if old)
    if not pairs:
        return 0
    olds, news = [old for old, _new in pairs], [new for _old, new in pairs]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ImportRowError._meta.db_table} e SET value = r.new"
            " FROM unnest(%s::text[], %s::text[]) AS r(old, new)"
            " WHERE md5(e.value) = ANY(%s::text[]) AND e.value = r.old",
            [olds, news, [hashlib.md5(old.encode()).hexdigest() for old in olds]],
        )
        return cursor.rowcount


def block_erased_numbers(numbers, *, by=None, source=DoNotCall.Source.IMPORT) -> int:
    """Numbers entering the database (normalized): each one whose hash carries an active global
    do-not-call entry (an erased customer's) gets a plain global entry, so every later check blocks
    it. Returns how many entries were added. One probe of the registry's number index with the
    numbers' hashes (the hashes are computed here: the key never reaches the database)."""
    by_hash = {number_hash(n): n for n in {str(n) for n in numbers if n} if not is_hashed(n)}
    if not by_hash:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            lock_erased_numbers(cursor, shared=True)  # an erasure in flight is waited for (contacts/locks.py)
        return _register_erased_numbers(by_hash, by=by, source=source)


def _register_erased_numbers(by_hash: dict[str, str], *, by, source) -> int:
    now = timezone.now()
    hashed_entries = _active(now).filter(campaign__isnull=True)
    matched = {
        by_hash[h] for h in hashed_entries.filter(phone_number__in=list(by_hash)).values_list("phone_number", flat=True)
    }
    if not matched:
        return 0
    already = set(
        _active(now).filter(phone_number__in=matched, campaign__isnull=True).values_list("phone_number", flat=True)
    )
    added = 0
    with transaction.atomic():
        for number in sorted(matched - already):
            entry = DoNotCall.objects.create(
                phone_number=number,
                reason=DoNotCall.Reason.CUSTOMER_REQUEST,
                source=source,
                note=REIMPORT_NOTE,
                created_by=by,
                created_at=now,
            )
            # No number in the event: the entry's id is enough.
            record_event(actor=by, action="dnc.create", target=entry, summary=REIMPORT_NOTE, source=source, erased=True)
            added += 1
    return added
