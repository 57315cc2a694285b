"""Call attempts stay history, with one narrow door for a personal-data erasure: while the
transaction names a customer in the callcenter.attempt_erasure setting (callcenter.history.
attempt_erasure), an UPDATE of one of that customer's attempts goes through when it changes
nothing but the number dialed, the notes and the script answers. Times, outcome, meaning and
every other column stay as logged (the KPIs and the compliance report read them). The broader
callcenter.history_change door is unchanged.

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

NARROW_DOOR_SQL = """
            CREATE OR REPLACE FUNCTION campaigns_attempt_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('callcenter.history_change', true), '') <> '' THEN
                    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                END IF;
                IF TG_OP = 'UPDATE'
                   AND OLD.customer_id::text = coalesce(current_setting('callcenter.attempt_erasure', true), '')
                   AND to_jsonb(NEW) - 'phone' - 'notes' - 'answers' = to_jsonb(OLD) - 'phone' - 'notes' - 'answers'
                THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'call attempts are history: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            """

HISTORY_ONLY_SQL = """
            CREATE OR REPLACE FUNCTION campaigns_attempt_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('callcenter.history_change', true), '') = '' THEN
                    RAISE EXCEPTION 'call attempts are history: % refused', TG_OP
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END $$;
            """


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0013_report_covering_index")]

    operations = [migrations.RunSQL(NARROW_DOOR_SQL, HISTORY_ONLY_SQL)]
