"""History that cannot be rewritten: PostgreSQL refuses (with triggers created by migrations)
- any UPDATE or DELETE of an audit event;
- any DELETE of a do-not-call entry, and any UPDATE but its revocation (revoked_at, revoked_by,
  revoke_reason, set once);
- any UPDATE or DELETE of a call attempt (an erasure changes only the number, notes and answers
  of the erased customer's attempts: `attempt_erasure`);
unless the transaction says why with `history_change(reason)` (a transaction-local setting the
triggers check): a personal-data erasure, a data migration, a benchmark's reset of its own rows,
a test arranging the past. The audit trail has no such door; only a personal-data erasure may
rewrite the summary and details of the events about the erased customer (`audit_redaction`,
callcenter.audit.redact_events), marking each event it rewrote."""

from contextlib import contextmanager

from django.db import connection, transaction

SETTING = "callcenter.history_change"
REDACTION_SETTING = "callcenter.audit_erasure"
ATTEMPT_ERASURE_SETTING = "callcenter.attempt_erasure"


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


@contextmanager
def audit_redaction(marker: str):
    """Inside this block (one transaction) the audit trail's trigger lets through an UPDATE of an
    event's summary and details that marks the details with "redacted_for": `marker` (see
    callcenter migration 0006_audit_redaction). Used by callcenter.audit.redact_events only."""
    if not marker:
        raise ValueError("name the redaction")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [REDACTION_SETTING, marker])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [REDACTION_SETTING])


@contextmanager
def attempt_erasure(customer_id: int):
    """Inside this block (one transaction) only the number dialed, the notes and the script
    answers of this customer's call attempts may be changed (campaigns migration
    0014_attempt_erasure): the broader `history_change` door of an enclosing erasure is closed
    for the block and reopened after it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [SETTING])
            enclosing = cursor.fetchone()[0]
            cursor.execute(
                "SELECT set_config(%s, '', true), set_config(%s, %s, true)",
                [SETTING, ATTEMPT_ERASURE_SETTING, str(int(customer_id))],
            )
        yield
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, '', true), set_config(%s, %s, true)",
                [ATTEMPT_ERASURE_SETTING, SETTING, enclosing],
            )
