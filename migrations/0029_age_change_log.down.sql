-- The age tables without change notification, as after migration 0028.
DROP TRIGGER zz_tiles_all ON community_age_population;
DROP TRIGGER zz_tiles_all ON age_bands;
