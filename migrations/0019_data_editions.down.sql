DROP TABLE indicator_targets;
DROP FUNCTION cityreach_as_of(anyelement, integer, timestamptz);
DROP TRIGGER feature_history_append_only ON feature_history;
DROP FUNCTION cityreach_feature_history_append_only();
DROP INDEX feature_history_layer_at_idx;
DROP TABLE data_editions;
DROP FUNCTION cityreach_data_editions_guard();
-- 0012's history trigger.
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
