"""Read-side queries of the contacts app, shared by pages, the API and exports."""
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, F, Func, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Customer, DoNotCall, PhoneNumber, Segment
from .phones import looks_like_phone, normalize_phone
from .segments import customers_matching
from .services.dnc import active_entries, blocked_customer_filter


class CustomerSearchText(Func):
    """Name and kana without spaces, lower-cased: the expression of the trigram index
    customer_search_trgm (migration 0002). Keep the two identical or the index is not used."""

    template = "lower(translate((%(expressions)s), ' \u3000', ''))"
    arg_joiner = " || '|' || "
    output_field = CharField()

    def __init__(self):
        super().__init__(F("name"), F("name_kana"))


def _search_term(text: str) -> str:
    """What the user typed, folded like the index: NFKC (full-width letters, half-width kana),
    no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _katakana(text: str) -> str:
    """Hiragana to katakana, so "やまだ" finds the kana "ヤマダ"."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def search_q(query: str) -> Q:
    """Customers matching a free-text query: a phone number in any format, an external id, or
    part of the name or kana (hiragana finds katakana; spaces are ignored)."""
    query = (query or "").strip()
    if not query:
        return Q()
    condition = Q(external_id=query)
    if looks_like_phone(query):
        number, _valid = normalize_phone(query)
        if number:
            condition |= Q(pk__in=PhoneNumber.objects.filter(number=number).values("customer_id"))
            return condition
    term = _search_term(query)
    if term:
        terms = {term, _katakana(term)}
        for variant in terms:
            condition |= Q(search_text__contains=variant)
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
            "q": self.q, "prefecture": self.prefecture, "gender": self.gender,
            "subscription_status": self.subscription_status, "tag": self.tag,
            "segment": self.segment.pk if self.segment else None, "dnc": self.dnc, "sort": self.sort,
        }
        return {key: value for key, value in data.items() if value not in ("", None)}


def customers_filtered(filters: CustomerFilters) -> QuerySet:
    """The customer list: search, filters and sort, as one queryset (no evaluation)."""
    customers = (
        customers_matching(filters.segment.criteria) if filters.segment else Customer.objects.all()
    )
    if filters.q:
        customers = customers.alias(search_text=CustomerSearchText()).filter(search_q(filters.q))
    if filters.prefecture:
        customers = customers.filter(prefecture=filters.prefecture)
    if filters.gender is not None:
        customers = customers.filter(gender=filters.gender)
    if filters.subscription_status is not None:
        customers = customers.filter(subscription_status=filters.subscription_status)
    if filters.tag:
        customers = customers.filter(tags__contains=[filters.tag])
    if filters.dnc == "blocked":
        customers = customers.filter(blocked_customer_filter())
    elif filters.dnc == "clear":
        customers = customers.exclude(blocked_customer_filter())
    return customers.order_by(*_ordering(filters.sort))


def with_list_columns(customers: QuerySet) -> QuerySet:
    """What a list row shows: phones and whether a global DNC entry blocks the customer."""
    return customers.prefetch_related(
        Prefetch("phones", queryset=PhoneNumber.objects.order_by("-is_primary", "id"))
    ).annotate(dnc_blocked=blocked_customer_filter())


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
    """Tags in use, for filter menus (from a sample, so it stays fast on big tables)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT unnest(tags) AS tag FROM (SELECT tags FROM contacts_customer "
            "WHERE tags <> '{}' LIMIT 20000) sample ORDER BY tag LIMIT %s",
            [limit],
        )
        return [row[0] for row in cursor.fetchall()]


def known_prefectures() -> list[str]:
    return list(
        Customer.objects.exclude(prefecture="").order_by("prefecture").values_list("prefecture", flat=True).distinct()
    )


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
    return (
        customer.call_attempts.select_related("campaign", "operator", "disposition")
        .order_by("-started_at", "-id")[:limit]
    )


def blocked_numbers(customer: Customer, at=None) -> set[str]:
    """Numbers of the customer blocked globally right now (by number or by the customer)."""
    numbers = [p.number for p in customer.phones.all()]
    entries = active_entries(at).filter(campaign__isnull=True).filter(
        Q(customer=customer) | Q(phone_number__in=numbers)
    )
    blocked = set()
    for customer_id, phone_number in entries.values_list("customer_id", "phone_number"):
        if customer_id == customer.pk:
            return set(numbers)
        blocked.add(phone_number)
    return blocked


# ---------------------------------------------------------------- DNC registry

def dnc_entries(*, phone: str = "", customer=None, campaign=None, status: str = "", q: str = "",
                reason: str = "", source: str = "", at=None) -> QuerySet:
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
