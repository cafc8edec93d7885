-- Scenarios (issue 13): named sets of changes over the baseline layers, owned by a token.
-- Scenario work writes only these two tables; the baseline and feature_history are written
-- only by a promotion, through the same triggers as any edit.

CREATE TABLE scenarios (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_id      integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    -- The api_tokens.name that created the scenario (or "cli:<user>" from the command line).
    owner        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- Set once the changes have been applied to the baseline.
    promoted_at  timestamptz,
    promoted_by  text,
    CONSTRAINT scenarios_name_required CHECK (name ~ '\S' AND length(name) <= 200),
    CONSTRAINT scenarios_description_length CHECK (length(description) <= 4000),
    CONSTRAINT scenarios_owner_required CHECK (owner ~ '\S'),
    CONSTRAINT scenarios_promotion_complete CHECK ((promoted_at IS NULL) = (promoted_by IS NULL))
);
CREATE INDEX scenarios_city_idx ON scenarios (city_id);

-- One change of a scenario, numbered n = 1, 2, … in the order given. target_id names the
-- baseline feature (modify, delete), or, when negative, the feature added by change -n of the
-- same scenario. The feature is GeoJSON in EPSG:4326 as validated (properties converted like
-- the layers API's); geom_m is its metric twin and measure its area (m²) or length (m), as
-- the baseline tables would compute them, so overlays need no further round trip.
CREATE TABLE scenario_changes (
    scenario_id     bigint NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    n               integer NOT NULL,
    layer           text NOT NULL,
    op              text NOT NULL,
    target_id       bigint,
    target_version  integer,
    -- The properties as given (written by a promotion) and the feature's full writable
    -- properties once the change is applied (read by overlays).
    properties      jsonb NOT NULL DEFAULT '{}',
    resolved        jsonb NOT NULL DEFAULT '{}',
    -- The geometry as given (NULL when a modify keeps the feature's geometry).
    geom            geometry(Geometry, 4326),
    geom_m          geometry,
    measure         double precision,
    -- Recorded park entrances given with a park (EPSG:4326 and metric).
    entrances       geometry(MultiPoint, 4326),
    entrances_m     geometry,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scenario_id, n),
    CONSTRAINT scenario_changes_n_positive CHECK (n > 0),
    CONSTRAINT scenario_changes_layer_known CHECK (layer IN ('parks', 'facilities', 'residential_land',
        'network_edges', 'eco_corridors', 'growth_boundaries')),
    CONSTRAINT scenario_changes_op_known CHECK (op IN ('add', 'modify', 'delete')),
    CONSTRAINT scenario_changes_target CHECK ((op = 'add') = (target_id IS NULL)),
    CONSTRAINT scenario_changes_add_has_geometry CHECK (op <> 'add' OR geom IS NOT NULL),
    CONSTRAINT scenario_changes_delete_is_bare CHECK (op <> 'delete' OR (geom IS NULL AND properties = '{}'::jsonb))
);
