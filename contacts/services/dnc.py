"""The do-not-call rule, in one place. Every other part (list build, dispatch, console, API)
asks `is_blocked` for one customer/number, or uses `ACTIVE_DNC_SQL` for set-based work.

An entry for a number blocks every customer who has that number; an entry for a customer blocks
all of their numbers. Global entries (campaign NULL) block every campaign; campaign entries block
only that campaign. Revoked or expired entries block nothing."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..models import DoNotCall, PhoneNumber
from ..phones import normalize_phone


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


# ---------------------------------------------------------------- changes to the registry

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
    it. The number may be written in any format; it is stored normalized. Registering what is
    already actively registered with the same scope and no expiry returns that entry unchanged
    (a retried request must not pile up duplicates)."""
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
        if expires_at is None:
            existing = (
                active_entries()
                .filter(phone_number=number, customer_id=customer_id, campaign_id=campaign_id, expires_at__isnull=True)
                .first()
            )
            if existing is not None:
                return existing
        entry = DoNotCall.objects.create(
            phone_number=number, customer_id=customer_id, campaign_id=campaign_id, reason=reason,
            source=source, note=note, created_by=by if by is not None and by.is_authenticated else None,
            expires_at=expires_at,
        )
        record_event(
            actor=by, action="dnc.create", target=entry,
            summary=f"DNC {number or ''} {('customer ' + str(customer_id)) if customer_id else ''}".strip(),
            phone_number=number, customer_id=customer_id, campaign_id=campaign_id, reason=reason,
            source=source, expires_at=expires_at.isoformat() if expires_at else None, note=note,
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
        locked = DoNotCall.objects.select_for_update().get(pk=entry.pk)
        if locked.revoked_at is not None:
            raise ValidationError(_("This entry was already revoked on %(when)s.") % {
                "when": timezone.localtime(locked.revoked_at).strftime("%Y-%m-%d %H:%M")
            })
        locked.revoked_at = timezone.now()
        locked.revoked_by = by if by is not None and by.is_authenticated else None
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record_event(
            actor=by, action="dnc.revoke", target=locked,
            summary=f"DNC {locked.phone_number or ''} {('customer ' + str(locked.customer_id)) if locked.customer_id else ''} revoked".strip(),
            reason=reason, phone_number=locked.phone_number, customer_id=locked.customer_id,
            campaign_id=locked.campaign_id,
        )
    return locked
