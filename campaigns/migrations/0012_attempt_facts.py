"""Each call attempt stores the facts the compliance report judges it by, and calling policies keep
their history.

- campaigns_callingpolicyversion: a policy's rules as they were, immutable; a trigger writes a
  version when a policy is created and whenever one of its rules changes, whatever path saves it.
  Every existing policy gets its version 1 here, as it is now: the attempts made before this
  migration point at it (policies kept no history before).
- facts on the attempt (the policy version in force, the customer's local date and time, the
  customer's previous and next call, the calls in the cap window, the last conversation, the
  entry's calls that day and in the round, the callback the entry's previous call scheduled),
  stored by a BEFORE INSERT trigger (and when a history change moves a call) from the history as
  it stands then: SQL function campaigns_attempt_facts, a few index lookups on the customer's
  calls. campaigns_attempt_facts_all computes the same for every stored attempt at once (as if
  they had been logged in the order they started): the fill below and the benchmark's generator
  use it, the tests prove both agree.

SQL because Django has no way to declare functions and triggers. Attempts are guarded history: the
fill runs inside the transaction-local history_change setting (callcenter.history).
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

# The rules a version keeps (CallingPolicy fields; campaigns.models.policies.VERSIONED_FIELDS).
VERSIONED = (
    "call_window_start, call_window_end, weekdays, skip_holidays, holiday_country, max_attempts,"
    " max_attempts_per_day, min_gap_minutes, retry_delays, cap_attempts, cap_days, cooloff_days_after_contact,"
    " no_resolicit_after_refusal, refusal_scope, blackout_dates, disclosure_required, no_workplace_calls_rule"
)
NEW_VERSIONED = ", ".join(f"NEW.{name.strip()}" for name in VERSIONED.split(","))
OLD_VERSIONED = ", ".join(f"OLD.{name.strip()}" for name in VERSIONED.split(","))

POLICY_VERSION_SQL = f"""
CREATE FUNCTION campaigns_policy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaigns_callingpolicyversion (policy_id, number, created_at, {VERSIONED})
    SELECT NEW.id,
           coalesce((SELECT max(v.number) FROM campaigns_callingpolicyversion v WHERE v.policy_id = NEW.id), 0) + 1,
           clock_timestamp(), {NEW_VERSIONED};
    RETURN NULL;
END $$;
CREATE TRIGGER policy_version_created AFTER INSERT ON campaigns_callingpolicy
    FOR EACH ROW EXECUTE FUNCTION campaigns_policy_version();
CREATE TRIGGER policy_version_changed AFTER UPDATE ON campaigns_callingpolicy
    FOR EACH ROW WHEN (({OLD_VERSIONED}) IS DISTINCT FROM ({NEW_VERSIONED}))
    EXECUTE FUNCTION campaigns_policy_version();

CREATE FUNCTION campaigns_policy_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'calling policy versions are history: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER policy_versions_are_history BEFORE UPDATE ON campaigns_callingpolicyversion
    FOR EACH ROW EXECUTE FUNCTION campaigns_policy_version_guard();

INSERT INTO campaigns_callingpolicyversion (policy_id, number, created_at, {VERSIONED})
SELECT p.id, 1, now(), {VERSIONED} FROM campaigns_callingpolicy p;
"""

DROP_POLICY_VERSION_SQL = """
DROP TRIGGER policy_versions_are_history ON campaigns_callingpolicyversion;
DROP FUNCTION campaigns_policy_version_guard();
DROP TRIGGER policy_version_changed ON campaigns_callingpolicy;
DROP TRIGGER policy_version_created ON campaigns_callingpolicy;
DROP FUNCTION campaigns_policy_version();
"""

FACTS_SQL = """
-- Whether PostgreSQL knows a time zone name (an unknown zone leaves the local time NULL: the
-- report counts such a call as outside the calling hours).
CREATE FUNCTION campaigns_zone_known(zone text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF coalesce(zone, '') = '' THEN
        RETURN false;
    END IF;
    PERFORM timestamptz '2000-01-01 00:00+00' AT TIME ZONE zone;
    RETURN true;
EXCEPTION WHEN OTHERS THEN
    RETURN false;
END $$;

-- The facts of one attempt from the customer's other calls as stored now. "Earlier" is the order
-- (started_at, id); the counts take every stored call, so an attempt logged after later ones
-- counts them too and carries the violation it causes itself (docs/rules.md).
CREATE FUNCTION campaigns_attempt_facts(
    the_id bigint, the_customer bigint, the_campaign bigint, the_entry bigint, the_start timestamptz,
    the_attempt_number integer, the_zone text, the_cap_days integer)
RETURNS TABLE (local_date date, local_time time, previous_call_at timestamptz, next_call_at timestamptz,
               last_contact_at timestamptz, previous_callback_at timestamptz, calls_in_cap_window integer,
               calls_that_day integer, round_position integer)
LANGUAGE sql STABLE AS $$
    WITH here AS (
        SELECT CASE WHEN campaigns_zone_known(the_zone) THEN the_start AT TIME ZONE the_zone END AS local_at
    ),
    calls AS MATERIALIZED (
        SELECT a.id, a.started_at, a.attempt_number, a.is_contact, a.callback_at, a.local_date AS day,
               (a.started_at, a.id) < (the_start, the_id) AS earlier,
               (a.campaign_id = the_campaign AND a.entry_id IS NOT DISTINCT FROM the_entry) AS same_entry
        FROM campaigns_callattempt a
        WHERE a.customer_id = the_customer AND a.id <> the_id
    ),
    round_start AS (  -- the entry's last attempt number 1 before this one (none: this one is one)
        SELECT c.started_at, c.id FROM calls c
        WHERE c.same_entry AND c.earlier AND c.attempt_number = 1 AND the_attempt_number <> 1
        ORDER BY c.started_at DESC, c.id DESC LIMIT 1
    ),
    round_end AS (  -- the entry's next attempt number 1 (only for an attempt logged late)
        SELECT c.started_at, c.id FROM calls c
        WHERE c.same_entry AND NOT c.earlier AND c.attempt_number = 1
        ORDER BY c.started_at, c.id LIMIT 1
    ),
    cap AS (SELECT make_interval(days => the_cap_days) AS span WHERE the_cap_days > 0)
    SELECT h.local_at::date, h.local_at::time,
        (SELECT max(c.started_at) FROM calls c WHERE c.earlier),
        (SELECT min(c.started_at) FROM calls c WHERE NOT c.earlier),
        (SELECT max(c.started_at) FROM calls c WHERE c.earlier AND c.is_contact),
        (SELECT c.callback_at FROM calls c WHERE c.earlier AND c.same_entry ORDER BY c.started_at DESC, c.id DESC
         LIMIT 1),
        (SELECT greatest(
            (SELECT 1 + count(*) FROM calls c WHERE c.earlier AND c.started_at > the_start - cap.span),
            -- a window that ends at a later call holds this one too
            (SELECT max(2 + (SELECT count(*) FROM calls c WHERE (c.started_at, c.id) < (l.started_at, l.id)
                                                      AND c.started_at > l.started_at - cap.span))
             FROM calls l WHERE NOT l.earlier AND l.started_at < the_start + cap.span)
         )::integer FROM cap),
        (SELECT 1 + count(*) FROM calls c WHERE c.same_entry AND c.day IS NOT DISTINCT FROM h.local_at::date)::integer,
        (SELECT 1 + count(*) FROM calls c
         LEFT JOIN round_start rs ON true LEFT JOIN round_end re ON true
         WHERE c.same_entry
           AND ((c.earlier AND the_attempt_number <> 1
                 AND (rs.id IS NULL OR (c.started_at, c.id) >= (rs.started_at, rs.id)))
                OR (NOT c.earlier AND (re.id IS NULL OR (c.started_at, c.id) < (re.started_at, re.id)))))::integer
    FROM here h
$$;

-- The same facts for every stored attempt at once, as if each had been logged in the order the
-- calls started, with the version now in force of its campaign's policy.
CREATE FUNCTION campaigns_attempt_facts_all()
RETURNS TABLE (id bigint, policy_version_id bigint, local_date date, local_time time,
               previous_call_at timestamptz, next_call_at timestamptz, last_contact_at timestamptz,
               previous_callback_at timestamptz, calls_in_cap_window integer, calls_that_day integer,
               round_position integer)
LANGUAGE sql STABLE AS $$
    WITH zones AS MATERIALIZED (
        SELECT z.time_zone FROM (SELECT DISTINCT c.time_zone FROM contacts_customer c) z
        WHERE campaigns_zone_known(z.time_zone)
    ),
    versions AS MATERIALIZED (
        SELECT k.id AS campaign_id, v.id AS version_id,
               CASE WHEN v.cap_attempts IS NOT NULL AND v.cap_days > 0 THEN make_interval(days => v.cap_days) END AS cap
        FROM campaigns_campaign k
        JOIN LATERAL (SELECT * FROM campaigns_callingpolicyversion v WHERE v.policy_id = k.policy_id
                      ORDER BY v.number DESC LIMIT 1) v ON true
    ),
    calls AS (
        SELECT a.id, a.customer_id, a.campaign_id, a.entry_id, a.started_at, a.attempt_number, a.is_contact,
               a.callback_at, v.version_id, v.cap,
               CASE WHEN z.time_zone IS NOT NULL THEN a.started_at AT TIME ZONE c.time_zone END AS local_at
        FROM campaigns_callattempt a
        JOIN contacts_customer c ON c.id = a.customer_id
        LEFT JOIN zones z ON z.time_zone = c.time_zone
        LEFT JOIN versions v ON v.campaign_id = a.campaign_id
    ),
    ordered AS (
        SELECT a.*,
               lag(a.started_at) OVER by_customer AS previous_call_at,
               max(a.started_at) FILTER (WHERE a.is_contact)
                   OVER (by_customer ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_contact_at,
               lag(a.callback_at) OVER by_entry AS previous_callback_at,
               count(*) FILTER (WHERE a.attempt_number = 1) OVER by_entry AS round,
               row_number() OVER (PARTITION BY a.customer_id, a.campaign_id, a.entry_id, a.local_at::date
                                  ORDER BY a.started_at, a.id) AS calls_that_day
        FROM calls a
        WINDOW by_customer AS (PARTITION BY a.customer_id ORDER BY a.started_at, a.id),
               by_entry AS (PARTITION BY a.customer_id, a.campaign_id, a.entry_id ORDER BY a.started_at, a.id)
    )
    SELECT o.id, o.version_id, o.local_at::date, o.local_at::time, o.previous_call_at, NULL::timestamptz,
           o.last_contact_at, o.previous_callback_at,
           CASE WHEN o.cap IS NOT NULL THEN
               (SELECT count(*) FROM campaigns_callattempt c
                WHERE c.customer_id = o.customer_id AND c.started_at > o.started_at - o.cap
                  AND c.started_at <= o.started_at AND (c.started_at < o.started_at OR c.id <= o.id))::integer
           END,
           o.calls_that_day::integer,
           (row_number() OVER (PARTITION BY o.customer_id, o.campaign_id, o.entry_id, o.round
                               ORDER BY o.started_at, o.id))::integer
    FROM ordered o
$$;

CREATE FUNCTION campaigns_attempt_store_facts() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER attempt_facts
    BEFORE INSERT OR UPDATE OF started_at, customer_id, campaign_id, entry_id, attempt_number ON campaigns_callattempt
    FOR EACH ROW EXECUTE FUNCTION campaigns_attempt_store_facts();
"""

DROP_FACTS_SQL = """
DROP TRIGGER attempt_facts ON campaigns_callattempt;
DROP FUNCTION campaigns_attempt_store_facts();
DROP FUNCTION campaigns_attempt_facts_all();
DROP FUNCTION campaigns_attempt_facts(bigint, bigint, bigint, bigint, timestamptz, integer, text, integer);
DROP FUNCTION campaigns_zone_known(text);
"""

FILL_SQL = """
SELECT set_config('callcenter.history_change', 'migration: store the facts of each call', true);
-- In the table's order (a merge join on id): in the function's order (by customer) each row
-- would dirty a random page of a table far larger than shared_buffers (hours at 5M attempts).
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_nestloop = off;
SET LOCAL work_mem = '256MB';
UPDATE campaigns_callattempt a
   SET policy_version_id = f.policy_version_id, local_date = f.local_date, local_time = f.local_time,
       previous_call_at = f.previous_call_at, next_call_at = f.next_call_at, last_contact_at = f.last_contact_at,
       previous_callback_at = f.previous_callback_at, calls_in_cap_window = f.calls_in_cap_window,
       calls_that_day = f.calls_that_day, round_position = f.round_position
  FROM campaigns_attempt_facts_all() f
 WHERE f.id = a.id;
SELECT set_config('callcenter.history_change', '', true);
SET LOCAL enable_hashjoin = on;
SET LOCAL enable_nestloop = on;
ANALYZE campaigns_callattempt;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_appointment_salesperson_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="callattempt",
            name="calls_in_cap_window",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="calls_that_day",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="last_contact_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="local_date",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="local_time",
            field=models.TimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="next_call_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="previous_call_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="previous_callback_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="round_position",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.CreateModel(
            name="CallingPolicyVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(verbose_name="version")),
                ("created_at", models.DateTimeField(verbose_name="in force from")),
                ("call_window_start", models.TimeField(verbose_name="calling hours from")),
                ("call_window_end", models.TimeField(verbose_name="calling hours until")),
                (
                    "weekdays",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.PositiveSmallIntegerField(), size=None, verbose_name="weekdays"
                    ),
                ),
                ("skip_holidays", models.BooleanField(verbose_name="no calls on public holidays")),
                ("holiday_country", models.CharField(max_length=2, verbose_name="holiday calendar")),
                ("max_attempts", models.PositiveIntegerField(verbose_name="max attempts per entry")),
                ("max_attempts_per_day", models.PositiveIntegerField(verbose_name="max attempts per day")),
                ("min_gap_minutes", models.PositiveIntegerField(verbose_name="minimum gap between attempts (minutes)")),
                ("retry_delays", models.JSONField(default=dict, verbose_name="retry delay per outcome")),
                ("cap_attempts", models.PositiveIntegerField(null=True, verbose_name="cross-campaign cap: attempts")),
                ("cap_days", models.PositiveIntegerField(null=True, verbose_name="cross-campaign cap: days")),
                (
                    "cooloff_days_after_contact",
                    models.PositiveIntegerField(null=True, verbose_name="cool-off after a conversation (days)"),
                ),
                ("no_resolicit_after_refusal", models.BooleanField(verbose_name="never call again after a refusal")),
                (
                    "refusal_scope",
                    models.CharField(
                        choices=[
                            ("campaign", "the same campaign"),
                            ("product", "every campaign of the same company and product"),
                            ("company", "every campaign of the same company"),
                        ],
                        max_length=8,
                        verbose_name="a refusal blocks",
                    ),
                ),
                ("blackout_dates", models.JSONField(default=list, verbose_name="blackout dates")),
                (
                    "disclosure_required",
                    models.BooleanField(verbose_name="mandatory disclosure at the start of every call"),
                ),
                (
                    "no_workplace_calls_rule",
                    models.BooleanField(
                        verbose_name="never call the workplace number of a customer who asked not to be called there"
                    ),
                ),
                (
                    "policy",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="campaigns.callingpolicy",
                    ),
                ),
            ],
            options={
                "verbose_name": "calling policy version",
                "verbose_name_plural": "calling policy versions",
                "ordering": ["policy", "number"],
            },
        ),
        migrations.AddField(
            model_name="callattempt",
            name="policy_version",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaigns.callingpolicyversion",
            ),
        ),
        migrations.AddConstraint(
            model_name="callingpolicyversion",
            constraint=models.UniqueConstraint(fields=("policy", "number"), name="policy_version_number"),
        ),
        migrations.RunSQL(POLICY_VERSION_SQL, DROP_POLICY_VERSION_SQL),
        migrations.RunSQL(FACTS_SQL, DROP_FACTS_SQL),
        migrations.RunSQL(FILL_SQL, migrations.RunSQL.noop),
    ]
