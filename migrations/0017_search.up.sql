-- Name search across the administrative areas, parks and facilities (GET /api/v1/search,
-- internal/search). pg_trgm's GIN indexes serve LIKE '%text%' (substring) and 'text%'
-- (prefix) for three characters and more, in any script: in a UTF-8 database pg_trgm hashes
-- the trigrams of non-ASCII words, so 宏达公 finds 宏达公园 through the index. Shorter
-- queries read the tables (the largest, facilities, has ~9,000 rows in the demo city).
-- lower(name) is indexed because the search matches case-insensitively with lower() on
-- both sides (cheaper than ILIKE on CJK text).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX districts_name_trgm ON districts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX districts_name_en_trgm ON districts USING gin (lower(name_en) gin_trgm_ops);
CREATE INDEX subdistricts_name_trgm ON subdistricts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX communities_name_trgm ON communities USING gin (lower(name) gin_trgm_ops);
CREATE INDEX parks_name_trgm ON parks USING gin (lower(name) gin_trgm_ops);
CREATE INDEX facilities_name_trgm ON facilities USING gin (lower(name) gin_trgm_ops);
