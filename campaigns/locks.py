"""Locks of the campaigns app, in one place (advisory-lock namespaces: callcenter.locks).

* Claiming an entry (dispatch) never waits: `FOR UPDATE OF e SKIP LOCKED` in the candidate
  query, then a *try* of the customer's advisory lock. "Someone else has it" is a normal result.
* Changing an entry an operator already holds (outcome, release) waits for the row lock, so two
  submits of the same form run one after the other.
* Everything that changes what an operator is doing (dispatch, outcome, state change, release of
  the operator's hold) first takes the operator's work lock, then any entry lock: one order, no
  deadlock.
* Builds and recycles of one campaign's lists run one after the other (`lock_campaign_lists`).

No lock is held across network I/O: callers enqueue Celery tasks with transaction.on_commit. A
service that changes one row locks it where it reads it (`select_for_update`), as the ORM does.
"""

from django.db import connection

from callcenter.locks import AdvisoryLock

from .models import CallListEntry

# `SELECT … FOR UPDATE` suffix of every claim query (the entry table is aliased `e`).
CLAIM_SUFFIX = "FOR UPDATE OF e SKIP LOCKED"


def lock_entry(entry_id: int, *, related=("campaign__policy", "customer", "last_disposition")) -> CallListEntry:
    """The entry, locked until the end of the transaction (waits for other holders), with the
    `related` rows loaded in the same query."""
    return CallListEntry.objects.select_for_update(of=("self",)).select_related(*related).get(pk=entry_id)


def try_lock_customer_for_dispatch_sql(customer: str) -> str:
    """SQL expression taking the dispatch lock of customer id `customer` (an SQL expression) for
    this transaction without waiting; true when taken. Lets a claim query take it in its own
    round trip (dispatch must still check the rules in a *later* statement, whose snapshot then
    sees what the previous holder of the lock committed)."""
    # Two operators dispatching two entries of the same customer in two campaigns would otherwise
    # both pass the cross-campaign cap.
    return f"pg_try_advisory_xact_lock({int(AdvisoryLock.CUSTOMER_DISPATCH)}, mod({customer}, 2147483647)::integer)"


def lock_operator_sql(operator_id: int) -> str:
    """SQL statement taking the operator's work lock for this transaction (waits while another
    dispatch, outcome, state change or release of this operator runs). Taken before any entry
    lock. The caller reads in a *later* statement, which then sees what the other one committed.
    Two presses of "next call" at once (a double click, an API retry) queue here, so one operator
    never holds two entries; a state change and a dispatch's or outcome's move to "on call" or
    "ready" never both replace the open interval."""
    return f"SELECT pg_advisory_xact_lock({int(AdvisoryLock.OPERATOR_WORK)}, {int(operator_id)})"


def lock_operator(operator_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(lock_operator_sql(operator_id))


def try_lock_customer_for_dispatch(customer_id: int) -> bool:
    """Take the customer's dispatch lock for this transaction without waiting."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {try_lock_customer_for_dispatch_sql('%s')}", [int(customer_id)])
        return bool(cursor.fetchone()[0])


def lock_campaign_lists(campaign_id: int) -> None:
    """Serialize builds and recycles of one campaign (for this transaction), so two of them never
    both see a customer as "not in another open list". A row lock on the campaign would also block
    attempt logging (foreign keys take KEY SHARE); this lock blocks nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [int(AdvisoryLock.CAMPAIGN_LISTS), int(campaign_id)])
