"""The do-not-call rule, in one place. Every other part (list build, dispatch, console, API)
asks `is_blocked` for one customer/number, or uses `ACTIVE_DNC_SQL` for set-based work.

An entry for a number blocks every customer who has that number; an entry for a customer blocks
all of their numbers. Global entries (campaign NULL) block every campaign; campaign entries block
only that campaign. Revoked or expired entries block nothing."""
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import DoNotCall, PhoneNumber


def active_entries(at=None):
    at = at or timezone.now()
    return DoNotCall.objects.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )


def blocking_entries(*, phone: str | None = None, customer=None, campaign=None, at=None):
    """Active entries in scope that block calling `phone` and/or `customer` for `campaign`."""
    customer_id = getattr(customer, "pk", customer)
    campaign_id = getattr(campaign, "pk", campaign)
    match = Q(pk__in=[])
    if phone:
        match |= Q(phone_number=phone)
    if customer_id:
        match |= Q(customer_id=customer_id)
        # Any number of this customer that is on the registry blocks the customer too.
        match |= Q(
            phone_number__in=PhoneNumber.objects.filter(customer_id=customer_id).values("number")
        )
    scope = Q(campaign__isnull=True)
    if campaign_id:
        scope |= Q(campaign_id=campaign_id)
    return active_entries(at).filter(match).filter(scope)


def is_blocked(*, phone: str | None = None, customer=None, campaign=None, at=None) -> bool:
    return blocking_entries(phone=phone, customer=customer, campaign=campaign, at=at).exists()


def blocked_customer_filter(*, campaign=None, at=None, customer_ref: str = "pk") -> Exists:
    """An Exists() usable in .filter()/.exclude() of any queryset that has a customer id at
    `customer_ref` (e.g. "pk" on Customer, "customer_id" on CallListEntry)."""
    campaign_id = getattr(campaign, "pk", campaign)
    scope = Q(campaign__isnull=True)
    if campaign_id:
        scope |= Q(campaign_id=campaign_id)
    customer_phones = PhoneNumber.objects.filter(customer_id=OuterRef(OuterRef(customer_ref))).values("number")
    entries = active_entries(at).filter(scope).filter(
        Q(customer_id=OuterRef(customer_ref)) | Q(phone_number__in=customer_phones)
    )
    return Exists(entries)


# For raw SQL (list build, dispatch): true when customer %(customer)s / number %(phone)s is
# blocked for campaign %(campaign)s at %(at)s. Callers substitute their own column expressions.
ACTIVE_DNC_SQL = """
EXISTS (
    SELECT 1 FROM contacts_donotcall d
    WHERE d.revoked_at IS NULL
      AND (d.expires_at IS NULL OR d.expires_at > {at})
      AND (d.campaign_id IS NULL OR d.campaign_id = {campaign})
      AND (
            d.customer_id = {customer}
         OR d.phone_number = {phone}
         OR d.phone_number IN (SELECT p.number FROM contacts_phonenumber p WHERE p.customer_id = {customer})
      )
)
"""
