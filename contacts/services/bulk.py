"""Actions on many customers at once from the customer list (the rows ticked, or every customer
the filters match): a tag, a do-not-call entry with its reason and scope. The page asks for a
confirmation that says how many customers before it comes here. Exports go through
services.exports."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from callcenter.audit import record_event

from ..models import Customer, DoNotCall
from .dnc import register_dnc

# Each do-not-call entry is registered with the registry's own locks and checks, one customer at a
# time: a bound keeps one action to a few seconds. Larger sets go through a do-not-call import.
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
    registered for that scope keeps their entry. How many customers it covers."""
    if reason not in DoNotCall.Reason.values:
        raise ValidationError({"reason": [_("Unknown reason.")]})
    ids = list(customers.order_by("pk").values_list("pk", flat=True)[: MAX_DNC_AT_ONCE + 1])
    if len(ids) > MAX_DNC_AT_ONCE:
        raise ValidationError(
            _("At most %(max)s customers at once: narrow the selection, or import the numbers as a do-not-call list.")
            % {"max": MAX_DNC_AT_ONCE}
        )
    for customer_id in ids:
        register_dnc(
            by=by,
            reason=reason,
            source=DoNotCall.Source.SUPERVISOR,
            customer=customer_id,
            campaign=campaign,
            note=note,
        )
    record_event(
        actor=by,
        action="customers.dnc_registered",
        summary=f"{len(ids)}",
        customers=len(ids),
        campaign=getattr(campaign, "pk", None),
        reason=reason,
        filters=filters,
    )
    return len(ids)
