"""The audit trail stays append-only, with one narrow door: a personal-data erasure may rewrite the
summary and details of the events about the erased customer (callcenter.audit.redact_events). The
trigger lets an UPDATE through only when the transaction names the erasure in the
callcenter.audit_erasure setting, the new details carry that same name under "redacted_for", and
nothing but the summary and the details changes. DELETE stays refused.

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

REDACTABLE_SQL = """
            CREATE OR REPLACE FUNCTION callcenter_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                redaction text := coalesce(current_setting('callcenter.audit_erasure', true), '');
            BEGIN
                IF TG_OP = 'UPDATE' AND redaction <> ''
                   AND NEW.data ->> 'redacted_for' = redaction
                   AND (OLD.data ->> 'redacted_for') IS DISTINCT FROM redaction
                   AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at
                   AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action
                   AND NEW.object_type = OLD.object_type AND NEW.object_id = OLD.object_id THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'the audit trail is append-only: % of an audit event refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            """

APPEND_ONLY_SQL = """
            CREATE OR REPLACE FUNCTION callcenter_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only: % of an audit event refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            """


class Migration(migrations.Migration):
    dependencies = [("callcenter", "0005_password_change_due")]

    operations = [migrations.RunSQL(REDACTABLE_SQL, APPEND_ONLY_SQL)]
