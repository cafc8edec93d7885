ALTER TABLE network_edges DROP COLUMN IF EXISTS steps;
ALTER TABLE parks DROP CONSTRAINT IF EXISTS parks_open_hours_length, DROP COLUMN IF EXISTS open_hours;
ALTER TABLE park_entrances DROP CONSTRAINT IF EXISTS park_entrances_open_hours_length,
    DROP CONSTRAINT IF EXISTS park_entrances_status_known,
    DROP COLUMN IF EXISTS open_hours, DROP COLUMN IF EXISTS status;
