DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT attrelid::regclass FROM pg_attribute WHERE attname = 'geom_3857_z14' AND NOT attisdropped
    LOOP
        EXECUTE format('ALTER TABLE %s DROP COLUMN geom_3857_z14', t);
    END LOOP;
END $$;

-- 0012's cityreach_track.
CREATE OR REPLACE FUNCTION cityreach_track(p_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION cityreach_feature_before()',
                   'zz_before', p_table);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION cityreach_feature_history()',
                   'zz_history', p_table);
    PERFORM cityreach_tiles_track(p_table);
    PERFORM cityreach_mvt_clearance_track(p_table);
END $$;

-- 0019's history trigger.
CREATE OR REPLACE FUNCTION cityreach_feature_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('cityreach.actor', true), ''), current_user);
BEGIN
    IF current_setting('cityreach.bulk_load', true) = 'on' THEN
        IF TG_OP = 'INSERT' THEN
            RETURN NULL;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM data_editions e WHERE e.city_id = OLD.city_id AND e.as_of >= OLD.created_at) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'insert', actor, to_jsonb(NEW) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance');
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'update', actor,
                to_jsonb(OLD) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance', to_jsonb(NEW) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance');
    ELSE
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row)
        VALUES (TG_TABLE_NAME, OLD.id, OLD.version + 1, 'delete', actor, to_jsonb(OLD) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance');
    END IF;
    RETURN NULL;
END $$;


DROP FUNCTION IF EXISTS cityreach_mvt_z14_track(regclass);
DROP FUNCTION IF EXISTS cityreach_mvt_z14(geometry);
