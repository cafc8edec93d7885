-- Park coverage by age band (issue 22, band=): a stored run's population figures may count
-- only the residents of some age bands, spread from community_age_population to parcels
-- (docs/capacity.md). The bands (codes joined by commas, '' for every resident) and a
-- digest of the community counts they were weighed by are part of the key a run is reused
-- by, with the city, caliber, method and data version.
ALTER TABLE coverage_runs ADD COLUMN band text NOT NULL DEFAULT '',
    ADD COLUMN age_digest text NOT NULL DEFAULT '';
COMMENT ON COLUMN coverage_runs.band IS 'age bands the population figures count, codes joined by commas; empty: every resident';
COMMENT ON COLUMN coverage_runs.age_digest IS 'digest of the community age counts of band the run was weighed by; empty without band';
DROP INDEX IF EXISTS coverage_runs_lookup_idx;
CREATE INDEX coverage_runs_lookup_idx ON coverage_runs (city_id, caliber_id, method, data_hash, band, computed_at DESC);
