-- Restores the functions 0002 defined and removes what 0006 added.
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
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'insert', actor, to_jsonb(NEW) - 'geom_m');
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'update', actor,
                to_jsonb(OLD) - 'geom_m', to_jsonb(NEW) - 'geom_m');
    ELSE
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row)
        VALUES (TG_TABLE_NAME, OLD.id, OLD.version + 1, 'delete', actor, to_jsonb(OLD) - 'geom_m');
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cityreach_track(p_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION cityreach_feature_before()',
                   'zz_before', p_table);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION cityreach_feature_history()',
                   'zz_history', p_table);
END $$;

DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT DISTINCT tg.tgrelid::regclass FROM pg_trigger tg
             JOIN pg_proc p ON p.oid = tg.tgfoid
             WHERE p.proname = 'cityreach_tiles_notify' AND NOT tg.tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER zz_tiles_ins ON %s', t);
        EXECUTE format('DROP TRIGGER zz_tiles_upd ON %s', t);
        EXECUTE format('DROP TRIGGER zz_tiles_del ON %s', t);
        EXECUTE format('DROP TRIGGER zz_tiles_trunc ON %s', t);
        EXECUTE format('ALTER TABLE %s DROP COLUMN geom_3857', t);
    END LOOP;
END $$;

DROP FUNCTION cityreach_tiles_track(regclass);
DROP FUNCTION cityreach_tiles_notify();
DROP FUNCTION cityreach_tiles_boxes(box2d[]);
