-- Stored park-coverage runs keep every output field (issue 18): a reused answer equals the
-- fresh one except for "reused". Each area row keeps its figure exactly as the indicator
-- answers it (coverage_areas.figure: the per-capita park areas and the GB 55014 verdicts
-- the columns of 0007 lack, and any field added later), and a run says whether it was
-- stored whole. Runs stored before this migration stay for the record but are never
-- reused: the next request computes and stores a complete run.
ALTER TABLE coverage_areas ADD COLUMN figure jsonb;
ALTER TABLE coverage_runs ADD COLUMN complete boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN coverage_areas.figure IS 'the area''s figure as answered by GET /api/v1/indicators/park-coverage';
COMMENT ON COLUMN coverage_runs.complete IS 'every area row has its figure and the gap layer is stored: the run may be reused';
