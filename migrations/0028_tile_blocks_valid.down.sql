-- The refresh of migration 0011, without ST_MakeValid.
CREATE OR REPLACE FUNCTION cityreach_tile_blocks_refresh(p_layer text, x0 int, x1 int, y0 int, y1 int) RETURNS integer
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
