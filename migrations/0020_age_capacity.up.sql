-- People and capacity (issue 22): the age bands a city counts its residents in, the
-- residents of each community by band, the capacity of a facility (seats, places, beds) and
-- which age bands each facility category serves. docs/capacity.md explains the use.

-- The band set. A band is [min_age, max_age) in completed years; max_age NULL is open
-- ("80 and over"). The code is what the API and the import files use: "6-12", "80-".
-- Bands may be added or removed; the defaults are the 一老一小 bands of issue 22.
CREATE TABLE age_bands (
    code        text PRIMARY KEY,
    min_age     integer NOT NULL,
    max_age     integer,
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    sort_order  integer NOT NULL,
    CONSTRAINT age_bands_code_format CHECK (code ~ '^[0-9]{1,3}-([0-9]{1,3})?$'),
    CONSTRAINT age_bands_ages_ordered CHECK (min_age >= 0 AND (max_age IS NULL OR max_age > min_age) AND max_age <= 150),
    CONSTRAINT age_bands_code_matches CHECK (code = min_age::text || '-' || coalesce(max_age::text, ''))
);
INSERT INTO age_bands (code, min_age, max_age, name_zh, name_en, sort_order) VALUES
    ('0-3', 0, 3, '0–3岁 (托育)', 'Ages 0–3 (nursery)', 1),
    ('3-6', 3, 6, '3–6岁 (学前)', 'Ages 3–6 (pre-school)', 2),
    ('6-12', 6, 12, '6–12岁 (小学)', 'Ages 6–12 (primary)', 3),
    ('12-15', 12, 15, '12–15岁 (初中)', 'Ages 12–15 (lower secondary)', 4),
    ('15-60', 15, 60, '15–60岁', 'Ages 15–60', 5),
    ('60-80', 60, 80, '60–80岁', 'Ages 60–80', 6),
    ('80-', 80, NULL, '80岁及以上', 'Ages 80 and over', 7);

-- Residents of a community by age band, imported from a table keyed by community code
-- (internal/capacity). The counts of one community need not add up to
-- communities.population (they come from another source, e.g. the census); the import
-- reports the difference.
CREATE TABLE community_age_population (
    community_id  bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    band          text NOT NULL REFERENCES age_bands (code) ON UPDATE CASCADE ON DELETE CASCADE,
    population    integer NOT NULL,
    data_source   text NOT NULL DEFAULT 'unknown',
    synthetic     boolean NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, band),
    CONSTRAINT community_age_population_nonnegative CHECK (population >= 0)
);

-- A facility's capacity in the unit of its category (school seats 学位, kindergarten
-- places, care places or beds); NULL is unknown, and the facility is then left out of the
-- capacity indicator (and counted as such), never taken as zero.
ALTER TABLE facilities ADD COLUMN capacity double precision,
    ADD CONSTRAINT facilities_capacity_range CHECK (capacity IS NULL OR (capacity >= 0 AND capacity < 1e9));

-- Which bands a category serves (its demand) and the unit of its capacity. NULL
-- demand_bands means every resident.
ALTER TABLE facility_categories ADD COLUMN demand_bands text[],
    ADD COLUMN capacity_unit_zh text NOT NULL DEFAULT '个',
    ADD COLUMN capacity_unit_en text NOT NULL DEFAULT 'places';
UPDATE facility_categories SET demand_bands = '{0-3}', capacity_unit_zh = '托位', capacity_unit_en = 'places' WHERE code = 'nursery';
UPDATE facility_categories SET demand_bands = '{3-6}', capacity_unit_zh = '学位', capacity_unit_en = 'places' WHERE code = 'kindergarten';
UPDATE facility_categories SET demand_bands = '{6-12}', capacity_unit_zh = '学位', capacity_unit_en = 'seats' WHERE code = 'primary_school';
UPDATE facility_categories SET demand_bands = '{12-15}', capacity_unit_zh = '学位', capacity_unit_en = 'seats' WHERE code = 'middle_school';
UPDATE facility_categories SET demand_bands = '{60-80,80-}', capacity_unit_zh = '床位', capacity_unit_en = 'places' WHERE code = 'elderly_care';
