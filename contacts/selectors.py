"""Read-side queries of the contacts app, shared by pages, the API and exports."""

import re
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, F, Func, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from .models import Customer, DoNotCall, PhoneNumber, Segment, customer_search_text
from .phones import ascii_text, looks_like_phone, normalize_phone
from .segments import customers_matching
from .services.dnc import active_entries, blocked_customer_ids, blocked_customers


def _search_term(text: str) -> str:
    """What the user typed, folded like the index: NFKC (full-width letters, half-width kana),
    no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _katakana(text: str) -> str:
    """Hiragana to katakana, so "やまだ" finds the kana "ヤマダ"."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


class Contains(Func):
    """strpos(haystack, needle) > 0: a substring test the trigram index does not serve. Used for
    one- and two-character terms, which have no trigram: through the index they would read all
    of it, while a plain scan in list order stops as soon as a page is full."""

    template = "strpos(%(expressions)s) > 0"
    output_field = BooleanField()


class IdInArray(Func):
    """column = ANY(array): one parameter however many ids, and an index scan of that array
    (an IN over a subquery of unnest() is planned as a join with the whole table)."""

    output_field = BooleanField()

    def __init__(self, field: str, ids):
        super().__init__(F(field))
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} = ANY(%s::bigint[])", [*params, self.ids]


# Terms shorter than this have no trigram to look up.
TRIGRAM_MIN = 3


# A number typed in part: at least the last four digits; a full number (E.164 at most 15 digits).
PARTIAL_PHONE_MIN = 4
PARTIAL_PHONE_MAX = 15
# How many customers an id prefix or a partial number brings in (the list shows pages of 25).
PARTIAL_MATCH_LIMIT = 1000
_DIGITS_ONLY = re.compile(r"^[\d\s\-().+]+$")


def partial_phone_digits(query: str) -> str:
    """The digits to look for inside stored numbers (E.164) when a query is part of a number:
    "5678", "1234-5678", "090-1234" (the trunk 0 of a national number is not in E.164). Empty
    when the query is not digits or too short."""
    text = ascii_text(query)
    if not _DIGITS_ONLY.match(text):
        return ""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0") and not digits.startswith("00"):
        digits = digits[1:]
    return digits if PARTIAL_PHONE_MIN <= len(digits) <= PARTIAL_PHONE_MAX else ""


def search_q(query: str) -> Q:
    """Customers matching a free-text query: a phone number in any format (or part of one: the
    last four digits, "090-1234"), a customer ID or the start of one, or part of the name or kana
    (hiragana finds katakana; spaces and case are ignored). Phone and id matches are looked up
    first (index reads: the trigram index phone_number_trgm for parts of numbers, the pattern
    index of external_id for prefixes), so the final condition stays indexable."""
    query = (query or "").strip()
    if not query:
        return Q()
    exact_ids = list(Customer.objects.filter(external_id=query).values_list("pk", flat=True)[:1])
    if looks_like_phone(query):
        number, valid = normalize_phone(query)
        if number:
            exact_ids += PhoneNumber.objects.filter(number=number).values_list("customer_id", flat=True)[:1000]
        if valid:  # a whole number: nothing else to look for
            return Q(pk__in=exact_ids)
    exact_ids += Customer.objects.filter(external_id__startswith=query).values_list("pk", flat=True)[
        :PARTIAL_MATCH_LIMIT
    ]
    digits = partial_phone_digits(query)
    if digits:
        exact_ids += PhoneNumber.objects.filter(number__contains=digits).values_list("customer_id", flat=True)[
            :PARTIAL_MATCH_LIMIT
        ]
    condition = Q(pk__in=exact_ids) if exact_ids else Q(pk__in=[])
    term = _search_term(query)
    for variant in dict.fromkeys([term, _katakana(term)]):
        if not variant:
            continue
        if len(variant) >= TRIGRAM_MIN:
            condition |= Q(search_text__contains=variant)
        else:
            condition |= Q(Contains(F("search_text"), Value(variant)))
    return condition


SORTS = {
    # key: (ordering, label). Only indexed columns, so a sorted first page stays fast.
    "id": ("id",),
    "external_id": ("external_id",),
    "last_purchase": (F("last_purchase_at").asc(nulls_last=True), "id"),
    "total_spent": ("total_spent", "id"),
    "registered": (F("registered_at").asc(nulls_last=True), "id"),
    "last_contact": (F("last_contact_at").asc(nulls_last=True), "id"),
}
DEFAULT_SORT = "-id"


def _ordering(sort: str):
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = "id", DEFAULT_SORT
    descending = sort.startswith("-")
    ordering = []
    for item in SORTS[key]:
        if isinstance(item, str):
            ordering.append(F(item).desc() if descending else F(item).asc())
        else:
            ordering.append(F(item.expression.name).desc(nulls_last=True) if descending else item)
    return ordering


@dataclass
class CustomerFilters:
    q: str = ""
    prefecture: str = ""
    gender: str | None = None
    subscription_status: str | None = None
    tag: str = ""
    segment: Segment | None = None
    dnc: str = ""  # "blocked" | "clear" | ""
    sort: str = DEFAULT_SORT

    def as_dict(self) -> dict:
        """What was asked for, for audit records and export file names."""
        data = {
            "q": self.q,
            "prefecture": self.prefecture,
            "gender": self.gender,
            "subscription_status": self.subscription_status,
            "tag": self.tag,
            "segment": self.segment.pk if self.segment else None,
            "dnc": self.dnc,
            "sort": self.sort,
        }
        return {key: value for key, value in data.items() if value not in ("", None)}


def customers_filtered(filters: CustomerFilters) -> QuerySet:
    """The customer list: search, filters and sort, as one queryset (no evaluation)."""
    customers = customers_matching(filters.segment.criteria) if filters.segment else Customer.objects.all()
    if filters.q:
        customers = customers.alias(search_text=customer_search_text()).filter(search_q(filters.q))
    if filters.prefecture:
        customers = customers.filter(prefecture=filters.prefecture)
    if filters.gender is not None:
        customers = customers.filter(gender=filters.gender)
    if filters.subscription_status is not None:
        customers = customers.filter(subscription_status=filters.subscription_status)
    if filters.tag:
        customers = customers.filter(tags__contains=[filters.tag])
    if filters.dnc in ("blocked", "clear"):
        # Read the blocked set once and pass it as one array: the page and its count both use it.
        with connection.cursor() as cursor:
            sql, params = blocked_customers().as_sql(None, connection)
            cursor.execute(sql, params)
            blocked = Q(IdInArray("pk", [row[0] for row in cursor.fetchall()]))
        customers = customers.filter(blocked) if filters.dnc == "blocked" else customers.exclude(blocked)
    return customers.order_by(*_ordering(filters.sort))


def with_phones(customers: QuerySet) -> QuerySet:
    """Customers with their numbers, primary first (list pages and exports show them)."""
    return customers.prefetch_related(Prefetch("phones", queryset=PhoneNumber.objects.order_by("-is_primary", "id")))


def mark_dnc_blocked(rows: list[Customer]) -> list[Customer]:
    """Set `dnc_blocked` on each customer: whether a global DNC entry blocks them (index probes
    for these rows only, not the whole registry)."""
    blocked = blocked_customer_ids([c.pk for c in rows])
    for customer in rows:
        customer.dnc_blocked = customer.pk in blocked
    return rows


def list_rows(customers: QuerySet, *, offset: int, limit: int) -> list[Customer]:
    """One page of the list with what a row shows: phones and the DNC flag."""
    return mark_dnc_blocked(list(with_phones(customers)[offset : offset + limit]))


def count_up_to(queryset: QuerySet, limit: int) -> tuple[int, bool]:
    """(count, exact): counts at most `limit` + 1 rows, so a broad filter over a million
    customers answers at once ("10,000+") instead of counting every match."""
    counted = queryset.order_by().values("pk")[: limit + 1].count()
    return (counted, True) if counted <= limit else (limit, False)


def estimated_customer_total() -> int:
    """The planner's estimate of the table size (exact enough for "about 1,000,000")."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'contacts_customer'::regclass")
        row = cursor.fetchone()
    estimate = row[0] if row else -1
    if estimate is None or estimate < 0:  # never analyzed
        return Customer.objects.count()
    return estimate


def known_tags(limit: int = 200) -> list[str]:
    """Tags in use, for filter menus: read from a sample and cached for a few minutes (tags
    change with imports, not from one page view to the next)."""

    def read():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT unnest(tags) AS tag FROM (SELECT tags FROM contacts_customer "
                "WHERE tags <> '{}' LIMIT 5000) sample ORDER BY tag LIMIT %s",
                [limit],
            )
            return [row[0] for row in cursor.fetchall()]

    return cache.get_or_set(KNOWN_TAGS_CACHE_KEY, read, timeout=300)


KNOWN_TAGS_CACHE_KEY = "contacts:known-tags"


def known_prefectures() -> list[str]:
    """Prefectures for filter menus, in JIS X 0401 order (north to south), the list imports
    write them from (a fixed list: a DISTINCT over millions of rows is slow)."""
    from .imports.converters import PREFECTURE_NAMES

    return [name for name, _romaji in PREFECTURE_NAMES]


# ---------------------------------------------------------------- one customer


def customer_phones(customer: Customer) -> list[PhoneNumber]:
    return list(customer.phones.order_by("-is_primary", "id"))


def customer_dnc_history(customer: Customer) -> QuerySet:
    """Every DNC entry, active or not, that concerns the customer: by customer or by one of
    their numbers, newest first (the full history the customer page shows)."""
    numbers = PhoneNumber.objects.filter(customer=customer).values("number")
    return (
        DoNotCall.objects.filter(Q(customer=customer) | Q(phone_number__in=numbers))
        .select_related("campaign", "created_by", "revoked_by", "customer")
        .order_by("-created_at", "-id")
    )


def customer_timeline(customer: Customer, limit: int = 200) -> QuerySet:
    """Call attempts of the customer, newest first (reverse relation: no import of campaigns)."""
    return customer.call_attempts.select_related("campaign", "operator", "disposition").order_by("-started_at", "-id")[
        :limit
    ]


def blocked_numbers(customer: Customer, at=None) -> set[str]:
    """Numbers of the customer blocked globally right now (by number or by the customer)."""
    numbers = [p.number for p in customer.phones.all()]
    entries = (
        active_entries(at).filter(campaign__isnull=True).filter(Q(customer=customer) | Q(phone_number__in=numbers))
    )
    blocked = set()
    for customer_id, phone_number in entries.values_list("customer_id", "phone_number"):
        if customer_id == customer.pk:
            return set(numbers)
        blocked.add(phone_number)
    return blocked


# ---------------------------------------------------------------- DNC registry


def dnc_entries(
    *,
    phone: str = "",
    customer=None,
    campaign=None,
    status: str = "",
    q: str = "",
    reason: str = "",
    source: str = "",
    at=None,
) -> QuerySet:
    """Registry entries filtered like the list page and the API. status: active | revoked |
    expired | "" (all)."""
    entries = DoNotCall.objects.select_related("customer", "campaign", "created_by", "revoked_by")
    if phone:
        number, _valid = normalize_phone(phone)
        entries = entries.filter(phone_number=number or phone)
    if customer is not None:
        entries = entries.filter(customer=customer)
    if campaign == "global":
        entries = entries.filter(campaign__isnull=True)
    elif campaign is not None:
        entries = entries.filter(campaign=campaign)
    if reason:
        entries = entries.filter(reason=reason)
    if source:
        entries = entries.filter(source=source)
    if status == "active":
        entries = entries.filter(pk__in=active_entries(at).values("pk"))
    elif status == "revoked":
        entries = entries.filter(revoked_at__isnull=False)
    elif status == "expired":
        entries = entries.filter(revoked_at__isnull=True, expires_at__lte=at or timezone.now())
    if q:
        number, _valid = normalize_phone(q) if looks_like_phone(q) else ("", False)
        condition = Q(customer__external_id=q) | Q(customer__name__contains=q) | Q(note__contains=q)
        if number:
            condition |= Q(phone_number=number)
        entries = entries.filter(condition)
    return entries.order_by("-created_at", "-id")


def dnc_audit_events(entry: DoNotCall | None = None) -> QuerySet:
    from callcenter.models import AuditEvent

    events = AuditEvent.objects.filter(action__startswith="dnc.").select_related("actor")
    if entry is not None:
        events = events.filter(object_type=DoNotCall._meta.label_lower, object_id=str(entry.pk))
    return events


def segments_list() -> QuerySet:
    return Segment.objects.select_related("created_by").order_by("name")


CUSTOMER_CHANGE_ACTIONS = (
    "customer.create",
    "customer.update",
    "customer.phone_marked_wrong",
    "customer.phone_added",
    "customer.note_added",
)


def customer_changes(customer, limit: int = 20):
    """The latest audited changes of a customer (page, API, console), newest first."""
    from callcenter.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            object_type=Customer._meta.label_lower, object_id=str(customer.pk), action__in=CUSTOMER_CHANGE_ACTIONS
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
