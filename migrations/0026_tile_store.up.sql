-- A store of pre-rendered dense tiles (issue 25 item 4; docs/tiles.md, "The tile store").
--
-- A dense zoom-14 tile of the demo city costs about 8 ms of PostgreSQL CPU to draw, so 16
-- clients on two cores queue for hundreds of milliseconds. The server therefore keeps the
-- rendered (gzipped) bytes of the densest tiles of the default, parameter-less requests
-- here, and serves them with one index lookup. Edits never meet a stale row:
--
-- * Every edit statement of a feature table already appends one row to tile_changes
--   (migration 0022) in its own transaction, with the EPSG:4326 boxes of the old and new
--   rows (rounded outwards) or `whole`. The trigger below empties (gz NULL), in that same
--   transaction, the stored tiles of that layer whose envelope grown by the MVT buffer
--   (256/4096) meets one of the boxes (grown by 16 m: the bounding boxes && compares are float4, up to 2 m off): every tile whose
--   feature selection (`geom_3857 && buffered envelope`) the edit can change. A replica
--   replays it with the edit. The emptied row stays as a mark of a tile to draw again
--   (the server does, once edits have stopped for a moment).
-- * A fill (internal/tiles, store.go) renders and inserts a tile in one transaction that
--   first takes `LOCK TABLE <layer> IN SHARE MODE`: it waits for edits in progress and
--   holds new ones back until it commits, so an edit either is seen by the render or
--   commits after the row, and then its trigger's UPDATE (a new snapshot under READ
--   COMMITTED) finds the row.
-- * An edit in a REPEATABLE READ or SERIALIZABLE transaction reads from its own, older
--   snapshot and could miss a row a fill committed after it (and could fail to update
--   it): it raises the layer's epoch instead, and a stored row is served only while its
--   epoch is the current one (every stored tile of the layer waits for the next fill).
--   The server's own edits are READ COMMITTED.
-- * `digest` is the SHA-256 of the statement and arguments the live render would run
--   (and of the PostGIS version): a row drawn by other code, other defaults or another
--   PostGIS is never served.
CREATE TABLE tile_store (
    layer   text NOT NULL,
    z       integer NOT NULL,
    x       integer NOT NULL,
    y       integer NOT NULL,
    digest  bytea NOT NULL,
    epoch   bigint NOT NULL,
    etag    text,            -- the quoted strong ETag of the uncompressed tile
    raw_len integer,
    gz      bytea,           -- the MVT, gzipped; NULL: emptied by an edit, to draw again
    made_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer, z, x, y)
);
-- gzip output does not compress again.
ALTER TABLE tile_store ALTER COLUMN gz SET STORAGE EXTERNAL;

CREATE TABLE tile_store_epochs (
    layer text PRIMARY KEY,
    epoch bigint NOT NULL
);

CREATE FUNCTION cityreach_tile_store_evict() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        INSERT INTO tile_store_epochs AS e (layer, epoch) VALUES (NEW.layer, 1)
        ON CONFLICT (layer) DO UPDATE SET epoch = e.epoch + 1;
        RETURN NULL;
    END IF;
    IF NEW.whole OR NEW.boxes IS NULL THEN
        UPDATE tile_store SET gz = NULL, etag = NULL, raw_len = NULL WHERE layer = NEW.layer AND gz IS NOT NULL;
        RETURN NULL;
    END IF;
    -- Latitudes are clamped inside Web Mercator's domain; tiles stop at ±85.0511°.
    UPDATE tile_store s SET gz = NULL, etag = NULL, raw_len = NULL
    WHERE s.layer = NEW.layer AND s.gz IS NOT NULL
      AND EXISTS (SELECT 1 FROM jsonb_array_elements(NEW.boxes) b
                  WHERE ST_TileEnvelope(s.z, s.x, s.y, margin => 256 / 4096.0) && ST_Expand(ST_Transform(ST_MakeEnvelope(
                        (b->>0)::float8, greatest(least((b->>1)::float8, 89.9), -89.9),
                        (b->>2)::float8, greatest(least((b->>3)::float8, 89.9), -89.9), 4326), 3857), 16));
    RETURN NULL;
END $$;

CREATE TRIGGER tile_store_evict AFTER INSERT ON tile_changes
    FOR EACH ROW EXECUTE FUNCTION cityreach_tile_store_evict();
