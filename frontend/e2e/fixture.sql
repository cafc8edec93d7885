-- A small synthetic city for the browser tests, loaded by scripts/e2e.sh only when the
-- binary has no `seed baotou` yet. Every row is synthetic=true. It lies inside Baotou's
-- central city (109.80–109.90°E, 40.60–40.66°N): a street grid of ~340 × 330 m blocks,
-- residential parcels, named parks with entrances, facilities of several categories,
-- two growth-boundary editions, a corridor, a red line and farmland.
BEGIN;
SET LOCAL cityreach.bulk_load = 'on';
SET LOCAL cityreach.actor = 'e2e-fixture';

INSERT INTO cities (slug, name, name_en, adcode, metric_srid, data_source, synthetic, geom)
VALUES ('baotou', '包头市', 'Baotou', '150200', 4546, 'e2e fixture', true,
        ST_Multi(ST_MakeEnvelope(109.75, 40.55, 110.10, 40.70, 4326)))
ON CONFLICT (slug) DO NOTHING;

CREATE TEMP TABLE fx AS SELECT id AS city FROM cities WHERE slug = 'baotou';

INSERT INTO districts (city_id, adcode, name, name_en, kind, data_source, synthetic, geom)
SELECT city, d.adcode, d.name, d.name_en, '区', 'e2e fixture', true, ST_Multi(ST_MakeEnvelope(d.w, 40.58, d.e, 40.68, 4326))
FROM fx, (VALUES ('150203', '昆都仑区', 'Kundulun', 109.78, 109.85), ('150204', '青山区', 'Qingshan', 109.85, 109.92)) AS d(adcode, name, name_en, w, e);

INSERT INTO subdistricts (city_id, district_id, code, name, data_source, synthetic, geom)
SELECT d.city_id, d.id, d.adcode || '001', CASE d.adcode WHEN '150203' THEN '阿尔丁街道' ELSE '友谊街道' END, 'e2e fixture', true, d.geom
FROM districts d, fx WHERE d.city_id = fx.city;

-- Communities: a 4 × 2 grid over the blocks.
INSERT INTO communities (city_id, subdistrict_id, code, name, population, households, data_source, synthetic, geom)
SELECT fx.city, s.id, lpad((150203000000 + i * 10 + j)::text, 12, '0'),
       (ARRAY['阿尔丁社区','钢铁社区','友谊社区','民族社区','幸福社区','团结社区','富强社区','胜利社区'])[i * 2 + j + 1],
       6000 + i * 500, 2500 + i * 200, 'e2e fixture', true,
       ST_Multi(ST_MakeEnvelope(109.80 + i * 0.025, 40.60 + j * 0.03, 109.825 + i * 0.025, 40.63 + j * 0.03, 4326))
FROM fx, generate_series(0, 3) i, generate_series(0, 1) j
JOIN subdistricts s ON s.code = CASE WHEN j >= 0 THEN '150203001' END;

-- Blocks: 25 × 20 cells of 0.004° × 0.003°; a cell is a park, a parcel, or left open.
CREATE TEMP TABLE cells AS
SELECT i, j, 109.80 + i * 0.004 AS x0, 40.60 + j * 0.003 AS y0
FROM generate_series(0, 24) i, generate_series(0, 19) j;

CREATE TEMP TABLE park_cells (i int, j int, name text, cls text, pocket boolean);
INSERT INTO park_cells VALUES
  (3, 4, '阿尔丁植物园', 'comprehensive', false), (4, 4, '阿尔丁植物园', 'comprehensive', false),
  (3, 5, '阿尔丁植物园', 'comprehensive', false), (4, 5, '阿尔丁植物园', 'comprehensive', false),
  (12, 10, '八一公园', 'comprehensive', false), (13, 10, '八一公园', 'comprehensive', false),
  (20, 15, '劳动公园', 'community', false), (8, 16, '赛汗塔拉公园', 'community', false),
  (17, 3, '幸福口袋公园', 'garden', true), (22, 7, '团结游园', 'garden', false);

INSERT INTO parks (city_id, name, park_class, pocket, data_source, synthetic, geom)
SELECT fx.city, p.name, min(p.cls), bool_or(p.pocket), 'e2e fixture', true,
       ST_Multi(ST_Union(ST_MakeEnvelope(c.x0 + 0.0003, c.y0 + 0.0003, c.x0 + 0.0037, c.y0 + 0.0027, 4326)))
FROM fx, park_cells p JOIN cells c USING (i, j)
GROUP BY fx.city, p.name;
-- Adjacent cells of one park leave road gaps between them; close them.
UPDATE parks SET geom = ST_Multi(ST_Buffer(ST_Buffer(geom, 0.0004), -0.0004)) WHERE ST_NumGeometries(geom) > 1;

INSERT INTO park_entrances (city_id, park_id, name, data_source, synthetic, geom)
SELECT city_id, id, name || '南门', 'e2e fixture', true,
       ST_ClosestPoint(ST_Boundary(geom), ST_SetSRID(ST_MakePoint(ST_X(ST_Centroid(geom)), ST_YMin(geom) - 0.001), 4326))
FROM parks;

INSERT INTO residential_land (city_id, landuse_code, population, households, data_source, synthetic, geom)
SELECT fx.city, '0701', 800 + (i * 37 + j * 11) % 900, 300 + (i * 13 + j * 7) % 300, 'e2e fixture', true,
       ST_Multi(ST_MakeEnvelope(c.x0 + 0.0004, c.y0 + 0.0004, c.x0 + 0.0036, c.y0 + 0.0026, 4326))
FROM fx, cells c
WHERE NOT EXISTS (SELECT 1 FROM park_cells p WHERE p.i = c.i AND p.j = c.j) AND (c.i + c.j) % 5 <> 0;

-- The street grid: nodes at cell corners, edges between neighbours.
INSERT INTO network_edges (city_id, source, target, highway, name, data_source, synthetic, geom)
SELECT fx.city, i * 100 + j, (i + 1) * 100 + j, CASE WHEN j % 5 = 0 THEN 'primary' ELSE 'residential' END,
       CASE WHEN j % 5 = 0 THEN '阿尔丁大街' ELSE '' END, 'e2e fixture', true,
       ST_MakeLine(ST_SetSRID(ST_MakePoint(109.80 + i * 0.004, 40.60 + j * 0.003), 4326), ST_SetSRID(ST_MakePoint(109.80 + (i + 1) * 0.004, 40.60 + j * 0.003), 4326))
FROM fx, generate_series(0, 24) i, generate_series(0, 20) j
UNION ALL
SELECT fx.city, i * 100 + j, i * 100 + j + 1, CASE WHEN i % 5 = 0 THEN 'primary' ELSE 'residential' END,
       CASE WHEN i % 5 = 0 THEN '钢铁大街' ELSE '' END, 'e2e fixture', true,
       ST_MakeLine(ST_SetSRID(ST_MakePoint(109.80 + i * 0.004, 40.60 + j * 0.003), 4326), ST_SetSRID(ST_MakePoint(109.80 + i * 0.004, 40.60 + (j + 1) * 0.003), 4326))
FROM fx, generate_series(0, 25) i, generate_series(0, 19) j;

INSERT INTO facilities (city_id, category, name, data_source, synthetic, geom)
SELECT fx.city, cat, cat || ' ' || n, 'e2e fixture', true,
       ST_SetSRID(ST_MakePoint(109.8005 + ((n * 7 + k * 3) % 25) * 0.004, 40.6005 + ((n * 3 + k * 5) % 20) * 0.003), 4326)
FROM fx, generate_series(1, 6) n,
     unnest(ARRAY['kindergarten','primary_school','clinic','supermarket','vegetable_market','elderly_care','convenience_store','pharmacy']) WITH ORDINALITY AS t(cat, k);

INSERT INTO growth_boundaries (city_id, edition, approved_on, valid_from, valid_to, data_source, synthetic, geom)
SELECT fx.city, e.edition, e.approved, e.valid_from, e.valid_to, 'e2e fixture', true, ST_Multi(ST_MakeEnvelope(e.w, e.s, e.e, e.n, 4326))
FROM fx, (VALUES ('2021', DATE '2021-06-01', DATE '2021-07-01', DATE '2024-01-01', 109.805, 40.605, 109.885, 40.655),
                 ('2035', DATE '2023-12-01', DATE '2024-01-01', NULL::date, 109.81, 40.60, 109.898, 40.662)) AS e(edition, approved, valid_from, valid_to, w, s, e, n);

INSERT INTO eco_corridors (city_id, name, kind, design_width_m, data_source, synthetic, geom)
SELECT city, '昆河生态廊道', 'river', 120, 'e2e fixture', true, ST_Multi(ST_MakeEnvelope(109.839, 40.60, 109.8405, 40.66, 4326)) FROM fx;
INSERT INTO eco_redlines (city_id, name, data_source, synthetic, geom)
SELECT city, '大青山生态保护红线', 'e2e fixture', true, ST_Multi(ST_MakeEnvelope(109.80, 40.662, 109.90, 40.675, 4326)) FROM fx;
INSERT INTO basic_farmland (city_id, name, data_source, synthetic, geom)
SELECT city, '沙尔沁永久基本农田', 'e2e fixture', true, ST_Multi(ST_MakeEnvelope(109.895, 40.60, 109.915, 40.64, 4326)) FROM fx;
COMMIT;
