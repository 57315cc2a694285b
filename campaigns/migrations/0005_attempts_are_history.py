"""A call attempt is history: never updated or deleted, unless the transaction gives a reason in the
callcenter.history_change setting (a personal-data erasure, a data migration; see
callcenter.history).

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

GUARD_SQL = """
            CREATE FUNCTION campaigns_attempt_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('callcenter.history_change', true), '') = '' THEN
                    RAISE EXCEPTION 'call attempts are history: % refused', TG_OP
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$;
            CREATE TRIGGER attempts_are_history BEFORE UPDATE OR DELETE ON campaigns_callattempt
                FOR EACH ROW EXECUTE FUNCTION campaigns_attempt_guard();
            """

DROP_GUARD_SQL = """
            DROP TRIGGER attempts_are_history ON campaigns_callattempt;
            DROP FUNCTION campaigns_attempt_guard();
            """


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0004_entry_autovacuum")]

    operations = [migrations.RunSQL(GUARD_SQL, DROP_GUARD_SQL)]
