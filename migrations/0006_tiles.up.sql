-- Vector tiles: every feature table gets its geometry stored in Web Mercator (EPSG:3857),
-- the CRS of the tile grid, because ST_AsMVT on stored 3857 geometry measured ~7 ms per
-- dense z14 tile against ~47 ms when transforming on the fly; and a statement-level trigger
-- that tells every listening server which extents an edit touched, so tile caches in any
-- process evict exactly the tiles that changed (see docs/tiles.md).

-- The extent payload: one [xmin, ymin, xmax, ymax] box (EPSG:4326) per changed row, old and
-- new, when few rows changed; otherwise the union of all of them, so the payload stays far
-- below NOTIFY's 8000-byte limit. Boxes are rounded outwards to 1e-7 degrees (about 1 cm).
CREATE FUNCTION cityreach_tiles_boxes(p_boxes box2d[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH b AS (SELECT x FROM unnest(p_boxes) AS x WHERE x IS NOT NULL),
         u AS (SELECT CASE WHEN count(*) <= 40 THEN array_agg(x)
                           ELSE ARRAY[ST_Extent(x::geometry)::box2d] END AS boxes
               FROM b)
    SELECT coalesce(jsonb_agg(jsonb_build_array(
               floor(ST_XMin(x) * 1e7) / 1e7, floor(ST_YMin(x) * 1e7) / 1e7,
               ceil(ST_XMax(x) * 1e7) / 1e7, ceil(ST_YMax(x) * 1e7) / 1e7)), '[]'::jsonb)
    FROM u, unnest(u.boxes) AS x
$$;

-- Statement-level AFTER trigger: one notification per statement, whatever the row count
-- (a bulk import of a million rows sends one message). Attribute-only updates notify too,
-- since tiles carry attributes. pg_notify is transactional: the message is delivered on
-- commit and never for a rolled-back edit.
CREATE FUNCTION cityreach_tiles_notify() RETURNS trigger
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

-- Adds geom_3857 (kept equal to ST_Transform(geom, 3857) by PostgreSQL itself, as a stored
-- generated column with the table's geometry typmod), its GiST index and the notify triggers
-- to one feature table.
CREATE FUNCTION cityreach_tiles_track(p_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    gtype text;
    tname text;
BEGIN
    SELECT c.relname, postgis_typmod_type(a.atttypmod) INTO tname, gtype
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'geom'
    WHERE c.oid = p_table;
    IF gtype IS NULL THEN
        RAISE EXCEPTION '% has no typed geom column', p_table;
    END IF;
    EXECUTE format('ALTER TABLE %s ADD COLUMN geom_3857 geometry(%s, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED',
                   p_table, gtype);
    EXECUTE format('CREATE INDEX %I ON %s USING gist (geom_3857)', tname || '_geom_3857_gix', p_table);
    EXECUTE format('CREATE TRIGGER zz_tiles_ins AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify()', p_table);
    EXECUTE format('CREATE TRIGGER zz_tiles_upd AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify()', p_table);
    EXECUTE format('CREATE TRIGGER zz_tiles_del AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify()', p_table);
    EXECUTE format('CREATE TRIGGER zz_tiles_trunc AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify()', p_table);
END $$;

-- Every feature table present now: those carrying the shared history trigger.
DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT tg.tgrelid::regclass FROM pg_trigger tg
             JOIN pg_proc p ON p.oid = tg.tgfoid
             WHERE p.proname = 'cityreach_feature_history' AND NOT tg.tgisinternal
             ORDER BY 1::text
    LOOP
        PERFORM cityreach_tiles_track(t);
    END LOOP;
END $$;

-- Feature tables created by later migrations get the same through cityreach_track.
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
