DROP TRIGGER facility_categories_source_in_use ON facility_categories;
DROP FUNCTION cityreach_facility_category_source_in_use();
DROP TRIGGER facilities_category_source ON facilities;
DROP FUNCTION cityreach_facility_category_source();
DELETE FROM facility_categories WHERE source <> 'facilities';
ALTER TABLE facility_categories DROP CONSTRAINT facility_categories_source_known, DROP COLUMN source;
