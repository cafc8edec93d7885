DROP TRIGGER zz_tiles_all ON facility_categories;
DROP FUNCTION cityreach_tiles_notify_all();
DROP VIEW park_coverage_gaps;
DROP INDEX coverage_gaps_geom_3857_gix;
ALTER TABLE coverage_gaps DROP CONSTRAINT coverage_gaps_id_key;
ALTER TABLE coverage_gaps DROP COLUMN geom_3857, DROP COLUMN id;
