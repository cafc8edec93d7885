ALTER TABLE cities DROP CONSTRAINT cities_default_caliber_format, DROP COLUMN default_caliber;
