-- A replicated change log for the tile caches (issue 23, item 3; docs/scale-out.md).
--
-- NOTIFY is not written to the WAL, so a server whose tiles are read from a streaming
-- replica never hears the primary's cityreach_tiles notifications for the data it reads.
-- The same statement-level triggers now also append one row per edit statement to
-- tile_changes, an ordinary table, which every replica replays in commit order with the
-- edit itself: a row becomes visible on a server exactly when the edit it describes does.
-- Each server polls the table on the database it reads tiles from (internal/tiles,
-- changelog.go) and evicts the tiles the boxes touch; NOTIFY stays as the fast path on the
-- primary, and carries the row's id so a server that gets both processes the edit once.
--
-- Ids come from a sequence, so they are not in commit order: a reader cannot keep "the
-- highest id seen". It keeps the xmin of its last snapshot instead: any row not visible in
-- a snapshot belongs to a transaction that was still running (or had not started), whose
-- id (xid, the top-level transaction's) is therefore at or above the snapshot's xmin. So
-- `WHERE xid >= $last_xmin` never misses a row, and the reader skips those it has seen.
CREATE TABLE tile_changes (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid   xid8 NOT NULL DEFAULT pg_current_xact_id(), -- the writing (top-level) transaction
    at    timestamptz NOT NULL DEFAULT now(),          -- its start, for pruning
    layer text NOT NULL,                                -- the edited table
    boxes jsonb,                                        -- the NOTIFY payload's boxes (EPSG:4326); NULL with whole
    whole boolean NOT NULL DEFAULT false                -- every tile of the layer (TRUNCATE, category edits)
);
CREATE INDEX tile_changes_xid_idx ON tile_changes (xid);

-- Rows older than an hour are pruned by the triggers themselves (every 64th row, unless
-- another transaction is pruning), and the
-- highest pruned xid is kept here: a reader whose floor is at or below it may have lost a
-- row it had not read (it was away longer than the bound, or a transaction ran longer than
-- it) and drops its whole cache, as after a listener's reconnection.
CREATE TABLE tile_changes_pruned (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    xid xid8 NOT NULL
);
INSERT INTO tile_changes_pruned (xid) VALUES ('0');

-- Appends one change and notifies it; boxes NULL means the whole layer.
CREATE FUNCTION cityreach_tiles_log(p_layer text, p_boxes jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    gone xid8;
BEGIN
    INSERT INTO tile_changes (layer, boxes, whole) VALUES (p_layer, p_boxes, p_boxes IS NULL) RETURNING id INTO cid;
    IF p_boxes IS NULL THEN
        PERFORM pg_notify('cityreach_tiles', jsonb_build_object('layer', p_layer, 'all', true, 'id', cid)::text);
    ELSE
        PERFORM pg_notify('cityreach_tiles', jsonb_build_object('layer', p_layer, 'boxes', p_boxes, 'id', cid)::text);
    END IF;
    -- Pruning takes a transaction lock, so a second pruner skips instead of waiting for
    -- the first (perhaps a long import) to commit.
    IF cid % 64 = 0 AND pg_try_advisory_xact_lock(hashtext('cityreach_tile_changes_prune')) THEN
        WITH d AS (DELETE FROM tile_changes WHERE at < now() - interval '1 hour' RETURNING xid)
        SELECT max(xid) INTO gone FROM d;
        IF gone IS NOT NULL THEN
            UPDATE tile_changes_pruned SET xid = greatest(xid, gone);
        END IF;
    END IF;
END $$;

-- 0006's trigger function, writing the log.
CREATE OR REPLACE FUNCTION cityreach_tiles_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    boxes box2d[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM cityreach_tiles_log(TG_TABLE_NAME, NULL);
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
    PERFORM cityreach_tiles_log(TG_TABLE_NAME, cityreach_tiles_boxes(boxes));
    RETURN NULL;
END $$;

-- 0009's whole-layer trigger function (facility_categories), writing the log.
CREATE OR REPLACE FUNCTION cityreach_tiles_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cityreach_tiles_log(TG_TABLE_NAME, NULL);
    RETURN NULL;
END $$;
