DROP INDEX IF EXISTS facilities_name_trgm;
DROP INDEX IF EXISTS parks_name_trgm;
DROP INDEX IF EXISTS communities_name_trgm;
DROP INDEX IF EXISTS subdistricts_name_trgm;
DROP INDEX IF EXISTS districts_name_en_trgm;
DROP INDEX IF EXISTS districts_name_trgm;
-- The extension stays when another object uses it (DROP EXTENSION without CASCADE refuses);
-- nothing else in the schema does.
DROP EXTENSION IF EXISTS pg_trgm;
