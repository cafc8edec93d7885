ALTER TABLE coverage_runs DROP COLUMN IF EXISTS complete;
ALTER TABLE coverage_areas DROP COLUMN IF EXISTS figure;
