DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT attrelid::regclass FROM pg_attribute WHERE attname = 'geom_3857_clearance' AND NOT attisdropped
    LOOP
        EXECUTE format('ALTER TABLE %s DROP COLUMN geom_3857_clearance', t);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION cityreach_track(p_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION cityreach_feature_before()',
                   'zz_before', p_table);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION cityreach_feature_history()',
                   'zz_history', p_table);
    PERFORM cityreach_tiles_track(p_table);
END $$;

-- The history keeps the 4326 geometry only; the 3857 copy is derived, like geom_m.
CREATE OR REPLACE FUNCTION cityreach_feature_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('cityreach.actor', true), ''), current_user);
BEGIN
    IF current_setting('cityreach.bulk_load', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'insert', actor, to_jsonb(NEW) - 'geom_m' - 'geom_3857');
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'update', actor,
                to_jsonb(OLD) - 'geom_m' - 'geom_3857', to_jsonb(NEW) - 'geom_m' - 'geom_3857');
    ELSE
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row)
        VALUES (TG_TABLE_NAME, OLD.id, OLD.version + 1, 'delete', actor, to_jsonb(OLD) - 'geom_m' - 'geom_3857');
    END IF;
    RETURN NULL;
END $$;

DROP FUNCTION IF EXISTS cityreach_mvt_clearance_track(regclass);
DROP FUNCTION IF EXISTS cityreach_mvt_clearance(geometry);
