-- Park openness and steps (issue 22 items 6 and 2).
--
-- A park's gates (park_entrances) each have a status and opening hours, and a park may have
-- opening hours of its own; the network method of park coverage and the living circle enter
-- a park only through a gate open at the time asked (internal/openness has the one rule and
-- the parser of the hours). open_hours is a subset of OSM opening_hours: "24/7", "off",
-- or time ranges "HH:MM-HH:MM[,HH:MM-HH:MM…]" (docs/coverage.md); '' means no hours
-- recorded, which counts as always open. The syntax is checked by the application (the
-- layers API, scenarios, the importers), the length here.
ALTER TABLE park_entrances
    ADD COLUMN status text NOT NULL DEFAULT 'open',
    ADD COLUMN open_hours text NOT NULL DEFAULT '',
    ADD CONSTRAINT park_entrances_status_known CHECK (status IN ('open', 'closed')),
    ADD CONSTRAINT park_entrances_open_hours_length CHECK (length(open_hours) <= 200);
ALTER TABLE parks
    ADD COLUMN open_hours text NOT NULL DEFAULT '',
    ADD CONSTRAINT parks_open_hours_length CHECK (length(open_hours) <= 200);
COMMENT ON COLUMN park_entrances.status IS 'open or closed (a locked gate); a closed gate is never an access point';
COMMENT ON COLUMN park_entrances.open_hours IS 'opening hours of the gate, OSM opening_hours subset (24/7, off, HH:MM-HH:MM,…); empty: always';
COMMENT ON COLUMN parks.open_hours IS 'opening hours of the park, OSM opening_hours subset; empty: always; every gate is closed outside them';

-- Steps (OSM highway=steps, or step_count/ramp-less stairs drawn by hand): a wheelchair
-- profile does not use them (internal/walk/profile.go).
ALTER TABLE network_edges ADD COLUMN steps boolean NOT NULL DEFAULT false;
UPDATE network_edges SET steps = true WHERE highway = 'steps';
COMMENT ON COLUMN network_edges.steps IS 'the edge has steps (OSM highway=steps): not usable by the wheelchair profile';

-- "Open gate Y" is a scenario change: scenarios may change park_entrances (status, hours,
-- position; a gate belongs to a baseline park).
ALTER TABLE scenario_changes DROP CONSTRAINT scenario_changes_layer_known;
ALTER TABLE scenario_changes ADD CONSTRAINT scenario_changes_layer_known CHECK (layer IN ('parks', 'park_entrances',
    'facilities', 'residential_land', 'network_edges', 'eco_corridors', 'growth_boundaries'));

-- Park coverage's network method at a time of day (at=) or without steps (profile= with a
-- no-steps rule): part of the key a stored run is reused by. '' is any time of day, steps
-- walked (every earlier run).
ALTER TABLE coverage_runs ADD COLUMN variant text NOT NULL DEFAULT '';
COMMENT ON COLUMN coverage_runs.variant IS 'network method options: at=HH:MM and/or no_steps, joined by ";"; empty: any time of day, steps walked';
DROP INDEX IF EXISTS coverage_runs_lookup_idx;
CREATE INDEX coverage_runs_lookup_idx ON coverage_runs (city_id, caliber_id, method, data_hash, band, variant, computed_at DESC);
