DROP TRIGGER tile_store_evict ON tile_changes;
DROP FUNCTION cityreach_tile_store_evict();
DROP TABLE tile_store_epochs;
DROP TABLE tile_store;
