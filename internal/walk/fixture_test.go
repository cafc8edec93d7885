package walk

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/testdb"
)

// Test cities live in UTM zone 49N (EPSG:32649, where Baotou lies); fixtures are drawn in
// local metres and shifted by (x0, y0). Geometry goes into the database as EPSG:4326,
// and the feature trigger transforms it back into geom_m, so what the loader reads has
// made the same round trip as real data (a few nanometres).
const (
	testSRID = 32649
	x0       = 600000.0
	y0       = 4500000.0
)

func at(x, y float64) orb.Point { return orb.Point{x0 + x, y0 + y} }

// edgeRow is one network_edges row of a fixture, in local metres.
type edgeRow struct {
	ID, Source, Target int64
	Pts                []orb.Point
	Walkable, Bridge   bool
}

func road(id, s, t int64, pts ...orb.Point) edgeRow {
	return edgeRow{ID: id, Source: s, Target: t, Pts: pts, Walkable: true}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newCity inserts a city and returns it.
func newCity(t testing.TB, pool *pgxpool.Pool, slug string) City {
	t.Helper()
	c := City{Slug: slug, Name: slug, MetricSRID: testSRID}
	if err := pool.QueryRow(ctxT(t), `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ($1, $1, '150200', $2) RETURNING id`,
		slug, testSRID).Scan(&c.ID); err != nil {
		t.Fatalf("insert city: %v", err)
	}
	return c
}

func wkbOf(t testing.TB, g orb.Geometry) []byte {
	b, err := wkb.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func shift(pts []orb.Point) orb.LineString {
	ls := make(orb.LineString, len(pts))
	for i, p := range pts {
		ls[i] = at(p[0], p[1])
	}
	return ls
}

// insertEdges writes edges of a city in one statement (history off, as bulk loads do).
func insertEdges(t testing.TB, pool *pgxpool.Pool, city int, rows []edgeRow) {
	t.Helper()
	n := len(rows)
	ids, src, tgt := make([]int64, n), make([]int64, n), make([]int64, n)
	walk, bridge := make([]bool, n), make([]bool, n)
	geoms := make([][]byte, n)
	for i, r := range rows {
		ids[i], src[i], tgt[i], walk[i], bridge[i] = r.ID, r.Source, r.Target, r.Walkable, r.Bridge
		geoms[i] = wkbOf(t, shift(r.Pts))
	}
	execBulk(t, pool, `INSERT INTO network_edges (id, city_id, source, target, walkable, bridge, highway, geom)
		SELECT id, $1, s, tg, w, b, CASE WHEN w THEN 'footway' ELSE 'motorway' END,
		       ST_Transform(ST_GeomFromWKB(g, $8), 4326)
		FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bool[], $6::bool[], $7::bytea[]) AS u(id, s, tg, w, b, g)`,
		city, ids, src, tgt, walk, bridge, geoms, testSRID)
}

// execBulk runs one statement with the bulk-load flag set, so no history rows are written.
func execBulk(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	ctx := ctxT(t)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET LOCAL cityreach.bulk_load = on`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// rect returns the local-metre rectangle [x1,x2]×[y1,y2] as a MultiPolygon in the city CRS.
func rect(x1, y1, x2, y2 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{at(x1, y1), at(x2, y1), at(x2, y2), at(x1, y2), at(x1, y1)}}}
}

// insertAreas writes one district, one 街道 and the communities given as rectangles.
func insertAreas(t testing.TB, pool *pgxpool.Pool, city int, whole orb.MultiPolygon, communities []orb.MultiPolygon) {
	t.Helper()
	execBulk(t, pool, `INSERT INTO districts (id, city_id, adcode, name, geom) VALUES ($1, $2, '150202', 'D', ST_Transform(ST_GeomFromWKB($3, $4), 4326))`,
		int64(city)*1000+1, city, wkbOf(t, whole), testSRID)
	execBulk(t, pool, `INSERT INTO subdistricts (id, city_id, district_id, code, name, geom) VALUES ($1, $2, $1, '150202001', 'S', ST_Transform(ST_GeomFromWKB($3, $4), 4326))`,
		int64(city)*1000+1, city, wkbOf(t, whole), testSRID)
	for i, c := range communities {
		execBulk(t, pool, `INSERT INTO communities (id, city_id, subdistrict_id, code, name, population, households, geom)
			VALUES ($1, $2, $3, $4, $5, 0, 0, ST_Transform(ST_GeomFromWKB($6, $7), 4326))`,
			int64(city)*1000+int64(i)+1, city, int64(city)*1000+1, fmt.Sprintf("150202001%03d", i+1), fmt.Sprintf("C%d", i+1), wkbOf(t, c), testSRID)
	}
}

// insertParcels writes residential parcels (rectangles with residents).
func insertParcels(t testing.TB, pool *pgxpool.Pool, city int, ids []int64, geoms []orb.MultiPolygon, pops []int64) {
	t.Helper()
	bs := make([][]byte, len(geoms))
	for i, g := range geoms {
		bs[i] = wkbOf(t, g)
	}
	execBulk(t, pool, `INSERT INTO residential_land (id, city_id, population, households, geom)
		SELECT id, $1, p, 0, ST_Transform(ST_GeomFromWKB(g, $5), 4326)
		FROM unnest($2::bigint[], $3::bigint[], $4::bytea[]) AS u(id, p, g)`, city, ids, pops, bs, testSRID)
}

// insertFacilities writes facilities at local-metre points.
func insertFacilities(t testing.TB, pool *pgxpool.Pool, city int, ids []int64, cats []string, pts []orb.Point) {
	t.Helper()
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = x0+p[0], y0+p[1]
	}
	execBulk(t, pool, `INSERT INTO facilities (id, city_id, category, name, geom)
		SELECT id, $1, c, c || ' ' || id, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $6), 4326)
		FROM unnest($2::bigint[], $3::text[], $4::float8[], $5::float8[]) AS u(id, c, x, y)`, city, ids, cats, xs, ys, testSRID)
}

// lonLat returns the EPSG:4326 coordinates of a local-metre point, computed by PostGIS.
func lonLat(t testing.TB, pool *pgxpool.Pool, p orb.Point) (float64, float64) {
	t.Helper()
	var lon, lat float64
	if err := pool.QueryRow(ctxT(t), `SELECT ST_X(q), ST_Y(q) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), $3), 4326) q) s`,
		x0+p[0], y0+p[1], testSRID).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	return lon, lat
}

// gridCity generates a rows×cols street grid spaced metres apart with node ids
// 1+r*cols+c: about 5 % of links removed, a diagonal in about 10 % of cells, about 20 %
// of links drawn as a bent three-point line (longer than the straight link), and about
// 3 % of links non-walkable barriers (motorway). A short detached footway pair far from
// the grid makes a second component. Edge ids count from 1.
func gridCity(rows, cols int, spacing float64, seed uint64, bends bool) []edgeRow {
	rng := rand.New(rand.NewPCG(seed, 7))
	id := func(r, c int) int64 { return int64(1 + r*cols + c) }
	pt := func(r, c int) orb.Point { return orb.Point{float64(c) * spacing, float64(r) * spacing} }
	var out []edgeRow
	add := func(r0, c0, r1, c1 int) {
		a, b := pt(r0, c0), pt(r1, c1)
		pts := []orb.Point{a, b}
		if bends && rng.Float64() < 0.2 {
			m := orb.Point{(a[0]+b[0])/2 + (rng.Float64()-0.5)*spacing*0.3, (a[1]+b[1])/2 + (rng.Float64()-0.5)*spacing*0.3}
			pts = []orb.Point{a, m, b}
		}
		e := road(int64(len(out)+1), id(r0, c0), id(r1, c1), pts...)
		e.Walkable = rng.Float64() >= 0.03
		out = append(out, e)
	}
	testdb.GridLinks(rows, cols, rng, add)
	far := float64(cols+5) * spacing
	base := int64(rows*cols + 10)
	out = append(out,
		road(int64(len(out)+1), base, base+1, orb.Point{far, 0}, orb.Point{far + 40, 0}),
		road(int64(len(out)+2), base+1, base+2, orb.Point{far + 40, 0}, orb.Point{far + 40, 30}))
	return out
}

// sameFloat reports whether a and b agree to tol (both +Inf counts as equal).
func sameFloat(a, b, tol float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return math.IsInf(a, 1) && math.IsInf(b, 1)
	}
	return math.Abs(a-b) <= tol
}

// mustNode returns the node index of external id.
func mustNode(t testing.TB, n *Network, id int64) int32 {
	t.Helper()
	i, ok := n.Graph.NodeIndex(id)
	if !ok {
		t.Fatalf("node %d not in graph", id)
	}
	return i
}

// run searches from one node to cutoff.
func runFrom(t testing.TB, n *Network, node int32, cutoff float64) *network.Searcher {
	t.Helper()
	s := network.NewSearcher(n.Graph)
	if err := s.Run([]network.Source{network.AtNode(node, 0)}, cutoff); err != nil {
		t.Fatal(err)
	}
	return s
}
