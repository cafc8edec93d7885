ALTER TABLE facility_categories DROP COLUMN capacity_unit_en, DROP COLUMN capacity_unit_zh, DROP COLUMN demand_bands;
ALTER TABLE facilities DROP CONSTRAINT facilities_capacity_range, DROP COLUMN capacity;
DROP TABLE community_age_population;
DROP TABLE age_bands;
