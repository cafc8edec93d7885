DROP INDEX IF EXISTS coverage_runs_lookup_idx;
ALTER TABLE coverage_runs DROP COLUMN IF EXISTS variant;
CREATE INDEX coverage_runs_lookup_idx ON coverage_runs (city_id, caliber_id, method, data_hash, band, computed_at DESC);
DELETE FROM scenario_changes WHERE layer = 'park_entrances';
ALTER TABLE scenario_changes DROP CONSTRAINT scenario_changes_layer_known;
ALTER TABLE scenario_changes ADD CONSTRAINT scenario_changes_layer_known CHECK (layer IN ('parks', 'facilities', 'residential_land',
    'network_edges', 'eco_corridors', 'growth_boundaries'));
ALTER TABLE network_edges DROP COLUMN IF EXISTS steps;
ALTER TABLE parks DROP CONSTRAINT IF EXISTS parks_open_hours_length, DROP COLUMN IF EXISTS open_hours;
ALTER TABLE park_entrances DROP CONSTRAINT IF EXISTS park_entrances_open_hours_length,
    DROP CONSTRAINT IF EXISTS park_entrances_status_known,
    DROP COLUMN IF EXISTS open_hours, DROP COLUMN IF EXISTS status;
