"""History that cannot be rewritten: PostgreSQL refuses (with triggers created by migrations)
- any UPDATE or DELETE of an audit event;
- any DELETE of a do-not-call entry, and any UPDATE but its revocation (revoked_at, revoked_by,
  revoke_reason, set once);
- any UPDATE or DELETE of a call attempt;
unless the transaction says why with `history_change(reason)` (a transaction-local setting the
triggers check): a personal-data erasure, a data migration, a benchmark's reset of its own rows,
a test arranging the past. The audit trail has no such door."""

from contextlib import contextmanager

from django.db import connection, transaction

SETTING = "callcenter.history_change"


@contextmanager
def history_change(reason: str):
    """Inside this block (one transaction) call attempts and do-not-call entries may be changed."""
    if not reason:
        raise ValueError("say why history is changed")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, reason])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [SETTING])
