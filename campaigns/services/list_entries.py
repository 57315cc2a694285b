"""One entry by hand: a supervisor adds a customer to a built list, with the same exclusion checks
as a build (the build's own rule sets, asked about this one customer), or removes an entry, which
is cancelled, never deleted (its calls stay attached to it)."""

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.audit import record_event
from campaigns.locks import lock_campaign_lists, lock_entry
from campaigns.models import CallList, CallListEntry
from campaigns.services.lists import EXCLUSION_LABELS, ListError, exclusion_rule_sets

Status = CallListEntry.Status
OPEN_FOR_ENTRIES = (CallList.Status.READY, CallList.Status.PAUSED)
# An entry a call may still come from: cancelling it stops that.
CANCELLABLE = (Status.PENDING, Status.CALLBACK)
ADDED = "list.entry_added"  # audit action
CANCELLED = "list.entry_cancelled"  # audit action


class EntryRefused(ListError):
    """Why the customer cannot be added (or the entry removed); `reason` is the build's code."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason


def _number_to_dial(customer_id: int) -> str | None:
    """The number a build would dial: the first valid one, the primary first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number FROM contacts_phonenumber WHERE customer_id = %s AND is_valid"
            " ORDER BY is_primary DESC, id LIMIT 1",
            [customer_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def exclusion_reason(*, call_list: CallList, customer_id: int, at) -> str | None:
    """The first rule of a build that keeps this customer out of the list (its code), or None."""
    rules = exclusion_rule_sets(call_list.campaign, at=at, list_id=call_list.pk)
    first, rest = rules[:1], rules[1:]  # the build's order: do-not-call, no phone, then the others
    for name, set_sql, negated in first:
        if _in_set(set_sql, customer_id) != negated:
            return name
    if _number_to_dial(customer_id) is None:
        return "no_phone"
    for name, set_sql, negated in rest:
        if _in_set(set_sql, customer_id) != negated:
            return name
    return None


def _in_set(set_sql: str, customer_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM ({set_sql}) AS s(customer_id) WHERE s.customer_id = %s)", [customer_id]
        )
        return cursor.fetchone()[0]


@transaction.atomic
def add_customer(*, call_list: CallList, customer, by, at=None) -> CallListEntry:
    """Add the customer at the end of the list; EntryRefused with the reason a build would give.
    Runs under the campaign's list lock, as builds do: "already in another open list" holds."""
    at = at or timezone.now()
    lock_campaign_lists(call_list.campaign_id)
    call_list = CallList.objects.select_related("campaign__policy").get(pk=call_list.pk)
    if call_list.status not in OPEN_FOR_ENTRIES:
        raise EntryRefused(
            _("A list that is %(status)s takes no new entries.") % {"status": call_list.get_status_display()}
        )
    existing = CallListEntry.objects.filter(call_list=call_list, customer=customer).first()
    if existing is not None and existing.status != Status.CANCELLED:
        raise EntryRefused(_("The customer is already in this list."), "in_list")
    reason = exclusion_reason(call_list=call_list, customer_id=customer.pk, at=at)
    if reason is not None:
        raise EntryRefused(_("Not added: %(reason)s.") % {"reason": str(EXCLUSION_LABELS.get(reason, reason))}, reason)
    phone = _number_to_dial(customer.pk)
    if existing is not None:  # removed before: back in the list, at the end
        entry = lock_entry(existing.pk, related=())
        entry.status = Status.PENDING
        entry.phone = phone
        entry.rank = _next_rank(call_list)
        entry.next_attempt_at = at
        entry.save(update_fields=["status", "phone", "rank", "next_attempt_at", "updated_at"])
    else:
        try:
            with transaction.atomic():
                entry = CallListEntry.objects.create(
                    call_list=call_list,
                    campaign=call_list.campaign,
                    customer=customer,
                    phone=phone,
                    rank=_next_rank(call_list),
                    status=Status.PENDING,
                    next_attempt_at=at,
                )
        except IntegrityError:
            raise EntryRefused(_("The customer is already in this list."), "in_list") from None
    record_event(
        actor=by,
        action=ADDED,
        target=entry,
        summary=f"{call_list.name}: #{customer.pk}",
        call_list=call_list.pk,
        customer=customer.pk,
    )
    return entry


def _next_rank(call_list) -> int:
    return (call_list.entries.aggregate(top=Max("rank"))["top"] or 0) + 1


@transaction.atomic
def cancel_entry(*, entry_id: int, by) -> CallListEntry:
    """Take the entry out of the list: cancelled (kept, with its calls), never dialed again. An
    entry being called now, or already closed, is refused."""
    entry = lock_entry(entry_id, related=("call_list", "customer"))
    if entry.status == Status.HELD:
        raise EntryRefused(_("This customer is being called right now: remove the entry after the call."))
    if entry.status not in CANCELLABLE:
        raise EntryRefused(_("This entry is already closed (%(status)s).") % {"status": entry.get_status_display()})
    previous = entry.status
    entry.status = Status.CANCELLED
    entry.callback_at = None
    entry.assigned_operator = None
    entry.next_attempt_at = None
    entry.save(update_fields=["status", "callback_at", "assigned_operator", "next_attempt_at", "updated_at"])
    record_event(
        actor=by,
        action=CANCELLED,
        target=entry,
        summary=f"{entry.call_list.name}: #{entry.customer_id}",
        previous_status=previous,
    )
    return entry
