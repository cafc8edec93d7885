-- Data editions (issue 21): a named point in time of every layer of a city ("2024 现状"),
-- read back from the live tables and feature_history without copying a row; and the target
-- path of each indicator per city and year, which the indicator time series draws.

-- An edition names the instant as_of; every layer of its city is read as it was then
-- (cityreach_as_of). Once published an edition never changes and is never deleted (the
-- trigger below), so an indicator "as of 2024 现状" means the same data every time.
CREATE TABLE data_editions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    city_id       integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    as_of         timestamptz NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    published_by  text,
    CONSTRAINT data_editions_name_unique UNIQUE (city_id, name),
    -- Names are what requests give as as_of=; one that parses as a date would be ambiguous.
    CONSTRAINT data_editions_name_format CHECK (name ~ '\S' AND length(name) <= 100 AND name !~ '[\x00-\x1f\x7f]'
        AND name !~ '^[0-9]{4}-'),
    CONSTRAINT data_editions_description_length CHECK (length(description) <= 4000),
    CONSTRAINT data_editions_created_by_required CHECK (created_by ~ '\S'),
    CONSTRAINT data_editions_publication_complete CHECK ((published_at IS NULL) = (published_by IS NULL))
);
CREATE INDEX data_editions_city_as_of_idx ON data_editions (city_id, as_of);

-- as_of may not lie in the future (the state then is not known yet); a published edition
-- refuses every update and delete, except the delete of its whole city.
CREATE FUNCTION cityreach_data_editions_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.as_of > clock_timestamp() THEN
            RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'data_editions_as_of_not_future',
                MESSAGE = format('edition %s: as_of %s lies in the future', NEW.name, NEW.as_of);
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.published_at IS NOT NULL THEN
        IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM cities WHERE id = OLD.city_id) THEN
            RETURN OLD; -- the city itself is being deleted
        END IF;
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'data_editions_published_immutable',
            MESSAGE = format('edition %s is published and cannot be changed or deleted', OLD.name);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.as_of > clock_timestamp() THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'data_editions_as_of_not_future',
            MESSAGE = format('edition %s: as_of %s lies in the future', NEW.name, NEW.as_of);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER data_editions_guard BEFORE INSERT OR UPDATE OR DELETE ON data_editions
    FOR EACH ROW EXECUTE FUNCTION cityreach_data_editions_guard();

-- The as-of reading looks for the first change of each feature after an instant.
CREATE INDEX feature_history_layer_at_idx ON feature_history (layer, at);

-- History is what editions are read from: it is only ever appended to.
CREATE FUNCTION cityreach_feature_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'feature_history_append_only',
        MESSAGE = 'feature_history is append-only: data editions are read from it';
END $$;
CREATE TRIGGER feature_history_append_only BEFORE UPDATE OR DELETE ON feature_history
    FOR EACH ROW EXECUTE FUNCTION cityreach_feature_history_append_only();

-- 0012's history trigger, but a bulk load (which records no history) still records the
-- update or delete of a row that existed at the as_of of one of its city's editions:
-- without it, reloading a city would silently change what its editions read.
CREATE OR REPLACE FUNCTION cityreach_feature_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := coalesce(nullif(current_setting('cityreach.actor', true), ''), current_user);
BEGIN
    IF current_setting('cityreach.bulk_load', true) = 'on' THEN
        IF TG_OP = 'INSERT' THEN
            RETURN NULL;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM data_editions e WHERE e.city_id = OLD.city_id AND e.as_of >= OLD.created_at) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'insert', actor, to_jsonb(NEW) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance');
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row, new_row)
        VALUES (TG_TABLE_NAME, NEW.id, NEW.version, 'update', actor,
                to_jsonb(OLD) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance', to_jsonb(NEW) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance');
    ELSE
        INSERT INTO feature_history (layer, feature_id, version, op, actor, old_row)
        VALUES (TG_TABLE_NAME, OLD.id, OLD.version + 1, 'delete', actor, to_jsonb(OLD) - 'geom_m' - 'geom_3857' - 'geom_3857_clearance');
    END IF;
    RETURN NULL;
END $$;

-- The rows of one city feature table as they were at p_at, with the table's own row type:
--   SELECT * FROM cityreach_as_of(NULL::parks, city_id, '2025-01-01 00:00+08')
-- A feature changed after p_at is its row before its first later change (that change's
-- old_row; none when that change is its insert); a feature not changed since is the live
-- row, when it was created by then. Bulk-loaded rows have no insert in the history: their
-- created_at says when they appeared.
--
-- History keeps the 4326 geometry as GeoJSON (15 significant digits, about 1e-8 m); the
-- derived columns (geom_m, geom_3857, areas, lengths, clearance) are computed from it as
-- the table computes them, so a reconstructed row is the row a fresh load of that
-- geometry would give.
CREATE FUNCTION cityreach_as_of(p_row anyelement, p_city integer, p_at timestamptz) RETURNS SETOF anyelement
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tbl regclass := (SELECT typrelid FROM pg_type WHERE oid = pg_typeof(p_row))::regclass;
    cols text;
BEGIN
    IF p_at IS NULL THEN
        RAISE EXCEPTION 'cityreach_as_of: the instant is required';
    END IF;
    IF tbl IS NULL OR NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'zz_history' AND NOT tgisinternal) THEN
        RAISE EXCEPTION 'cityreach_as_of: % is not a city feature table', tbl;
    END IF;
    -- The reconstructed row's select list: geom_m from the geometry, each generated
    -- column by its own expression over geom and geom_m, every other column as recorded.
    SELECT string_agg(format('(%s)::%s', CASE
               WHEN a.attname = 'geom_m' THEN 'm.geom_m'
               WHEN a.attgenerated = 's' THEN format('SELECT %s FROM (SELECT r.geom, m.geom_m) g', pg_get_expr(d.adbin, d.adrelid))
               ELSE format('r.%I', a.attname) END, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
    INTO cols
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped;
    RETURN QUERY EXECUTE format($q$
        WITH later AS (
            SELECT DISTINCT ON (h.feature_id) h.feature_id, h.op, h.old_row
            FROM feature_history h
            WHERE h.layer = $1 AND h.at > $3
            ORDER BY h.feature_id, h.id)
        SELECT t.* FROM %1$s t
        WHERE t.city_id = $2 AND t.created_at <= $3
          AND NOT EXISTS (SELECT 1 FROM later WHERE later.feature_id = t.id)
        UNION ALL
        SELECT %2$s
        FROM later, jsonb_populate_record(NULL::%1$s, later.old_row) r,
             LATERAL (SELECT cityreach_to_metric(r.geom, r.city_id) AS geom_m) m
        WHERE later.op <> 'insert' AND r.city_id = $2 AND r.created_at <= $3
        $q$, tbl, cols) USING (SELECT c.relname::text FROM pg_class c WHERE c.oid = tbl), p_city, p_at;
END $$;

-- The target path of an indicator in a city: the value the plan sets for a year (e.g.
-- Baotou's park service-radius coverage of 100 % by 2030). Values are in the indicator's
-- own unit (a ratio 0–1 for coverage shares).
CREATE TABLE indicator_targets (
    city_id    integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    indicator  text NOT NULL,
    year       integer NOT NULL,
    value      double precision NOT NULL,
    source     text NOT NULL DEFAULT '',
    PRIMARY KEY (city_id, indicator, year),
    CONSTRAINT indicator_targets_indicator_format CHECK (indicator ~ '^[a-z][a-z0-9_-]{0,62}$'),
    CONSTRAINT indicator_targets_year_range CHECK (year BETWEEN 1949 AND 2100),
    CONSTRAINT indicator_targets_value_finite CHECK (value > '-Infinity' AND value < 'Infinity')
);

-- Baotou's path where the city exists already (the demo seed writes the same): park
-- service-radius coverage of 100 % by 2030 (docs/standards.md §5). The plan notes give no
-- 2027 milestone, so none is written; docs/editions.md says how to add one.
INSERT INTO indicator_targets (city_id, indicator, year, value, source)
SELECT id, 'park-coverage', 2030, 1.0, '包头市 2025–2030 行动方案: 城市公园绿地服务半径覆盖率 100 % by 2030 (docs/standards.md §5)'
FROM cities WHERE slug = 'baotou';
