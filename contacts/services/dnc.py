"""The do-not-call rule, in one place. Every other part (list build, dispatch, console, API)
asks `is_blocked` for one customer/number, filters querysets with `blocked_customers` (the set
of blocked customer ids; `BLOCKED_CUSTOMERS_SQL` in raw SQL: list builds), or embeds
`ACTIVE_DNC_SQL` in its own SQL (dispatch).

The rule, at a moment `at` and for a campaign (entries that are neither revoked nor expired,
global or for that campaign):
- an entry for a number blocks that number and every customer who has it;
- an entry for a customer blocks the customer and all of their numbers, so also any other
  customer sharing one of those numbers (a family's landline reaches the person who opted out).
Global entries (campaign NULL) apply to every campaign; campaign entries only to theirs."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..locks import lock_dnc_request, lock_registry_for_one_entry
from ..models import DoNotCall, PhoneNumber
from ..phones import normalize_phone


def active_entries(at=None):
    at = at or timezone.now()
    return DoNotCall.objects.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


def _in_scope(campaign_id) -> Q:
    scope = Q(campaign__isnull=True)
    if campaign_id:
        scope |= Q(campaign_id=campaign_id)
    return scope


def blocking_entries(*, phone: str | None = None, customer=None, campaign=None, at=None):
    """Active entries in scope that block calling `phone` and/or `customer` for `campaign`
    (`phone` in E.164, as stored)."""
    customer_id = getattr(customer, "pk", customer)
    campaign_id = getattr(campaign, "pk", campaign)
    # The numbers concerned (the one given and all of the customer's) and everyone who has one
    # of them. Two small index reads first, so the registry is then read through its indexes
    # (one query with nested subqueries makes PostgreSQL scan the whole registry).
    numbers_q = Q(pk__in=[])
    if phone:
        numbers_q |= Q(number=phone)
    if customer_id:
        numbers_q |= Q(customer_id=customer_id)
    numbers = set(PhoneNumber.objects.filter(numbers_q).values_list("number", flat=True))
    owners = (
        set(PhoneNumber.objects.filter(number__in=numbers).values_list("customer_id", flat=True)) if numbers else set()
    )
    if phone:
        numbers.add(phone)  # a number nobody in the database has (yet)
    if customer_id:
        owners.add(customer_id)
    # An erased customer's opt-out is stored under the hash of the number (contacts.services.erasure).
    from .erasure import is_hashed, number_hash

    numbers |= {number_hash(number) for number in numbers if not is_hashed(number)}
    match = Q(phone_number__in=numbers) | Q(customer_id__in=owners)
    return active_entries(at).filter(_in_scope(campaign_id)).filter(match)


def is_blocked(*, phone: str | None = None, customer=None, campaign=None, at=None) -> bool:
    return blocking_entries(phone=phone, customer=customer, campaign=campaign, at=at).exists()


def blocked_customers(*, campaign=None, at=None) -> RawSQL:
    """Ids of every blocked customer, as an uncorrelated subquery: usable as
    `.filter(pk__in=blocked_customers())`; PostgreSQL computes the set once per query."""
    campaign_id = getattr(campaign, "pk", campaign)
    sql = BLOCKED_CUSTOMERS_SQL.format(at="%s", campaign="%s")
    # Placeholders come in (at, campaign) pairs, one pair per branch of the UNION.
    return RawSQL(sql, [at or timezone.now(), campaign_id] * (sql.count("%s") // 2))


# The badge's plan: index probes by key (nested loops), in the order written (the customer's
# numbers, their other holders, the registry), whatever the statistics say. Without any (tables
# loaded and not analyzed yet) the planner started from a registry it believed to hold one row and
# scanned the phone table for each of its rows, for each customer of the page: 14 minutes for 50
# customers among 300,000, against 0.7 s with these settings (6 ms with fresh statistics).
PROBE_PLAN = {"join_collapse_limit": "1", "enable_seqscan": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"}
PROBE_PLAN_SQL = "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in PROBE_PLAN.items())


def blocked_customer_ids(customer_ids, *, campaign=None, at=None) -> set[int]:
    """Which of these customers are blocked: a handful of index probes per customer, for pages
    that show a DNC badge on a page of rows (cheaper than computing the whole blocked set)."""
    customer_ids = [int(pk) for pk in customer_ids]
    if not customer_ids:
        return set()
    condition = ACTIVE_DNC_SQL.format(at="%(at)s", campaign="%(campaign)s", customer="c.id", phone="NULL")
    with transaction.atomic(), connection.cursor() as cursor:
        # The settings last until the end of the transaction, which may be a caller's: put back
        # what they were once the probe ran.
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in PROBE_PLAN))
        before = dict(zip(PROBE_PLAN, cursor.fetchone(), strict=True))
        cursor.execute(PROBE_PLAN_SQL)
        cursor.execute(
            f"SELECT c.id FROM unnest(%(ids)s::bigint[]) AS c(id) WHERE {condition}",
            {"ids": customer_ids, "at": at or timezone.now(), "campaign": getattr(campaign, "pk", campaign)},
        )
        blocked = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in before),
            [v for pair in before.items() for v in pair],
        )
        return blocked


_ACTIVE = (
    "d.revoked_at IS NULL AND (d.expires_at IS NULL OR d.expires_at > {at})"
    " AND (d.campaign_id IS NULL OR d.campaign_id = {campaign})"
)

# For raw SQL (list build, dispatch): true when customer {customer} / number {phone} is blocked
# for campaign {campaign} at {at}; callers substitute their own SQL expressions (str.format).
# One parenthesized expression, so "NOT " + ACTIVE_DNC_SQL works. Written as separate index
# probes (dnc_active_customer, dnc_active_phone, phones by customer and by number): one EXISTS
# with ORs inside makes PostgreSQL scan the whole registry for every row it judges. With
# constant {campaign}/{at} the planner may also hash each probe once for set-based builds.
ACTIVE_DNC_SQL = (
    "("
    "EXISTS (SELECT 1 FROM contacts_donotcall d WHERE d.customer_id = {customer} AND " + _ACTIVE + ")"
    " OR EXISTS (SELECT 1 FROM contacts_donotcall d WHERE d.phone_number = {phone} AND " + _ACTIVE + ")"
    " OR EXISTS (SELECT 1 FROM contacts_phonenumber dnc_own JOIN contacts_donotcall d"
    " ON d.phone_number = dnc_own.number WHERE dnc_own.customer_id = {customer} AND " + _ACTIVE + ")"
    " OR EXISTS (SELECT 1 FROM contacts_phonenumber dnc_line JOIN contacts_donotcall d"
    " ON d.customer_id = dnc_line.customer_id WHERE dnc_line.number = {phone} AND " + _ACTIVE + ")"
    " OR EXISTS (SELECT 1 FROM contacts_phonenumber dnc_own JOIN contacts_phonenumber dnc_line"
    " ON dnc_line.number = dnc_own.number JOIN contacts_donotcall d ON d.customer_id = dnc_line.customer_id"
    " WHERE dnc_own.customer_id = {customer} AND " + _ACTIVE + ")"
    ")"
)

# The same rule as a set, for set-based work where {campaign} and {at} are constants: every
# blocked customer id (a customer entry's numbers block their sharers through the third branch,
# so no separate set of numbers is needed). Each branch starts from the (small) registry and
# probes the phone indexes, so a million-customer build hashes a few thousand ids once.
BLOCKED_CUSTOMERS_SQL = (
    "SELECT d.customer_id FROM contacts_donotcall d WHERE d.customer_id IS NOT NULL AND "
    + _ACTIVE
    + " UNION SELECT p.customer_id FROM contacts_donotcall d JOIN contacts_phonenumber p"
    " ON p.number = d.phone_number WHERE d.phone_number <> '' AND "
    + _ACTIVE
    + " UNION SELECT q.customer_id FROM contacts_donotcall d JOIN contacts_phonenumber p"
    " ON p.customer_id = d.customer_id JOIN contacts_phonenumber q ON q.number = p.number"
    " WHERE " + _ACTIVE
)

# ---------------------------------------------------------------- changes to the registry

# "Already registered", the one rule for every writer (register_dnc, the DNC import): the
# registry holds an active entry for the same number ('' for none), the same customer and the
# same scope (a global entry and a campaign's entry are separate evidence) that lasts at least as
# long as the entry asked for ({expires} NULL: for good). Such a request adds nothing. Callers
# substitute SQL expressions for {phone}, {customer}, {campaign}, {expires} and {at} (str.format;
# {expires} appears twice) and alias the registry `d`.
ALREADY_REGISTERED_SQL = (
    "(d.revoked_at IS NULL AND (d.expires_at IS NULL OR d.expires_at > {at})"
    " AND d.phone_number = {phone}"
    " AND d.customer_id IS NOT DISTINCT FROM {customer}"
    " AND d.campaign_id IS NOT DISTINCT FROM {campaign}"
    " AND (d.expires_at IS NULL OR ({expires} IS NOT NULL AND d.expires_at >= {expires})))"
)


def existing_registration(*, phone: str, customer_id, campaign_id, expires_at, at=None) -> DoNotCall | None:
    """The entry that already registers this request (ALREADY_REGISTERED_SQL), if any: the one
    that lasts longest, the newest of those. `phone` as stored (E.164 or '').

    The entry is share-locked (in a transaction): a revocation of it that is in flight is waited
    for, and an entry it revoked no longer counts (the next one is taken, or none). Answering a new
    request with an entry that is being revoked would lose the request."""
    condition = ALREADY_REGISTERED_SQL.format(
        at="%(at)s",
        phone="%(phone)s",
        customer="%(customer)s::bigint",
        campaign="%(campaign)s::bigint",
        expires="%(expires)s::timestamptz",
    )
    found = DoNotCall.objects.raw(
        f"SELECT d.* FROM contacts_donotcall d WHERE {condition}"
        " ORDER BY d.expires_at DESC NULLS FIRST, d.created_at DESC, d.id DESC LIMIT 1 FOR SHARE OF d",
        {
            "at": at or timezone.now(),
            "phone": phone or "",
            "customer": customer_id,
            "campaign": campaign_id,
            "expires": expires_at,
        },
    )
    return next(iter(found), None)


def register_dnc(
    *,
    by,
    reason: str,
    source: str,
    phone: str = "",
    customer=None,
    campaign=None,
    expires_at=None,
    note: str = "",
) -> DoNotCall:
    """Put a number and/or a customer on the registry (globally, or for one campaign) and audit
    it. The number may be written in any format; it is stored normalized. A request that is
    already registered (ALREADY_REGISTERED_SQL: same number, customer and scope, lasting at least
    as long) returns that entry unchanged (a retried request must not pile up duplicates)."""
    number = ""
    if phone:
        number, _valid = normalize_phone(phone)
        if not number:
            raise ValidationError({"phone": [_("Enter a phone number.")]})
    customer_id = getattr(customer, "pk", customer)
    campaign_id = getattr(campaign, "pk", campaign)
    if not number and not customer_id:
        raise ValidationError(_("Give a phone number, a customer or both."))
    if reason not in DoNotCall.Reason.values:
        raise ValidationError({"reason": [_("Unknown reason.")]})
    if source not in DoNotCall.Source.values:
        raise ValidationError({"source": [_("Unknown source.")]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("The expiry must be in the future.")]})
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Before the check: an import adding this entry meanwhile is either seen by the
            # check or waits for this one (see contacts/locks.py).
            lock_registry_for_one_entry(cursor)
            # Two identical requests at once (a double click, a retried API call) must not both
            # pass the check below: they queue on a lock of their own (other registrations do not wait).
            lock_dnc_request(cursor, f"{number}|{customer_id or ''}|{campaign_id or ''}")
        existing = existing_registration(
            phone=number, customer_id=customer_id, campaign_id=campaign_id, expires_at=expires_at
        )
        if existing is not None:
            return existing
        entry = DoNotCall.objects.create(
            phone_number=number,
            customer_id=customer_id,
            campaign_id=campaign_id,
            reason=reason,
            source=source,
            note=note,
            created_by=by if by is not None and by.is_authenticated else None,
            expires_at=expires_at,
        )
        record_event(
            actor=by,
            action="dnc.create",
            target=entry,
            summary=f"DNC {number or ''} {('customer ' + str(customer_id)) if customer_id else ''}".strip(),
            phone_number=number,
            customer_id=customer_id,
            campaign_id=campaign_id,
            reason=reason,
            source=source,
            expires_at=expires_at.isoformat() if expires_at else None,
            note=note,
        )
    return entry


def revoke_dnc(*, entry: DoNotCall, by, reason: str) -> DoNotCall:
    """End an entry. The row stays as evidence with who, when and why; nothing is deleted.
    Revoking an entry that is already revoked raises ValidationError (a stale page, or two
    people at once): the first revocation stands."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the entry is revoked.")]})
    with transaction.atomic():
        with connection.cursor() as cursor:
            lock_registry_for_one_entry(cursor)  # see contacts/locks.py
        locked = DoNotCall.objects.select_for_update().get(pk=entry.pk)
        if locked.revoked_at is not None:
            raise ValidationError(
                _("This entry was already revoked on %(when)s.")
                % {"when": timezone.localtime(locked.revoked_at).strftime("%Y-%m-%d %H:%M")}
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = by if by is not None and by.is_authenticated else None
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record_event(
            actor=by,
            action="dnc.revoke",
            target=locked,
            summary=" ".join(
                part
                for part in ("DNC", locked.phone_number, locked.customer_id and f"customer {locked.customer_id}")
                if part
            )
            + " revoked",
            reason=reason,
            phone_number=locked.phone_number,
            customer_id=locked.customer_id,
            campaign_id=locked.campaign_id,
        )
    return locked
