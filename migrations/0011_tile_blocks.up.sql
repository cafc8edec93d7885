-- Generalised low-zoom tiles (issue 9). At z12 a residential parcel is a dot of one or two
-- screen pixels, and a z12 tile of a dense city holds ten thousand of them (380 kB, 80 ms
-- of PostgreSQL per tile measured on the bench city). From z12 down, such layers are drawn
-- from blocks: for every cell of the z14 tile grid (about 1.9 × 1.9 km at Baotou's latitude)
-- and every group (a layer may group by a column, e.g. the street class), one feature holding
--   * the geometry of the layer inside the cell, generalised for z12: polygons closer than
--     one z12 screen pixel merged (a buffer of half a pixel out and back in), lines merged
--     end to end, simplified to one z12 tile unit, cut exactly at the cell's edges, so each
--     cell lies within one tile at every zoom up to 12 and neighbouring cells join without
--     a seam;
--   * the number of features and the sums of the layer's additive columns over the features
--     whose ST_PointOnSurface lies in the cell (each feature counted once).
--
-- Blocks are kept current lazily. A statement-level trigger on the layer marks the cells an
-- edit can change (every cell within the merge distance of an old or new row) as dirty; the
-- tile query of a z≤12 tile calls cityreach_tile_blocks(), which recomputes the dirty cells
-- under that tile first. The tile cache evicts the z≤12 tiles around an edit as for any
-- other tile (the cells an edit changes lie within the MVT buffer of the tiles that meet it).

-- Which layers are drawn from blocks, and how.
CREATE TABLE tile_block_specs (
    layer    text PRIMARY KEY,
    group_by text[] NOT NULL DEFAULT '{}', -- columns whose values split a cell's features
    sums     text[] NOT NULL DEFAULT '{}', -- additive numeric columns summed per block
    merge_m  double precision NOT NULL,    -- EPSG:3857 distance under which polygons merge (0 for lines)
    simplify_m double precision NOT NULL   -- EPSG:3857 simplification tolerance
);

CREATE TABLE tile_blocks (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- the MVT feature id
    layer     text NOT NULL REFERENCES tile_block_specs (layer) ON DELETE CASCADE,
    city_id   integer NOT NULL,
    cx        integer NOT NULL, -- the z14 tile column and row of the cell
    cy        integer NOT NULL,
    grp       jsonb NOT NULL DEFAULT '{}', -- the group_by values of the block
    features  integer NOT NULL,            -- features centred in the cell
    sums      jsonb NOT NULL DEFAULT '{}',
    geom_3857 geometry(Geometry, 3857) NOT NULL
);
CREATE INDEX tile_blocks_cell_idx ON tile_blocks (layer, cx, cy);

CREATE TABLE tile_blocks_dirty (
    layer   text NOT NULL REFERENCES tile_block_specs (layer) ON DELETE CASCADE,
    city_id integer NOT NULL,
    cx      integer NOT NULL,
    cy      integer NOT NULL,
    PRIMARY KEY (layer, cx, cy, city_id)
);

-- The z14 cell size and the origin of the grid, in EPSG:3857 metres.
CREATE FUNCTION cityreach_cell_size() RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 2 * 20037508.342789244 / 16384 $$;

-- Marks dirty, for each row's city, every cell within the layer's merge distance of the
-- row's box (EPSG:3857).
CREATE FUNCTION cityreach_tile_blocks_mark(p_layer text, p_cities integer[], p_boxes box2d[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tile_blocks_dirty (layer, city_id, cx, cy)
    SELECT DISTINCT p_layer, r.city_id, cx, cy
    FROM unnest(p_cities, p_boxes) AS r (city_id, b),
         LATERAL (SELECT 2 * merge_m + 1 AS m FROM tile_block_specs WHERE layer = p_layer) s,
         generate_series(floor((ST_XMin(r.b) - s.m + 20037508.342789244) / cityreach_cell_size())::int,
                         floor((ST_XMax(r.b) + s.m + 20037508.342789244) / cityreach_cell_size())::int) cx,
         generate_series(floor((20037508.342789244 - ST_YMax(r.b) - s.m) / cityreach_cell_size())::int,
                         floor((20037508.342789244 - ST_YMin(r.b) + s.m) / cityreach_cell_size())::int) cy
    ON CONFLICT DO NOTHING
$$;

-- The statement-level trigger: the boxes of the old and new rows, grouped by city.
CREATE FUNCTION cityreach_tile_blocks_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cities integer[];
    boxes box2d[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM tile_blocks WHERE layer = TG_TABLE_NAME;
        DELETE FROM tile_blocks_dirty WHERE layer = TG_TABLE_NAME;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(city_id), array_agg(Box2D(geom_3857)) INTO cities, boxes FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(city_id), array_agg(Box2D(geom_3857)) INTO cities, boxes FROM old_rows;
    ELSE
        SELECT array_agg(city_id), array_agg(b) INTO cities, boxes FROM (
            SELECT city_id, Box2D(geom_3857) AS b FROM old_rows
            UNION ALL SELECT city_id, Box2D(geom_3857) FROM new_rows) s;
    END IF;
    IF cities IS NOT NULL THEN
        PERFORM cityreach_tile_blocks_mark(TG_TABLE_NAME, cities, boxes);
    END IF;
    RETURN NULL;
END $$;

-- Recomputes the dirty cells of p_layer with cx in [x0, x1] and cy in [y0, y1]. Concurrent
-- callers do not compute a cell twice: the first deletes its dirty row, the others wait on
-- that row and then find it gone (and, in READ COMMITTED, the first's blocks committed).
CREATE FUNCTION cityreach_tile_blocks_refresh(p_layer text, x0 int, x1 int, y0 int, y1 int) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    sp tile_block_specs;
    grp_cols text := '';
    grp_json text := '''{}''::jsonb';
    sums_json text := '''{}''::jsonb';
    geom_expr text;
    cities int[];
    cxs int[];
    cys int[];
    n integer;
BEGIN
    SELECT * INTO sp FROM tile_block_specs WHERE layer = p_layer;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no tile block spec for %', p_layer;
    END IF;
    WITH d AS (
        DELETE FROM tile_blocks_dirty
        WHERE layer = p_layer AND cx BETWEEN x0 AND x1 AND cy BETWEEN y0 AND y1
        RETURNING city_id, cx, cy)
    SELECT coalesce(array_agg(city_id), '{}'), coalesce(array_agg(cx), '{}'), coalesce(array_agg(cy), '{}')
    INTO cities, cxs, cys FROM d;
    n := cardinality(cxs);
    IF n = 0 THEN
        RETURN 0;
    END IF;
    DELETE FROM tile_blocks b USING unnest(cities, cxs, cys) AS c (city_id, cx, cy)
    WHERE b.layer = p_layer AND b.city_id = c.city_id AND b.cx = c.cx AND b.cy = c.cy;

    IF cardinality(sp.group_by) > 0 THEN
        SELECT string_agg(format(', t.%I', g), ''),
               'jsonb_build_object(' || string_agg(format('%L, t.%I', g, g), ', ') || ')'
        INTO grp_cols, grp_json FROM unnest(sp.group_by) g;
    END IF;
    IF cardinality(sp.sums) > 0 THEN
        SELECT 'jsonb_build_object(' || string_agg(format('%L, sum(t.%I) FILTER (WHERE t.centred)', s, s), ', ') || ')'
        INTO sums_json FROM unnest(sp.sums) s;
    END IF;
    IF sp.merge_m > 0 THEN
        -- Polygons: merge what is closer than 2 × merge_m, then cut at the cell.
        geom_expr := format('ST_CollectionExtract(ST_SimplifyPreserveTopology(ST_Intersection(ST_Buffer(ST_Union(ST_Buffer(t.geom_3857, %1$s, ''join=mitre mitre_limit=2'')), -%1$s, ''join=mitre mitre_limit=2''), c.env), %2$s), 3)',
                            sp.merge_m, sp.simplify_m);
    ELSE
        -- Lines: join end to end, then cut at the cell.
        geom_expr := format('ST_CollectionExtract(ST_Simplify(ST_Intersection(ST_LineMerge(ST_Collect(t.geom_3857)), c.env), %s), 2)', sp.simplify_m);
    END IF;
    EXECUTE format($q$
        INSERT INTO tile_blocks (layer, city_id, cx, cy, grp, features, sums, geom_3857)
        SELECT * FROM (
        SELECT %1$L, c.city_id, c.cx, c.cy, %2$s, count(*) FILTER (WHERE t.centred) AS features, %3$s, %4$s AS geom
        FROM (SELECT cc.*, ST_TileEnvelope(14, cc.cx, cc.cy) AS env FROM unnest($1, $2, $3) AS cc (city_id, cx, cy)) c
        JOIN LATERAL (
            SELECT f.*, floor((ST_X(p) + 20037508.342789244) / cityreach_cell_size()) = c.cx
                    AND floor((20037508.342789244 - ST_Y(p)) / cityreach_cell_size()) = c.cy AS centred
            FROM %5$I f, ST_PointOnSurface(f.geom_3857) p
            WHERE f.city_id = c.city_id AND f.geom_3857 && ST_Expand(c.env, %6$s)) t ON true
        GROUP BY c.city_id, c.cx, c.cy, c.env %7$s) s
        WHERE features > 0 OR NOT ST_IsEmpty(geom)
        $q$, p_layer, grp_json, sums_json, geom_expr, p_layer, 2 * sp.merge_m + 1, grp_cols) USING cities, cxs, cys;
    RETURN n;
END $$;

-- The blocks of a tile at zoom ≤ 12 (cells of the z14 grid inside it), after refreshing
-- its dirty cells; p_city NULL for every city.
CREATE FUNCTION cityreach_tile_blocks(p_layer text, p_city integer, z integer, x integer, y integer)
RETURNS SETOF tile_blocks
LANGUAGE plpgsql AS $$
DECLARE
    k integer := 1 << (14 - z);
BEGIN
    IF z > 12 OR z < 0 THEN
        RAISE EXCEPTION 'tile blocks serve zoom 0 to 12, not %', z;
    END IF;
    IF EXISTS (SELECT 1 FROM tile_blocks_dirty WHERE layer = p_layer AND cx BETWEEN x * k AND x * k + k - 1
               AND cy BETWEEN y * k AND y * k + k - 1) THEN
        PERFORM cityreach_tile_blocks_refresh(p_layer, x * k, x * k + k - 1, y * k, y * k + k - 1);
    END IF;
    RETURN QUERY SELECT * FROM tile_blocks b
        WHERE b.layer = p_layer AND b.cx BETWEEN x * k AND x * k + k - 1 AND b.cy BETWEEN y * k AND y * k + k - 1
          AND (p_city IS NULL OR b.city_id = p_city);
END $$;

-- Recomputes every dirty cell (of one layer, or of all when p_layer is NULL); returns the
-- number of cells. Imports call it after committing, so the first map view at city scale
-- after an import does not wait for thousands of cells.
CREATE FUNCTION cityreach_tile_blocks_refresh_all(p_layer text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    l text;
    n integer := 0;
BEGIN
    FOR l IN SELECT layer FROM tile_block_specs WHERE p_layer IS NULL OR layer = p_layer ORDER BY layer LOOP
        n := n + cityreach_tile_blocks_refresh(l, -2147483648, 2147483647, -2147483648, 2147483647);
    END LOOP;
    RETURN n;
END $$;

-- Puts a layer on blocks: spec, triggers, and every current row's cells marked dirty.
CREATE FUNCTION cityreach_tile_blocks_track(p_layer text, p_group_by text[], p_sums text[], p_merge_m float8, p_simplify_m float8) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cities integer[];
    boxes box2d[];
BEGIN
    INSERT INTO tile_block_specs (layer, group_by, sums, merge_m, simplify_m) VALUES (p_layer, p_group_by, p_sums, p_merge_m, p_simplify_m);
    EXECUTE format('CREATE TRIGGER zz_blocks_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tile_blocks_touch()', p_layer);
    EXECUTE format('CREATE TRIGGER zz_blocks_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tile_blocks_touch()', p_layer);
    EXECUTE format('CREATE TRIGGER zz_blocks_del AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tile_blocks_touch()', p_layer);
    EXECUTE format('CREATE TRIGGER zz_blocks_trunc AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tile_blocks_touch()', p_layer);
    EXECUTE format('SELECT array_agg(city_id), array_agg(Box2D(geom_3857)) FROM %I', p_layer) INTO cities, boxes;
    IF cities IS NOT NULL THEN
        PERFORM cityreach_tile_blocks_mark(p_layer, cities, boxes);
    END IF;
END $$;

-- z12 screen pixel = 2 × 20037508.34 / 2^12 / 256 = 38.22 m; tile unit = 1/4096 of the
-- tile = 2.39 m. Parcels closer than a screen pixel merge; both simplify to a tile unit.
SELECT cityreach_tile_blocks_track('residential_land', '{}', ARRAY['population', 'households', 'area_m2'], 19.109257071294063, 2.388657133911758);
SELECT cityreach_tile_blocks_track('network_edges', ARRAY['highway'], ARRAY['length_m'], 0, 2.388657133911758);
