DROP INDEX IF EXISTS coverage_runs_lookup_idx;
ALTER TABLE coverage_runs DROP COLUMN IF EXISTS band, DROP COLUMN IF EXISTS age_digest;
CREATE INDEX coverage_runs_lookup_idx ON coverage_runs (city_id, caliber_id, method, data_hash, computed_at DESC);
