ALTER TABLE facility_categories
    DROP CONSTRAINT IF EXISTS facility_categories_capacity_norm_source_length,
    DROP CONSTRAINT IF EXISTS facility_categories_capacity_norm_basis_known,
    DROP CONSTRAINT IF EXISTS facility_categories_capacity_norm_range,
    DROP COLUMN IF EXISTS capacity_norm_source,
    DROP COLUMN IF EXISTS capacity_norm_basis,
    DROP COLUMN IF EXISTS capacity_norm;
