"""Locks of the contacts app, in one place (advisory-lock namespaces: callcenter.locks).

The do-not-call registry. Writers that check "already registered" before they add keep that
true without serializing each other: each takes a table lock first, then checks, then inserts.
- One entry at a time (register_dnc) takes ROW EXCLUSIVE, which such writers share (operators
  never wait for each other; identical requests queue on an advisory lock of their own,
  `lock_dnc_request`).
- A batch (the DNC import's final INSERT … SELECT) takes SHARE ROW EXCLUSIVE, which conflicts with
  ROW EXCLUSIVE and with itself: it waits for registrations in flight and they wait for it.
Whoever comes second re-checks after the first committed (READ COMMITTED: each statement sees
what committed before it started), so nobody adds an entry that is already there. Reads
(dispatch, is_blocked) take neither lock and never wait. A batch holds its lock only for its last
statement and the commit: staging, checks and error reports run before it. A revocation takes
the one-entry lock too, before it locks its row: a batch's check then never counts an entry whose
revocation commits right after it (the batch waits for the revocation, or the revocation for the
batch). register_dnc share-locks the entry it answers with, likewise.

Erased numbers. An erasure (exclusive) and every writer that stores numbers and checks them
against the erased numbers' hashes (shared: `block_erased_numbers`, the customer import's chunk)
take `lock_erased_numbers` first, in their transaction: a number stored while a customer who has it
is being erased is either seen by the erasure (which then keeps a plain entry on it) or checked
after the erasure committed (and finds the hash). Writers of numbers do not wait for each other.

Imports: one job per upload (`lock_import_start`), and one worker per job
(`try_lock_import_run`: Celery redelivers an unacknowledged task). The kept files of past imports
are rewritten (an erasure) or deleted (their retention) one task at a time (`lock_kept_uploads`):
a file being rewritten is not deleted meanwhile and then saved again, nor rewritten twice at once.

A service that changes one row locks it where it reads it (`select_for_update`), as the ORM does.
"""

from django.db import DatabaseError, connection

from callcenter.locks import AdvisoryLock


def lock_registry_for_one_entry(cursor) -> None:
    cursor.execute("LOCK TABLE contacts_donotcall IN ROW EXCLUSIVE MODE")


def lock_registry_for_a_batch(cursor) -> None:
    cursor.execute("LOCK TABLE contacts_donotcall IN SHARE ROW EXCLUSIVE MODE")


def lock_dnc_request(cursor, request: str) -> None:
    """Identical do-not-call requests ("number|customer|campaign") queue here, for this transaction."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [int(AdvisoryLock.DNC_REQUEST), request])


def lock_import_start(upload_path: str) -> None:
    """Queuing an import of this upload waits for another one queuing it (this transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [int(AdvisoryLock.STARTING_IMPORT), upload_path]
        )


def try_lock_import_run(job_id: int) -> bool:
    """Claim the run of an import job without waiting; false when another worker runs it. A
    session lock: held across the run's transactions by this connection, until
    `unlock_import_run` or until the connection drops."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [int(AdvisoryLock.RUNNING_IMPORT), int(job_id)])
        return bool(cursor.fetchone()[0])


def unlock_import_run(job_id: int) -> bool:
    """Release the run's lock; false when the connection (and the lock with it) is gone already."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [int(AdvisoryLock.RUNNING_IMPORT), int(job_id)])
        return True
    except DatabaseError:
        return False


def lock_erased_numbers(cursor, *, shared: bool) -> None:
    """An erasure takes it exclusive, a writer of numbers shared, until its transaction ends."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    cursor.execute(f"SELECT {function}(%s, 0)", [int(AdvisoryLock.ERASED_NUMBERS)])


def lock_kept_uploads() -> None:
    """Rewriting or deleting the kept files of past imports waits for another such task (this
    transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [int(AdvisoryLock.KEPT_UPLOADS)])
