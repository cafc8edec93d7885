-- A feature must lie within its city's extent: the bounding box of the city's boundary,
-- in the city's metric CRS, widened by 50 km on every side (docs/security.md, "Requests and
-- failures"). This catches coordinates in another CRS than the one claimed (degrees sent
-- as EPSG:4546 land near the equator, 4,500 km away) on every path that writes a feature:
-- the API, imports, scenario promotion and the loaders. A city without a boundary has no
-- extent and no such check.

-- The extent is stored with the city, so the check reads a five-point polygon, not the
-- boundary (thousands of vertices), for every row written.
ALTER TABLE cities ADD COLUMN extent_m geometry(Polygon)
    GENERATED ALWAYS AS (ST_Envelope(ST_Transform(ST_Envelope(geom), metric_srid))) STORED;

-- The margin of the extent check, in metres.
CREATE FUNCTION cityreach_extent_margin_m() RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 50000::double precision $$;

-- Refuses g_m (a feature's metric geometry) when it is not inside the city's extent
-- widened by the margin, as a check_violation naming <table>_geom_in_city_extent and the
-- longitude/latitude of the point of g (4326) farthest from the extent's centre.
CREATE FUNCTION cityreach_check_extent(p_table text, g geometry, g_m geometry, p_city integer) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    e geometry;
    slug text;
    p geometry;
BEGIN
    IF g_m IS NULL THEN
        RETURN; -- empty or out of range: the geometry constraints refuse it with their own names
    END IF;
    SELECT c.extent_m, c.slug INTO e, slug FROM cities c WHERE c.id = p_city;
    IF e IS NULL OR ST_Expand(e, cityreach_extent_margin_m()) ~ g_m THEN
        RETURN;
    END IF;
    p := ST_PointN(ST_LongestLine(ST_Transform(ST_Centroid(e), 4326), g), 2);
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = p_table || '_geom_in_city_extent',
        MESSAGE = format('the geometry lies outside the extent of city %s (the bounding box of its boundary widened by %s km): it reaches %s, %s',
                         slug, cityreach_extent_margin_m() / 1000, round(ST_X(p)::numeric, 6), round(ST_Y(p)::numeric, 6));
END $$;

-- 0002's trigger function, plus the extent check whenever the metric geometry is computed.
CREATE OR REPLACE FUNCTION cityreach_feature_before() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
        NEW.created_at := now();
        NEW.updated_at := now();
        NEW.geom_m := cityreach_to_metric(NEW.geom, NEW.city_id);
        PERFORM cityreach_check_extent(TG_TABLE_NAME, NEW.geom, NEW.geom_m, NEW.city_id);
    ELSE
        NEW.version := OLD.version + 1;
        NEW.created_at := OLD.created_at;
        NEW.updated_at := now();
        IF NEW.geom IS DISTINCT FROM OLD.geom OR NEW.city_id <> OLD.city_id THEN
            NEW.geom_m := cityreach_to_metric(NEW.geom, NEW.city_id);
            PERFORM cityreach_check_extent(TG_TABLE_NAME, NEW.geom, NEW.geom_m, NEW.city_id);
        ELSE
            NEW.geom_m := OLD.geom_m;
        END IF;
    END IF;
    NEW.updated_by := coalesce(nullif(current_setting('cityreach.actor', true), ''), current_user);
    RETURN NEW;
END $$;
