"""The audit trail is append-only, whoever asks (see callcenter.history): the database refuses
UPDATE and DELETE of audit events.

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

GUARD_SQL = """
            CREATE FUNCTION callcenter_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only: % of an audit event refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON callcenter_auditevent
                FOR EACH ROW EXECUTE FUNCTION callcenter_audit_append_only();
            """

DROP_GUARD_SQL = """
            DROP TRIGGER audit_append_only ON callcenter_auditevent;
            DROP FUNCTION callcenter_audit_append_only();
            """


class Migration(migrations.Migration):
    dependencies = [("callcenter", "0002_role_groups")]

    operations = [migrations.RunSQL(GUARD_SQL, DROP_GUARD_SQL)]
