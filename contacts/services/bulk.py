"""Actions on many customers at once from the customer list (the rows ticked, or every customer
the filters match): a tag, a do-not-call entry with its reason and scope. The page asks for a
confirmation that says how many customers before it comes here. Exports go through
services.exports."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from callcenter.models import AuditEvent

from ..locks import lock_registry_for_a_batch
from ..models import Customer, DoNotCall
from .dnc import ALREADY_REGISTERED_SQL

# One action registers at most this many customers (one statement, but a page's confirmation and
# one transaction's lock on the registry): larger sets go through a do-not-call import.
MAX_DNC_AT_ONCE = 5000
MAX_TAG_LENGTH = 50


def clean_tag(tag: str) -> str:
    tag = (tag or "").strip()
    if not tag:
        raise ValidationError({"tag": [_("Give the tag.")]})
    if len(tag) > MAX_TAG_LENGTH:
        raise ValidationError({"tag": [_("A tag is longer than 50 characters.")]})
    return tag


@transaction.atomic
def tag_customers(*, customers, tag: str, by, filters: dict) -> int:
    """Add `tag` to every customer of the queryset that lacks it, in one statement; how many."""
    tag = clean_tag(tag)
    ids_sql, ids_params = customers.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Customer._meta.db_table} SET tags = array_append(tags, %s), updated_at = now()"
            f" WHERE id IN ({ids_sql}) AND NOT (%s = ANY(tags))",
            [tag, *ids_params, tag],
        )
        changed = cursor.rowcount
    record_event(
        actor=by, action="customers.tagged", summary=f"{tag}: {changed}", tag=tag, customers=changed, filters=filters
    )
    return changed


@transaction.atomic
def register_dnc_for_customers(*, customers, reason: str, campaign=None, note: str = "", by, filters: dict) -> int:
    """A do-not-call entry for each customer (globally or for `campaign`); a customer already
    registered for that scope (ALREADY_REGISTERED_SQL, as register_dnc checks it) keeps their
    entry. How many customers it covers.

    Set-based: one INSERT … SELECT under the registry's batch lock (contacts/locks.py: it waits
    for single registrations in flight and they wait for it, so none is added twice), and the
    entries' `dnc.create` events, with the payload register_dnc writes, in one more statement."""
    if reason not in DoNotCall.Reason.values:
        raise ValidationError({"reason": [_("Unknown reason.")]})
    ids = list(customers.order_by("pk").values_list("pk", flat=True)[: MAX_DNC_AT_ONCE + 1])
    if len(ids) > MAX_DNC_AT_ONCE:
        raise ValidationError(
            _("At most %(max)s customers at once: narrow the selection, or import the numbers as a do-not-call list.")
            % {"max": MAX_DNC_AT_ONCE}
        )
    campaign_id = getattr(campaign, "pk", campaign)
    actor = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    already = ALREADY_REGISTERED_SQL.format(
        at="%(now)s", phone="''", customer="c.id", campaign="%(campaign)s::bigint", expires="NULL::timestamptz"
    )
    with connection.cursor() as cursor:
        lock_registry_for_a_batch(cursor)
        cursor.execute(
            f"""
            INSERT INTO {DoNotCall._meta.db_table}
                (phone_number, customer_id, campaign_id, reason, source, note, created_by_id, created_at,
                 expires_at, revoke_reason)
            SELECT '', c.id, %(campaign)s, %(reason)s, %(source)s, %(note)s, %(by)s, %(now)s, NULL, ''
            FROM unnest(%(ids)s::bigint[]) AS c(id)
            WHERE NOT EXISTS (SELECT 1 FROM {DoNotCall._meta.db_table} d WHERE {already})
            ORDER BY c.id
            RETURNING id, customer_id
            """,
            {
                "ids": ids,
                "campaign": campaign_id,
                "reason": reason,
                "source": DoNotCall.Source.SUPERVISOR,
                "note": note,
                "by": getattr(actor, "pk", None),
                "now": now,
            },
        )
        added = sorted(cursor.fetchall())
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                action="dnc.create",
                object_type=DoNotCall._meta.label_lower,
                object_id=str(entry_id),
                summary=f"DNC customer {customer_id}",
                data={
                    "phone_number": "",
                    "customer_id": customer_id,
                    "campaign_id": campaign_id,
                    "reason": reason,
                    "source": DoNotCall.Source.SUPERVISOR,
                    "expires_at": None,
                    "note": note,
                },
            )
            for entry_id, customer_id in added
        ]
    )
    record_event(
        actor=by,
        action="customers.dnc_registered",
        summary=f"{len(ids)}",
        customers=len(ids),
        added=len(added),
        campaign=campaign_id,
        reason=reason,
        filters=filters,
    )
    return len(ids)
