"""Published script versions frozen in the database (one draft and one published version per
script are ScriptVersion's unique constraints, in 0001).

The services refuse to edit a published version; these triggers make sure nothing else can either
(a queryset .update(), the admin, a shell, raw SQL). The step and choice triggers take a share lock
on their version row, so an edit racing with a publish either finishes before the publish or fails
after it: never a step changed behind a validated, published version.

SQL because Django has no way to declare functions and triggers."""

from django.db import migrations

GUARDS_SQL = """
CREATE OR REPLACE FUNCTION scripts_version_frozen(version_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    current_status varchar;
BEGIN
    SELECT status INTO current_status FROM scripts_scriptversion WHERE id = version_id FOR SHARE;
    RETURN current_status IS NOT NULL AND current_status <> 'draft';
END $$;

CREATE OR REPLACE FUNCTION scripts_refuse_frozen_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'script version % is % and cannot be deleted', OLD.id, OLD.status
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    -- A frozen version may only go from published to retired (when a newer one is published);
    -- user columns may be nulled when a user is deleted.
    IF (NEW.script_id, NEW.number, NEW.start_step_id, NEW.notes, NEW.published_at)
           IS DISTINCT FROM (OLD.script_id, OLD.number, OLD.start_step_id, OLD.notes, OLD.published_at)
       OR NOT (NEW.status = OLD.status OR (OLD.status = 'published' AND NEW.status = 'retired')) THEN
        RAISE EXCEPTION 'script version % is % and cannot be changed', OLD.id, OLD.status
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION scripts_refuse_frozen_step() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND scripts_version_frozen(OLD.version_id) THEN
        RAISE EXCEPTION 'step % belongs to a published script version', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND scripts_version_frozen(NEW.version_id) THEN
        RAISE EXCEPTION 'script version % is published: steps cannot be added or changed', NEW.version_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION scripts_refuse_frozen_choice() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE')
       AND scripts_version_frozen((SELECT version_id FROM scripts_step WHERE id = OLD.step_id)) THEN
        RAISE EXCEPTION 'choice % belongs to a published script version', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE')
       AND scripts_version_frozen((SELECT version_id FROM scripts_step WHERE id = NEW.step_id)) THEN
        RAISE EXCEPTION 'step % belongs to a published script version: choices cannot change', NEW.step_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER scripts_version_frozen_guard BEFORE UPDATE OR DELETE ON scripts_scriptversion
    FOR EACH ROW EXECUTE FUNCTION scripts_refuse_frozen_version();
CREATE TRIGGER scripts_step_frozen_guard BEFORE INSERT OR UPDATE OR DELETE ON scripts_step
    FOR EACH ROW EXECUTE FUNCTION scripts_refuse_frozen_step();
CREATE TRIGGER scripts_choice_frozen_guard BEFORE INSERT OR UPDATE OR DELETE ON scripts_choice
    FOR EACH ROW EXECUTE FUNCTION scripts_refuse_frozen_choice();
"""

DROP_GUARDS_SQL = """
DROP TRIGGER IF EXISTS scripts_choice_frozen_guard ON scripts_choice;
DROP TRIGGER IF EXISTS scripts_step_frozen_guard ON scripts_step;
DROP TRIGGER IF EXISTS scripts_version_frozen_guard ON scripts_scriptversion;
DROP FUNCTION IF EXISTS scripts_refuse_frozen_choice();
DROP FUNCTION IF EXISTS scripts_refuse_frozen_step();
DROP FUNCTION IF EXISTS scripts_refuse_frozen_version();
DROP FUNCTION IF EXISTS scripts_version_frozen(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("scripts", "0001_initial")]

    operations = [migrations.RunSQL(GUARDS_SQL, DROP_GUARDS_SQL)]
