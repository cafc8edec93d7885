package coverage

import (
	"cmp"
	"context"
	"math"
	"slices"
	"testing"

	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/openness"
	livingcircle "github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// sqlParkAccess is the rule for the access points of a park without recorded entrances,
// written again in PostGIS from its statement (docs/architecture.md "Park access points"),
// not from walkgraph.ParkAccessPoints: the points of ST_Intersection(ST_Boundary(park),
// edge) over the walkable edges crossing or touching the boundary, one per position; for
// a park with none, ST_ClosestPoint(park, edge) for every walkable edge within $2 m. Each
// point is then attached to its nearest walkable edge (ST_ClosestPoint on it, the leg
// ST_Distance). Rows: park id, the park-side point, the attachment point and the leg.
const sqlParkAccess = `
WITH p AS (
	SELECT id, geom_m AS g FROM parks
	WHERE city_id = $1 AND open_status IN ('open', 'shared') AND geom_m IS NOT NULL
	  AND NOT EXISTS (SELECT 1 FROM park_entrances en WHERE en.city_id = parks.city_id AND en.park_id = parks.id)
), e AS (
	SELECT id, geom_m AS g FROM network_edges WHERE city_id = $1 AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL
), x AS (
	SELECT p.id, (ST_DumpPoints(ST_Intersection(ST_Boundary(p.g), e.g))).geom AS pt
	FROM p JOIN e ON ST_Intersects(ST_Boundary(p.g), e.g)
), n AS (
	SELECT p.id, ST_ClosestPoint(p.g, e.g) AS pt FROM p JOIN e ON ST_DWithin(p.g, e.g, $2::float8)
	WHERE NOT EXISTS (SELECT 1 FROM x WHERE x.id = p.id)
), pts AS (
	SELECT DISTINCT ON (id, ST_X(pt), ST_Y(pt)) id, pt FROM (SELECT * FROM x UNION ALL SELECT * FROM n) u
)
SELECT pts.id, ST_X(pts.pt), ST_Y(pts.pt), ST_X(a.pt), ST_Y(a.pt), a.d FROM pts
CROSS JOIN LATERAL (SELECT ST_ClosestPoint(e.g, pts.pt) AS pt, ST_Distance(e.g, pts.pt) AS d FROM e
	WHERE ST_DWithin(e.g, pts.pt, $2::float8) ORDER BY 2, e.id LIMIT 1) a
ORDER BY 1, 2, 3`

// accessRow is one access point: the park-side point and where it joins the network.
type accessRow struct {
	park         int64
	x, y, ax, ay float64
	leg          float64
}

// TestParkAccessAgreesWithPostGIS: on a generated city loaded into PostGIS, the access
// points of every park without recorded entrances, as park coverage's network method
// (accessPoints: where it attaches and the leg) and the living circle (walk.Store.Inputs:
// the park-side points) derive them, equal sqlParkAccess's to 1e-6 m, point for point.
func TestParkAccessAgreesWithPostGIS(t *testing.T) {
	pool := newDB(t)
	if pool == nil {
		return
	}
	ctx := context.Background()
	city := generateCity(21, 600, 40).load(t, pool, "access")
	rows, err := pool.Query(ctx, sqlParkAccess, city, walkgraph.ParkSnapM)
	if err != nil {
		t.Fatal(err)
	}
	var want []accessRow
	for rows.Next() {
		var r accessRow
		if err := rows.Scan(&r.park, &r.x, &r.y, &r.ax, &r.ay, &r.leg); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	parks := map[int64]bool{}
	for _, r := range want {
		parks[r.park] = true
	}
	t.Logf("%d access points of %d parks", len(want), len(parks))
	if len(parks) < 10 {
		t.Fatalf("only %d parks with access points: the fixture does not exercise the rule", len(parks))
	}
	key := func(a accessRow) [3]float64 {
		return [3]float64{math.Round(a.leg * 1e4), math.Round(a.x * 1e4), math.Round(a.y * 1e4)}
	}
	byLeg := func(a, b accessRow) int {
		ka, kb := key(a), key(b)
		return cmp.Or(cmp.Compare(a.park, b.park), cmp.Compare(ka[0], kb[0]), cmp.Compare(ka[1], kb[1]), cmp.Compare(ka[2], kb[2]))
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }
	// tie: where a park side runs parallel to a street, every point of the stretch is
	// nearest it; the rule takes one of them (GEOS's), PostGIS may take another. A point
	// that differs from PostGIS's is accepted when it is such a tie, checked in PostGIS:
	// the park-side point (x, y; NaN when not known) lies on the park's boundary with the
	// leg to the nearest walkable edge; the attachment (ax, ay; NaN when not known) lies on
	// a walkable edge, the leg from the park.
	ties := 0
	tie := func(a accessRow) bool {
		t.Helper()
		ties++
		var ok bool
		if err := pool.QueryRow(ctx, `SELECT
				($2::float8 = 'NaN' OR (ST_Distance(ST_Boundary(p.geom_m), ST_SetSRID(ST_MakePoint($2, $3), ST_SRID(p.geom_m))) <= 1e-6
					AND abs((SELECT min(ST_Distance(e.geom_m, ST_SetSRID(ST_MakePoint($2, $3), ST_SRID(p.geom_m)))) FROM network_edges e WHERE e.city_id = p.city_id AND e.walkable AND e.source IS NOT NULL) - $6) <= 1e-6))
				AND ($4::float8 = 'NaN' OR ((SELECT min(ST_Distance(e.geom_m, ST_SetSRID(ST_MakePoint($4, $5), ST_SRID(p.geom_m)))) FROM network_edges e WHERE e.city_id = p.city_id AND e.walkable AND e.source IS NOT NULL) <= 1e-6
					AND abs(ST_Distance(p.geom_m, ST_SetSRID(ST_MakePoint($4, $5), ST_SRID(p.geom_m))) - $6) <= 1e-6))
			FROM parks p WHERE p.id = $1`, a.park, a.x, a.y, a.ax, a.ay, a.leg).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	compare := func(what string, got []accessRow, parkSide bool) {
		t.Helper()
		w := slices.Clone(want)
		slices.SortFunc(w, byLeg)
		slices.SortFunc(got, byLeg)
		if len(got) != len(w) {
			t.Fatalf("%s: %d access points, PostGIS %d", what, len(got), len(w))
		}
		for k := range got {
			g, r := got[k], w[k]
			same := close(g.ax, r.ax) && close(g.ay, r.ay)
			if parkSide {
				same = close(g.x, r.x) && close(g.y, r.y)
			}
			if g.park != r.park || !close(g.leg, r.leg) || (!same && !tie(g)) {
				t.Errorf("%s, park %d: point (%.6f, %.6f) attached at (%.6f, %.6f), leg %.6f; PostGIS park %d (%.6f, %.6f) at (%.6f, %.6f), leg %.6f",
					what, g.park, g.x, g.y, g.ax, g.ay, g.leg, r.park, r.x, r.y, r.ax, r.ay, r.leg)
			}
		}
	}

	// Park coverage: where each access point attaches and its leg.
	snap, err := Store{Pool: pool}.Load(ctx, "access")
	if err != nil {
		t.Fatal(err)
	}
	wn, err := snap.walkNet()
	if err != nil {
		t.Fatal(err)
	}
	c := geos.NewContext()
	var got []accessRow
	for i := range snap.Parks {
		p := &snap.Parks[i]
		if len(p.Entrances) > 0 || (p.OpenStatus != "open" && p.OpenStatus != "shared") {
			continue
		}
		src, _ := accessPoints(c, wn, p, openness.AnyTime)
		for _, s := range src {
			got = append(got, accessRow{park: p.ID, x: math.NaN(), y: math.NaN(), ax: s.At.Point[0], ay: s.At.Point[1], leg: s.At.Access})
		}
	}
	compare("park coverage", got, false)

	// The living circle: its park facilities are the park-side points.
	cityRow, err := citydata.ByID(ctx, pool, city)
	if err != nil {
		t.Fatal(err)
	}
	in, err := livingcircle.Store{Pool: pool}.Inputs(ctx, cityRow)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, f := range in.Facilities {
		if f.Park {
			// the leg to the nearest walkable edge orders the points like PostGIS's; the
			// comparison checks it
			a, _ := wn.ix.Attach(f.Point, walkgraph.ParkSnapM)
			got = append(got, accessRow{park: f.ID, x: f.Point[0], y: f.Point[1], ax: math.NaN(), ay: math.NaN(), leg: a.Access})
		}
	}
	compare("living circle", got, true)
	t.Logf("%d ties between equally near points checked in PostGIS", ties)
}
