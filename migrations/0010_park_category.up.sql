-- 公园绿地、广场 (parks and squares) as a category of the 15-minute living circle
-- (standards.md §2: within 5 minutes, TD/T 1063). Its "facilities" are not rows of the
-- facilities table: they are the access points of the city's open and shared parks
-- (internal/walk derives them from parks and park_entrances). facility_categories
-- therefore says where each category's points come from, and the facilities table refuses
-- a category that is derived from another table, so a park is never recorded twice.
ALTER TABLE facility_categories
    ADD COLUMN source text NOT NULL DEFAULT 'facilities',
    ADD CONSTRAINT facility_categories_source_known CHECK (source IN ('facilities', 'parks'));

-- Not basic by default, so the complete-circle counts of existing cities do not change; a
-- city makes it basic with UPDATE facility_categories SET basic = true WHERE code = 'park_square'.
INSERT INTO facility_categories (code, name_zh, name_en, reach_m, basic, sort_order, source)
VALUES ('park_square', '公园绿地、广场', 'Parks and squares', 300, false, 21, 'parks');

-- facilities.category keeps its foreign key to facility_categories (code); this trigger adds
-- that the category must be one recorded in the facilities table (source = 'facilities').
CREATE FUNCTION cityreach_facility_category_source() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE src text;
BEGIN
    SELECT source INTO src FROM facility_categories WHERE code = NEW.category;
    IF src IS NOT NULL AND src <> 'facilities' THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'facilities_category_source',
            MESSAGE = format('facility category %s is derived from the %s table, not recorded as a facility', NEW.category, src);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER facilities_category_source BEFORE INSERT OR UPDATE OF category ON facilities
    FOR EACH ROW EXECUTE FUNCTION cityreach_facility_category_source();

-- The other direction: a category in use by facilities cannot become derived.
CREATE FUNCTION cityreach_facility_category_source_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source <> 'facilities' AND EXISTS (SELECT 1 FROM facilities WHERE category = OLD.code) THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'facility_categories_source_in_use',
            MESSAGE = format('facility category %s is used by facilities; it cannot be derived from %s', OLD.code, NEW.source);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER facility_categories_source_in_use BEFORE UPDATE OF source ON facility_categories
    FOR EACH ROW EXECUTE FUNCTION cityreach_facility_category_source_in_use();
