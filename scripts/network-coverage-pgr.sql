-- The network figure of park coverage (GB/T 50563-2010 caliber, docs/coverage.md "network"),
-- computed independently with pgRouting and PostGIS: the counterpart of cityreach's
-- network method in scripts/bench-edits.sh. Written from the definition, not from the Go
-- code:
--
--   covered = Σ parcels area(parcel ∩ buffer(reached pieces, 25 m) ∩ ⋃ ST_Buffer(park, r))
--
-- where a park counts as in sqlSubdividedCoverage (internal/coverage/postgis_test.go),
-- r = 500 m (area ≥ 5000 m²) or 300 m, and a reached piece is a part of a walkable edge
-- within r of the park on foot (pgr_drivingDistance, undirected, cost = length_m) from the
-- park's access points: its usable gates each attached to the nearest walkable edge within
-- 100 m, the leg walked; a park with no gate so attached (and not all gates shut) is entered
-- where walkable edges cross its boundary, or failing that at its points nearest the edges
-- within 20 m. The parks' different radii are one search from a super source: an access
-- point of a park with radius r hangs off it by an edge of cost leg + (maxR − r).
--
-- Gate and park opening hours: only always-open hours ('' or 24/7) are read here (the demo
-- city records none); the bench prints a warning when other hours exist.
--
-- psql variable: city (the city id). Output: covered m², residential m², covered share.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE TEMP TABLE cp AS
SELECT id, geom_m AS g, CASE WHEN area_m2 >= 5000 THEN 500.0 ELSE 300.0 END AS r
FROM parks
WHERE city_id = :city AND park_class IN ('comprehensive', 'community', 'specialized', 'garden')
  AND open_status IN ('open', 'shared') AND coalesce(open_hours, '') IN ('', '24/7')
  AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000));

CREATE TEMP TABLE e AS
SELECT id, source, target, length_m AS len, geom_m AS g FROM network_edges
WHERE city_id = :city AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL;
CREATE INDEX ON e USING gist (g);
ANALYZE e;

-- Usable gates, each attached to its nearest walkable edge within 100 m.
CREATE TEMP TABLE acc AS
SELECT cp.id AS park, cp.r, a.id AS edge, a.f, a.leg
FROM cp JOIN park_entrances en ON en.city_id = :city AND en.park_id = cp.id
CROSS JOIN LATERAL (
    SELECT e.id, ST_LineLocatePoint(e.g, en.geom_m) AS f, ST_Distance(e.g, en.geom_m) AS leg FROM e
    WHERE ST_DWithin(e.g, en.geom_m, 100) ORDER BY 3, e.id LIMIT 1) a
WHERE coalesce(en.status, 'open') <> 'closed' AND coalesce(en.open_hours, '') IN ('', '24/7');

-- Parks entered over their boundary: no gate attached, and not every recorded gate shut.
CREATE TEMP TABLE bp AS
SELECT cp.id, cp.r, cp.g FROM cp
WHERE NOT EXISTS (SELECT 1 FROM acc WHERE acc.park = cp.id)
  AND (NOT EXISTS (SELECT 1 FROM park_entrances en WHERE en.city_id = :city AND en.park_id = cp.id)
    OR EXISTS (SELECT 1 FROM park_entrances en WHERE en.city_id = :city AND en.park_id = cp.id
      AND coalesce(en.status, 'open') <> 'closed' AND coalesce(en.open_hours, '') IN ('', '24/7')));
INSERT INTO acc
WITH x AS (
    SELECT bp.id, (ST_DumpPoints(ST_Intersection(ST_Boundary(bp.g), e.g))).geom AS pt
    FROM bp JOIN e ON ST_Intersects(ST_Boundary(bp.g), e.g)
), n AS (
    SELECT bp.id, ST_ClosestPoint(bp.g, e.g) AS pt FROM bp JOIN e ON ST_DWithin(bp.g, e.g, 20)
    WHERE NOT EXISTS (SELECT 1 FROM x WHERE x.id = bp.id)
), pts AS (
    SELECT DISTINCT ON (id, ST_X(pt), ST_Y(pt)) id, pt FROM (SELECT * FROM x UNION ALL SELECT * FROM n) u
)
SELECT pts.id, bp.r, a.id, a.f, a.leg FROM pts JOIN bp ON bp.id = pts.id
CROSS JOIN LATERAL (
    SELECT e.id, ST_LineLocatePoint(e.g, pts.pt) AS f, ST_Distance(e.g, pts.pt) AS leg FROM e
    WHERE ST_DWithin(e.g, pts.pt, 20) ORDER BY 3, e.id LIMIT 1) a;

-- The graph cut at the attachment points, and the super source.
CREATE TEMP TABLE an AS
SELECT (SELECT max(greatest(source, target)) FROM e) + row_number() OVER (ORDER BY edge, f) AS node, edge, f,
       min(leg + (SELECT max(r) FROM cp) - r) AS start
FROM acc GROUP BY edge, f;
CREATE TEMP TABLE gr AS
WITH pts AS (
    SELECT e.id, 0::float8 AS f, e.source AS node FROM e WHERE e.id IN (SELECT edge FROM an)
    UNION ALL SELECT e.id, 1, e.target FROM e WHERE e.id IN (SELECT edge FROM an)
    UNION ALL SELECT edge, f, node FROM an
), seq AS (
    SELECT id, f, node, lead(f) OVER w AS f2, lead(node) OVER w AS node2 FROM pts
    WINDOW w AS (PARTITION BY id ORDER BY f, node)
)
SELECT row_number() OVER () AS id, source, target, cost, g FROM (
    SELECT s.node AS source, s.node2 AS target, e.len * (s.f2 - s.f) AS cost, ST_LineSubstring(e.g, s.f, s.f2) AS g
    FROM seq s JOIN e ON e.id = s.id WHERE s.f2 IS NOT NULL
    UNION ALL
    SELECT source, target, len, g FROM e WHERE id NOT IN (SELECT edge FROM an)
    UNION ALL
    SELECT 0, node, start, NULL FROM an) u;

CREATE TEMP TABLE dd AS
SELECT node, agg_cost FROM pgr_drivingDistance('SELECT id, source, target, cost FROM gr',
    0, (SELECT max(r) FROM cp), directed => false);
CREATE UNIQUE INDEX ON dd (node);

-- The reached pieces: from each reached end, as far as the rest of the radius goes.
CREATE TEMP TABLE piece AS
WITH r AS (
    SELECT gr.g, gr.cost, (SELECT max(r) FROM cp) - ds.agg_cost AS a, (SELECT max(r) FROM cp) - dt.agg_cost AS b
    FROM gr LEFT JOIN dd ds ON ds.node = gr.source LEFT JOIN dd dt ON dt.node = gr.target
    WHERE gr.g IS NOT NULL AND (ds.node IS NOT NULL OR dt.node IS NOT NULL)
)
SELECT g FROM r WHERE cost = 0 OR coalesce(a, 0) + coalesce(b, 0) >= cost
UNION ALL
SELECT ST_LineSubstring(g, 0, a / cost) FROM r WHERE cost > 0 AND coalesce(a, 0) + coalesce(b, 0) < cost AND a > 0
UNION ALL
SELECT ST_LineSubstring(g, 1 - b / cost, 1) FROM r WHERE cost > 0 AND coalesce(a, 0) + coalesce(b, 0) < cost AND b > 0;
CREATE INDEX ON piece USING gist (g);
ANALYZE piece;

-- The Euclidean service areas, cut into pieces that do not overlap.
CREATE TEMP TABLE sa AS SELECT ST_Subdivide(ST_Union(ST_Buffer(g, r)), 256) AS g FROM cp;
CREATE INDEX ON sa USING gist (g);
ANALYZE sa;

SELECT round(coalesce(sum(c), 0)::numeric, 1) AS covered_m2,
       round((SELECT sum(ST_Area(geom_m)) FROM residential_land WHERE city_id = :city)::numeric, 1) AS residential_m2,
       round((100 * coalesce(sum(c), 0) / (SELECT sum(ST_Area(geom_m)) FROM residential_land WHERE city_id = :city))::numeric, 3) AS share_pct
FROM (
    SELECT (SELECT sum(ST_Area(ST_Intersection(ST_Intersection(r.geom_m, sa.g), b.g)))
            FROM sa WHERE ST_Intersects(sa.g, r.geom_m)) AS c
    FROM residential_land r
    CROSS JOIN LATERAL (SELECT ST_Buffer(ST_Collect(p.g), 25) AS g FROM piece p WHERE ST_DWithin(p.g, r.geom_m, 25)) b
    WHERE r.city_id = :city AND b.g IS NOT NULL AND EXISTS (SELECT 1 FROM sa WHERE ST_Intersects(sa.g, r.geom_m))
) per_parcel;
