"""A do-not-call entry is never deleted and changes only by its revocation (revoked_at,
revoked_by, revoke_reason, set once), unless the transaction gives a reason in the
callcenter.history_change setting (a data migration; see callcenter.history).

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

GUARD_SQL = """
            CREATE FUNCTION contacts_dnc_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('callcenter.history_change', true), '') <> '' THEN
                    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'do-not-call entries are never deleted: revoke it instead'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF OLD.revoked_at IS NOT NULL
                   OR to_jsonb(NEW) - 'revoked_at' - 'revoked_by_id' - 'revoke_reason'
                      IS DISTINCT FROM to_jsonb(OLD) - 'revoked_at' - 'revoked_by_id' - 'revoke_reason' THEN
                    RAISE EXCEPTION 'a do-not-call entry changes only by its revocation, once'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER dnc_changes_only_by_revocation BEFORE UPDATE OR DELETE ON contacts_donotcall
                FOR EACH ROW EXECUTE FUNCTION contacts_dnc_guard();
            """

DROP_GUARD_SQL = """
            DROP TRIGGER dnc_changes_only_by_revocation ON contacts_donotcall;
            DROP FUNCTION contacts_dnc_guard();
            """


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunSQL(GUARD_SQL, DROP_GUARD_SQL)]
