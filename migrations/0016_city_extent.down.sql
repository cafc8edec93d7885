CREATE OR REPLACE FUNCTION cityreach_feature_before() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
        NEW.created_at := now();
        NEW.updated_at := now();
        NEW.geom_m := cityreach_to_metric(NEW.geom, NEW.city_id);
    ELSE
        NEW.version := OLD.version + 1;
        NEW.created_at := OLD.created_at;
        NEW.updated_at := now();
        IF NEW.geom IS DISTINCT FROM OLD.geom OR NEW.city_id <> OLD.city_id THEN
            NEW.geom_m := cityreach_to_metric(NEW.geom, NEW.city_id);
        ELSE
            NEW.geom_m := OLD.geom_m;
        END IF;
    END IF;
    NEW.updated_by := coalesce(nullif(current_setting('cityreach.actor', true), ''), current_user);
    RETURN NEW;
END $$;
DROP FUNCTION cityreach_check_extent(text, geometry, geometry, integer);
DROP FUNCTION cityreach_extent_margin_m();
ALTER TABLE cities DROP COLUMN extent_m;
