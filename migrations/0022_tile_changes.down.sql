-- Restores the trigger functions of 0006 and 0009 and drops the change log.
CREATE OR REPLACE FUNCTION cityreach_tiles_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    boxes box2d[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('cityreach_tiles', jsonb_build_object('layer', TG_TABLE_NAME, 'all', true)::text);
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(Box2D(geom)) INTO boxes FROM (SELECT geom FROM new_rows LIMIT 41) s;
        IF array_length(boxes, 1) > 40 THEN
            SELECT ARRAY[ST_Extent(geom)] INTO boxes FROM new_rows;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(Box2D(geom)) INTO boxes FROM (SELECT geom FROM old_rows LIMIT 41) s;
        IF array_length(boxes, 1) > 40 THEN
            SELECT ARRAY[ST_Extent(geom)] INTO boxes FROM old_rows;
        END IF;
    ELSE
        SELECT array_agg(b) INTO boxes FROM (
            SELECT Box2D(geom) AS b FROM (SELECT geom FROM old_rows LIMIT 21) o
            UNION ALL
            SELECT Box2D(geom) FROM (SELECT geom FROM new_rows LIMIT 21) n) s;
        IF array_length(boxes, 1) > 40 THEN
            SELECT ARRAY[ST_Extent(b)] INTO boxes FROM (
                SELECT geom AS b FROM old_rows UNION ALL SELECT geom FROM new_rows) s;
        END IF;
    END IF;
    IF boxes IS NULL THEN
        RETURN NULL; -- the statement changed no rows
    END IF;
    PERFORM pg_notify('cityreach_tiles', jsonb_build_object(
        'layer', TG_TABLE_NAME, 'boxes', cityreach_tiles_boxes(boxes))::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cityreach_tiles_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cityreach_tiles', jsonb_build_object('layer', TG_TABLE_NAME, 'all', true)::text);
    RETURN NULL;
END $$;

DROP FUNCTION cityreach_tiles_log(text, jsonb);
DROP TABLE tile_changes_pruned;
DROP TABLE tile_changes;
