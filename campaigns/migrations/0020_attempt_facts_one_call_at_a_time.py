"""The facts of two calls of one customer logged by concurrent transactions: each attempt's
facts trigger first takes the customer's call-logging lock (advisory, namespace CUSTOMER_CALLS of
callcenter.locks) for the rest of its transaction, so the second call's facts are computed once
the first one is committed and count it (its previous call, the calls of its day and cap window).
Before, neither saw the other, and a gap or cap broken by the pair went unreported.

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

LOCKED_SQL = """
CREATE OR REPLACE FUNCTION campaigns_attempt_store_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One call of a customer at a time: a call logged by a concurrent transaction is seen once
    -- that transaction commits (the queries below take their snapshot after the lock). Namespace
    -- CUSTOMER_CALLS of callcenter.locks.
    PERFORM pg_advisory_xact_lock(5105004, mod(NEW.customer_id, 2147483647)::integer);
    IF TG_OP = 'INSERT' OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id THEN
        -- the version in force when the call is logged
        NEW.policy_version_id := (
            SELECT v.id FROM campaigns_campaign k
            JOIN campaigns_callingpolicyversion v ON v.policy_id = k.policy_id
            WHERE k.id = NEW.campaign_id ORDER BY v.number DESC LIMIT 1);
    END IF;
    SELECT f.local_date, f.local_time, f.previous_call_at, f.next_call_at, f.last_contact_at,
           f.previous_callback_at, f.calls_in_cap_window, f.calls_that_day, f.round_position
      INTO NEW.local_date, NEW.local_time, NEW.previous_call_at, NEW.next_call_at, NEW.last_contact_at,
           NEW.previous_callback_at, NEW.calls_in_cap_window, NEW.calls_that_day, NEW.round_position
      FROM contacts_customer c
      CROSS JOIN LATERAL campaigns_attempt_facts(
          NEW.id, NEW.customer_id, NEW.campaign_id, NEW.entry_id, NEW.started_at, NEW.attempt_number, c.time_zone,
          (SELECT v.cap_days FROM campaigns_callingpolicyversion v
           WHERE v.id = NEW.policy_version_id AND v.cap_attempts IS NOT NULL)::integer) f
     WHERE c.id = NEW.customer_id;
    RETURN NEW;
END $$;
"""

UNLOCKED_SQL = """
CREATE OR REPLACE FUNCTION campaigns_attempt_store_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id THEN
        -- the version in force when the call is logged
        NEW.policy_version_id := (
            SELECT v.id FROM campaigns_campaign k
            JOIN campaigns_callingpolicyversion v ON v.policy_id = k.policy_id
            WHERE k.id = NEW.campaign_id ORDER BY v.number DESC LIMIT 1);
    END IF;
    SELECT f.local_date, f.local_time, f.previous_call_at, f.next_call_at, f.last_contact_at,
           f.previous_callback_at, f.calls_in_cap_window, f.calls_that_day, f.round_position
      INTO NEW.local_date, NEW.local_time, NEW.previous_call_at, NEW.next_call_at, NEW.last_contact_at,
           NEW.previous_callback_at, NEW.calls_in_cap_window, NEW.calls_that_day, NEW.round_position
      FROM contacts_customer c
      CROSS JOIN LATERAL campaigns_attempt_facts(
          NEW.id, NEW.customer_id, NEW.campaign_id, NEW.entry_id, NEW.started_at, NEW.attempt_number, c.time_zone,
          (SELECT v.cap_days FROM campaigns_callingpolicyversion v
           WHERE v.id = NEW.policy_version_id AND v.cap_attempts IS NOT NULL)::integer) f
     WHERE c.id = NEW.customer_id;
    RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0019_attempt_first_notice"),
    ]

    operations = [migrations.RunSQL(LOCKED_SQL, UNLOCKED_SQL)]
