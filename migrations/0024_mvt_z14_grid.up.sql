-- Dense zoom-14 polygon tiles without a per-tile affine transform (issue 25).
--
-- Migration 0012 lets a polygon with a large minimum clearance skip ST_AsMVTGeom: it is
-- transformed into tile units with PostGIS's own affine factors, snapped to the integer grid
-- and turned clockwise on screen, per feature and per tile. At zoom 14 the tile-unit grid of
-- every tile is one global grid (tile x, y starts at unit 4096·x, 4096·y), so that work can
-- be done once per row: geom_3857_z14 is the polygon in global z14 tile units (x east from
-- the antimeridian, y south from the top of the Mercator square), snapped and oriented. A
-- z14 tile then only translates it by −4096·(x, y), which keeps the integer vertices and the
-- orientation: the bytes of the tile are the same (tested against ST_AsMVTGeom). A dense z14
-- parcel tile of the demo city: 10.5 → 8.7 ms of PostgreSQL CPU.
--
-- 16384 · 4096 / (2 · 20037508.342789244) tile units per EPSG:3857 metre; the integers
-- reach 2^26, far inside a double's exact range.
CREATE FUNCTION cityreach_mvt_z14(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_ForcePolygonCCW(ST_SnapToGrid(ST_Affine(ST_Transform(g, 3857), k, 0, 0, -k, 20037508.342789244 * k, 20037508.342789244 * k), 1))
    FROM (SELECT 16384 * 4096 / (2 * 20037508.342789244) AS k) c
$$;

-- The polygon layers: those that have geom_3857_clearance (0012), now and later (a
-- generated column cannot read geom_3857, itself generated, so it transforms geom again).
CREATE FUNCTION cityreach_mvt_z14_track(p_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = p_table AND a.attname = 'geom_3857_clearance' AND NOT a.attisdropped) THEN
        EXECUTE format('ALTER TABLE %s ADD COLUMN geom_3857_z14 geometry GENERATED ALWAYS AS (cityreach_mvt_z14(geom)) STORED', p_table);
    END IF;
END $$;

DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT attrelid::regclass FROM pg_attribute WHERE attname = 'geom_3857_clearance' AND NOT attisdropped ORDER BY attrelid::regclass::text
    LOOP
        PERFORM cityreach_mvt_z14_track(t);
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
    PERFORM cityreach_mvt_clearance_track(p_table);
    PERFORM cityreach_mvt_z14_track(p_table);
END $$;

-- 0019's history trigger; the z14 copy is derived like geom_3857 and stays out of history.
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
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'insert', actor, to_jsonb(NEW) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance' - 'geom_3857_z14');
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'update', actor,
                to_jsonb(OLD) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance' - 'geom_3857_z14', to_jsonb(NEW) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance' - 'geom_3857_z14');
    ELSE
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row)
        VALUES (TG_TABLE_NAME, OLD.id, OLD.version + 1, 'delete', actor, to_jsonb(OLD) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance' - 'geom_3857_z14');
    END IF;
    RETURN NULL;
END $$;

