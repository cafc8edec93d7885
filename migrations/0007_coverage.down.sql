DROP TABLE IF EXISTS coverage_sites, coverage_gaps, coverage_areas, coverage_runs, caliber_definitions;
