package walk

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/testdb"
)

// TestIsochroneTolerance checks the polygon guarantee of the isochrone endpoint on a fine
// grid with barriers, using walking distances that come from pgRouting, not the engine:
// node distances by pgr_drivingDistance, the distance of a point along an edge as
// min(dA + x, dB + L − x) sampled every 0.5 m, and the walking distance of any point as
// the least distance of a network point plus the straight line to it. For sampled
// points: a covered point is within cut-off + tolerance (+ 0.5 m of sampling); a point
// within buffer − half a cell diagonal of a network point within the cut-off is covered.
func TestIsochroneTolerance(t *testing.T) {
	db := testdb.New(t)
	pool := db.Pool
	city := newCity(t, pool, "fine")
	const spacing = 60.0
	edges := gridCity(15, 15, spacing, 23, false)
	insertEdges(t, pool, city.ID, edges)
	ctx := ctxT(t)
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting`); err != nil {
		t.Fatal(err)
	}
	origin := int64(1 + 7*15 + 7) // node (7,7) at (420, 420)
	nodeDist := testdb.Pairs[int64, float64](ctx, t, pool, `SELECT node, agg_cost FROM pgr_drivingDistance($1, $2::bigint, 5000, directed => false)`, edgesSQL(city.ID), origin)
	// Sampled network points with their true distances.
	type sample struct {
		p orb.Point
		d float64
	}
	var net []sample
	for _, e := range edges {
		da, okA := nodeDist[e.Source]
		db, okB := nodeDist[e.Target]
		if !e.Walkable || (!okA && !okB) {
			continue
		}
		if !okA {
			da = math.Inf(1)
		}
		if !okB {
			db = math.Inf(1)
		}
		a, b := e.Pts[0], e.Pts[1]
		L := math.Hypot(b[0]-a[0], b[1]-a[1])
		for x := 0.0; ; x += 0.5 {
			x = math.Min(x, L)
			f := x / L
			net = append(net, sample{orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}, math.Min(da+x, db+L-x)})
			if x == L {
				break
			}
		}
	}

	lon, lat := lonLat(t, pool, orb.Point{420, 420})
	var res fc
	if code := get(t, engine(NewService(pool, quiet())), "/api/v1/isochrones", url.Values{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)},
		"distances": {"150,300"}, "city": {"fine"}}, &res); code != 200 {
		t.Fatal(code)
	}
	tol, inner := res.Polygons.ToleranceM, res.Polygons.BufferM-res.Polygons.CellSizeM*math.Sqrt2/2
	if math.Abs(tol-(25+10*math.Sqrt2/2)) > 1e-9 {
		t.Fatalf("stated tolerance %v", tol)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	pts := make([]orb.Point, 0, 3000)
	for range 3000 {
		pts = append(pts, orb.Point{rng.Float64()*14*spacing + 80, rng.Float64()*14*spacing + 80})
	}
	checked := 0
	for _, f := range res.Features {
		if f.Properties["kind"] != "isochrone" {
			continue
		}
		c := f.Properties["distance_m"].(float64)
		in := covers(t, pool, json.RawMessage(f.Geometry), pts)
		for i, p := range pts {
			walk, near := math.Inf(1), false
			for _, s := range net {
				dx, dy := p[0]-s.p[0], p[1]-s.p[1]
				h := math.Sqrt(dx*dx + dy*dy)
				walk = math.Min(walk, s.d+h)
				if s.d <= c && h <= inner-0.1 {
					near = true
				}
			}
			if in[i] && walk > c+tol+0.5 {
				t.Errorf("cut-off %v: covered point %v walks %.3f m > cut-off + %.2f m", c, p, walk, tol)
			}
			if near && !in[i] {
				t.Errorf("cut-off %v: point %v within %.2f m of a reached network point is not covered", c, p, inner)
			}
			checked++
		}
	}
	t.Logf("checked %d point/cut-off pairs against pgRouting distances (tolerance %.2f m)", checked, tol)
}
