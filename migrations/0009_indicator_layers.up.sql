-- Indicator layers served to planners' tools: the park-coverage gap layer as vector tiles
-- and as an OGC API – Features collection.
--
-- Every gap piece gets its own id (the collection's feature id) and its geometry in
-- EPSG:3857 for tiles, kept equal to ST_Transform(geom, 3857) by PostgreSQL.
ALTER TABLE coverage_gaps
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE coverage_gaps ADD CONSTRAINT coverage_gaps_id_key UNIQUE (id);
CREATE INDEX coverage_gaps_geom_3857_gix ON coverage_gaps USING gist (geom_3857);

-- One row per gap piece of every stored run, with the run's caliber, method and data
-- version, so a piece says how it was computed. The service restricts reads to the runs
-- of the current data (internal/coverage, GapCollection). A piece never changes once
-- stored, so its version is always 1.
CREATE VIEW park_coverage_gaps AS
SELECT g.id, 1 AS version, r.city_id, c.slug AS city, g.run_id, r.caliber_id, r.method, r.data_hash,
       r.computed_at, g.parcel_id, g.area_m2, g.population, g.geom
FROM coverage_gaps g
JOIN coverage_runs r ON r.id = g.run_id
JOIN cities c ON c.id = r.city_id;

-- A category's walking tier decides every community's living-circle status, so an edit of
-- facility_categories redraws the whole living-circle tile layer.
CREATE FUNCTION cityreach_tiles_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cityreach_tiles', jsonb_build_object('layer', TG_TABLE_NAME, 'all', true)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER zz_tiles_all AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facility_categories
    FOR EACH STATEMENT EXECUTE FUNCTION cityreach_tiles_notify_all();
