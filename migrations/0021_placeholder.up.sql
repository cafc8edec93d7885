-- Placeholder so that 0022 applies on this branch: migration 0021 belongs to another
-- helper's branch. Drop this pair when merging (it does nothing).
SELECT 1;
