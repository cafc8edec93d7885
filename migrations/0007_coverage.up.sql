-- Park service-radius coverage (公园绿地服务半径覆盖率): user calibers and stored results.
-- A run records everything needed to reproduce it: the caliber definition as it was,
-- the distance method, the parameters and the version of the input data.

-- User calibers added through the API or a file; the six of docs/standards.md §1 are built
-- into the binary and never stored here.
CREATE TABLE caliber_definitions (
    id          text PRIMARY KEY,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT caliber_definitions_id_format CHECK (id ~ '^[a-z][a-z0-9._-]{1,62}$'),
    CONSTRAINT caliber_definitions_id_matches CHECK (definition->>'id' = id)
);

CREATE TABLE coverage_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_id             integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    caliber_id          text NOT NULL,
    -- The caliber exactly as it was used (a user caliber may later be deleted).
    caliber             jsonb NOT NULL,
    method              text NOT NULL,
    parameters          jsonb NOT NULL,
    -- Counts and max(updated_at) of every input table, and their hash.
    data_version        jsonb NOT NULL,
    data_hash           text NOT NULL,
    covered_m2          double precision NOT NULL,
    total_m2            double precision NOT NULL,
    population          double precision NOT NULL,
    covered_population  double precision NOT NULL,
    parks_counted       integer NOT NULL,
    duration_ms         double precision NOT NULL,
    computed_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT coverage_runs_method_known CHECK (method IN ('buffer', 'network')),
    CONSTRAINT coverage_runs_covered_le_total CHECK (covered_m2 <= total_m2 * (1 + 1e-9) + 1e-6)
);
CREATE INDEX coverage_runs_lookup_idx ON coverage_runs (city_id, caliber_id, method, data_hash, computed_at DESC);

-- Per-area figures at every level: city, district, subdistrict (街道), community. A parcel
-- belongs to the area containing its point on surface.
CREATE TABLE coverage_areas (
    run_id              bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    level               text NOT NULL,
    area_id             bigint NOT NULL,
    name                text NOT NULL,
    covered_m2          double precision NOT NULL,
    total_m2            double precision NOT NULL,
    population          double precision NOT NULL,
    covered_population  double precision NOT NULL,
    parcels             integer NOT NULL,
    -- GB 55014 per-capita park area (m² per resident); NULL below district level.
    park_m2_per_capita          double precision,
    comprehensive_m2_per_capita double precision,
    community_m2_per_capita     double precision,
    PRIMARY KEY (run_id, level, area_id),
    CONSTRAINT coverage_areas_level_known CHECK (level IN ('city', 'district', 'subdistrict', 'community'))
);

-- The gap layer: residential land outside every service area, one row per parcel piece.
CREATE TABLE coverage_gaps (
    run_id      bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    parcel_id   bigint NOT NULL,
    area_m2     double precision NOT NULL,
    population  double precision NOT NULL,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    geom_m      geometry(MultiPolygon) NOT NULL,
    PRIMARY KEY (run_id, parcel_id)
);
CREATE INDEX coverage_gaps_geom_gix ON coverage_gaps USING gist (geom);

-- Pocket-park sites chosen greedily for a run.
CREATE TABLE coverage_sites (
    run_id            bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    rank              integer NOT NULL,
    site_area_m2      double precision NOT NULL,
    radius_m          double precision NOT NULL,
    gain_m2           double precision NOT NULL,
    gain_population   double precision NOT NULL,
    coverage_after    double precision NOT NULL,
    geom              geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (run_id, rank, site_area_m2)
);
