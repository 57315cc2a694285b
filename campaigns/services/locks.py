"""Row and customer locks of the operator-work paths, in one place.

* Claiming an entry (dispatch) never waits: `FOR UPDATE OF e SKIP LOCKED` in the candidate
  query, then a *try* of the customer's advisory lock. "Someone else has it" is a normal result.
* Changing an entry an operator already holds (outcome, release) waits for the row lock, so two
  submits of the same form run one after the other.
* Everything that changes what an operator is doing (dispatch, outcome, state change, release of
  the operator's hold) first takes the operator's work lock, then any entry lock: one order, no
  deadlock.

No lock is held across network I/O: callers enqueue Celery tasks with transaction.on_commit.
"""

from django.db import connection

from ..models import CallListEntry

# `SELECT … FOR UPDATE` suffix of every claim query (the entry table is aliased `e`).
CLAIM_SUFFIX = "FOR UPDATE OF e SKIP LOCKED"

# Advisory-lock namespace (first key of pg_try_advisory_xact_lock(int, int)) for "a dispatch is
# deciding about this customer". Two operators dispatching two entries of the same customer in
# two campaigns would otherwise both pass the cross-campaign cap.
CUSTOMER_DISPATCH_LOCK = 5_105_001
# Namespace of an operator's work lock: dispatches, outcomes, state changes and hold releases of
# one operator run one after the other. Two presses of "next call" at once (a double click, an API
# retry) queue here, so one operator never ends up holding two entries; a state change (break)
# and a dispatch's or outcome's move to "on call"/"ready" never both replace the open interval.
OPERATOR_WORK_LOCK = 5_105_002


def lock_entry(entry_id: int, *, related=("campaign__policy", "customer", "last_disposition")) -> CallListEntry:
    """The entry, locked until the end of the transaction (waits for other holders), with the
    `related` rows loaded in the same query."""
    return CallListEntry.objects.select_for_update(of=("self",)).select_related(*related).get(pk=entry_id)


def try_lock_customer_for_dispatch_sql(customer: str) -> str:
    """SQL expression taking the dispatch lock of customer id `customer` (an SQL expression) for
    this transaction without waiting; true when taken. Lets a claim query take it in its own
    round trip (dispatch must still check the rules in a *later* statement, whose snapshot then
    sees what the previous holder of the lock committed)."""
    return f"pg_try_advisory_xact_lock({CUSTOMER_DISPATCH_LOCK}, mod({customer}, 2147483647)::integer)"


def lock_operator_sql(operator_id: int) -> str:
    """SQL statement taking the operator's work lock for this transaction (waits while another
    dispatch, outcome, state change or release of this operator runs). Taken before any entry
    lock. The caller reads in a *later* statement, which then sees what the other one committed."""
    return f"SELECT pg_advisory_xact_lock({OPERATOR_WORK_LOCK}, {int(operator_id)})"


def lock_operator(operator_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(lock_operator_sql(operator_id))


def try_lock_customer_for_dispatch(customer_id: int) -> bool:
    """Take the customer's dispatch lock for this transaction without waiting."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {try_lock_customer_for_dispatch_sql('%s')}", [int(customer_id)])
        return bool(cursor.fetchone()[0])
