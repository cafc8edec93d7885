DROP TABLE IF EXISTS communities, subdistricts, districts, facility_categories, bulk_loads, feature_history, cities CASCADE;
DROP FUNCTION IF EXISTS cityreach_feature_table(text, text);
DROP FUNCTION IF EXISTS cityreach_track(regclass);
DROP FUNCTION IF EXISTS cityreach_feature_history();
DROP FUNCTION IF EXISTS cityreach_feature_before();
DROP FUNCTION IF EXISTS cityreach_metric_srid(integer);
DROP FUNCTION IF EXISTS cityreach_to_metric(geometry, integer);
DROP FUNCTION IF EXISTS cityreach_lonlat_in_range(geometry);
