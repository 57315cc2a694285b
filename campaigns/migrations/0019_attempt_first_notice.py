"""Each attempt carries the first pre-notice of its campaign sent to its customer
(`first_notice_on`), so the compliance report's pre-notice rule reads the attempt alone instead of
joining a million notices per report.

The value is the earliest `sent_on` of the customer's notices for the campaign as recorded now,
the same fact the report read before: a trigger sets it when an attempt is written (or a history
change moves it to another customer or campaign), and a statement trigger on the notices sets it on
the attempts of every (customer, campaign) pair a recorded, changed or deleted notice touches. The
attempts stay history: the guard lets an UPDATE through that changes nothing but this column, and
only to the value the notices give. Attempts of months moved to the archive schema keep no such
column (the report reads the live months).

Existing attempts are filled set-based (inside the history_change setting), with the covering
index of the report set aside during the fill and built again with the column.

SQL because Django has no way to declare functions and triggers."""

import importlib

from django.db import migrations, models

# Undone, the guard is 0014_attempt_erasure's again (its text, not a copy of it).
GUARD_BEFORE_SQL = importlib.import_module("campaigns.migrations.0014_attempt_erasure").NARROW_DOOR_SQL

CREATE_SQL = """
-- the one definition of the value (a plain SQL function: inlined where a query calls it)
CREATE FUNCTION campaigns_first_notice(customer bigint, campaign bigint) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT min(pn.sent_on) FROM campaigns_prenotice pn WHERE pn.customer_id = customer AND pn.campaign_id = campaign
$$;
CREATE FUNCTION campaigns_attempt_first_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.first_notice_on := campaigns_first_notice(NEW.customer_id, NEW.campaign_id);
    RETURN NEW;
END $$;
CREATE TRIGGER attempt_first_notice
    BEFORE INSERT OR UPDATE OF customer_id, campaign_id ON campaigns_callattempt
    FOR EACH ROW EXECUTE FUNCTION campaigns_attempt_first_notice();

-- the attempts of the (customer, campaign) pairs whose notices changed (transition table "changed")
CREATE FUNCTION campaigns_prenotice_to_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaigns_callattempt a SET first_notice_on = f.first_sent_on
      FROM (SELECT DISTINCT c.customer_id, c.campaign_id FROM changed c) p
      CROSS JOIN LATERAL (SELECT campaigns_first_notice(p.customer_id, p.campaign_id) AS first_sent_on) f
     WHERE a.customer_id = p.customer_id AND a.campaign_id = p.campaign_id
       AND a.first_notice_on IS DISTINCT FROM f.first_sent_on;
    RETURN NULL;
END $$;
CREATE TRIGGER prenotice_recorded AFTER INSERT ON campaigns_prenotice
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_prenotice_to_attempts();
CREATE TRIGGER prenotice_changed AFTER UPDATE ON campaigns_prenotice
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_prenotice_to_attempts();
CREATE TRIGGER prenotice_changed_from AFTER UPDATE ON campaigns_prenotice
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_prenotice_to_attempts();
CREATE TRIGGER prenotice_deleted AFTER DELETE ON campaigns_prenotice
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION campaigns_prenotice_to_attempts();

-- the guard of 0014_attempt_erasure with a third door: first_notice_on changed, and to what the
-- notices say (through to_jsonb: the archived months' tables share the guard and may have no such
-- column); an UPDATE that changes nothing stays refused like any other
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
    IF TG_OP = 'UPDATE' AND to_jsonb(OLD) ? 'first_notice_on'
       AND to_jsonb(NEW) -> 'first_notice_on' IS DISTINCT FROM to_jsonb(OLD) -> 'first_notice_on'
       AND to_jsonb(NEW) - 'first_notice_on' = to_jsonb(OLD) - 'first_notice_on'
       AND (to_jsonb(NEW) ->> 'first_notice_on')::date
           IS NOT DISTINCT FROM campaigns_first_notice(NEW.customer_id, NEW.campaign_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'call attempts are history: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

SELECT set_config('callcenter.history_change', 'migration: store the first pre-notice of each call', true);
-- (every pair with a notice at once: the same value as campaigns_first_notice, set-based)
UPDATE campaigns_callattempt a SET first_notice_on = f.first_sent_on
  FROM (SELECT pn.customer_id, pn.campaign_id, min(pn.sent_on) AS first_sent_on
          FROM campaigns_prenotice pn GROUP BY pn.customer_id, pn.campaign_id) f
 WHERE a.customer_id = f.customer_id AND a.campaign_id = f.campaign_id;
SELECT set_config('callcenter.history_change', '', true);
"""

DROP_SQL = """
DROP TRIGGER prenotice_deleted ON campaigns_prenotice;
DROP TRIGGER prenotice_changed_from ON campaigns_prenotice;
DROP TRIGGER prenotice_changed ON campaigns_prenotice;
DROP TRIGGER prenotice_recorded ON campaigns_prenotice;
DROP FUNCTION campaigns_prenotice_to_attempts();
DROP TRIGGER attempt_first_notice ON campaigns_callattempt;
DROP FUNCTION campaigns_attempt_first_notice();
DROP FUNCTION campaigns_first_notice(bigint, bigint);
"""


COVERED = [
    "id",
    "customer",
    "phone",
    "attempt_number",
    "is_contact",
    "disclosure_confirmed",
    "callback_at",
    "policy_version",
    "local_date",
    "local_time",
    "previous_call_at",
    "next_call_at",
    "last_contact_at",
    "previous_callback_at",
    "calls_in_cap_window",
    "calls_that_day",
    "round_position",
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0018_kpi_dialing_sums"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="callattempt", name="attempt_campaign_time"),
        migrations.AddField(
            model_name="callattempt",
            name="first_notice_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(CREATE_SQL, [DROP_SQL, GUARD_BEFORE_SQL]),
        migrations.AddIndex(
            model_name="callattempt",
            index=models.Index(
                fields=["campaign", "started_at"],
                include=[*COVERED, "first_notice_on"],
                name="attempt_campaign_time",
            ),
        ),
    ]
