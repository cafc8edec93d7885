package walk

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
)

// gateWalkFixture is the living-circle fixture (livingFixture: street y = 0, x 0–1000,
// nodes 101…111 every 100 m, parcels 20 m south) with one community park [140,860]×[30,90]
// and two recorded gates, W at (140, 30) and E at (860, 30), 30 m north of the street.
// Walking distance from a parcel to the park = 30 (gate leg) + network + 20 (home leg):
//
//	parcel  x    via W              via E              nearest
//	P1      100  30+40+20 = 90      30+760+20 = 810    90  (W)
//	P2      400  30+260+20 = 310    30+460+20 = 510    310 (W)
//	P4      480  30+340+20 = 390    30+380+20 = 430    390 (W)
//	P3      800  30+660+20 = 710    30+60+20 = 110     110 (E)
//
// With the tier of 300 m, P1 and P3 are served; closing E serves P1 only (P3 then 710).
func gateWalkFixture(t *testing.T) (*pgxpool.Pool, City, [2]int64) {
	pool, city := livingFixture(t)
	insertParks(t, pool, city.ID, []int64{1}, []string{"community"}, []string{"open"}, []orb.MultiPolygon{rect(140, 30, 860, 90)})
	var ids [2]int64
	for i, x := range []float64{140, 860} {
		if err := pool.QueryRow(ctxT(t), `INSERT INTO park_entrances (park_id, city_id, name, geom)
			VALUES (1, $1, $2, ST_Transform(ST_SetSRID(ST_MakePoint($3, $4), $5), 4326)) RETURNING id`,
			city.ID, []string{"W", "E"}[i], x0+x, y0+30, testSRID).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	return pool, city, ids
}

// TestParkGates: the park category's distance per parcel as gates close and open at some
// hours (the values in gateWalkFixture's comment), the park closed, and at= on the
// service (Options.At): only gates open then are access points.
func TestParkGates(t *testing.T) {
	pool, city, ids := gateWalkFixture(t)
	svc := NewService(pool, quiet())
	ctx := ctxT(t)
	set := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	inf := math.Inf(1)
	for _, c := range []struct {
		name  string
		setup func()
		at    string
		want  map[int64]float64 // parcel → distance to the park
	}{
		{"both gates", func() {}, "", map[int64]float64{1: 90, 2: 310, 4: 390, 3: 110, 5: inf}},
		{"E closed", func() { set(`UPDATE park_entrances SET status = 'closed' WHERE id = $1`, ids[1]) }, "", map[int64]float64{1: 90, 2: 310, 4: 390, 3: 710, 5: inf}},
		{"W closed", func() {
			set(`UPDATE park_entrances SET status = CASE WHEN id = $1 THEN 'closed' ELSE 'open' END WHERE city_id = $2`, ids[0], city.ID)
		}, "", map[int64]float64{1: 810, 2: 510, 4: 430, 3: 110, 5: inf}},
		{"both closed", func() { set(`UPDATE park_entrances SET status = 'closed' WHERE city_id = $1`, city.ID) }, "", map[int64]float64{1: inf, 2: inf, 4: inf, 3: inf, 5: inf}},
		{"hours, any time", func() {
			set(`UPDATE park_entrances SET status = 'open', open_hours = CASE WHEN id = $1 THEN '09:00-18:00' ELSE '06:00-10:00' END WHERE city_id = $2`, ids[0], city.ID)
		}, "", map[int64]float64{1: 90, 2: 310, 4: 390, 3: 110, 5: inf}},
		{"at 07:00: E only", func() {}, "07:00", map[int64]float64{1: 810, 2: 510, 4: 430, 3: 110, 5: inf}},
		{"at 12:00: W only", func() {}, "12:00", map[int64]float64{1: 90, 2: 310, 4: 390, 3: 710, 5: inf}},
		{"at 22:00: none", func() {}, "22:00", map[int64]float64{1: inf, 2: inf, 4: inf, 3: inf, 5: inf}},
		{"park closed", func() { set(`UPDATE parks SET open_status = 'closed' WHERE city_id = $1`, city.ID) }, "", map[int64]float64{1: inf, 2: inf, 4: inf, 3: inf, 5: inf}},
	} {
		c.setup()
		n, in, r, err := svc.Baseline(ctx, city)
		if err != nil {
			t.Fatal(err)
		}
		opt := Options{}
		if opt.At, err = ParseAt(c.at); err != nil {
			t.Fatal(err)
		}
		_, in, r, err = svc.reachFor(ctx, n, in, r, &opt)
		if err != nil {
			t.Fatal(err)
		}
		k := slices.IndexFunc(r.Categories, func(cat Category) bool { return cat.Code == CategoryPark })
		for p, pc := range in.Parcels {
			if w := c.want[pc.ID]; !sameFloat(r.Dist[k][p], w, 1e-6) {
				t.Errorf("%s: parcel %d at %.6f m from the park, want %v", c.name, pc.ID, r.Dist[k][p], w)
			}
		}
		rep, err := svc.indicatorOn(ctx, n, in, r, opt)
		if err != nil {
			t.Fatal(err)
		}
		if rep.At != c.at {
			t.Errorf("%s: report at %q, want %q", c.name, rep.At, c.at)
		}
	}
	if _, err := ParseAt("7h"); err == nil {
		t.Error("at=7h accepted")
	}
}

// TestWheelchairNoSteps: the street piece x 400–500 (edge 205) has steps. The standard
// profile walks it; the wheelchair profile does not, which cuts the street in two: the
// kindergarten K at (150, 10) (10 m leg onto the street at x 150, node 103 at x 200) then
// reaches P2 (x 400, node 105) but not P4 (x 480, which attaches to node 106 at x 500,
// √(20² + 20²) m away, once edge 205 is gone) nor P3 (x 800, node 109). By hand:
//
//	standard:   P2 10+50+200+0+20 = 280, P4 10+50+200+80+20 = 360, P3 10+50+600+20 = 680
//	wheelchair: P2 280, P4 and P3 unreachable
//
// and pgRouting agrees: pgr_dijkstraCost from node 103 on the routed edges (less the steps
// edges for the wheelchair) gives the network part, 200 to node 105 either way, 300 to
// node 106 and 600 to node 109 with steps, no path without.
func TestWheelchairNoSteps(t *testing.T) {
	pool, city := livingFixture(t)
	ctx := ctxT(t)
	if _, err := pool.Exec(ctx, `UPDATE network_edges SET steps = true WHERE city_id = $1 AND id = 205`, city.ID); err != nil {
		t.Fatal(err)
	}
	pgr := func(noSteps bool) map[int64]float64 {
		edges := fmt.Sprintf(`SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM network_edges
			WHERE city_id = %d AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL AND NOT (steps AND %t)`, city.ID, noSteps)
		rows, err := pool.Query(ctx, `SELECT end_vid, agg_cost FROM pgr_dijkstraCost($1, 103, ARRAY[105, 106, 109]::bigint[], directed => false)`, edges)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]float64{}
		for rows.Next() {
			var v int64
			var c float64
			if err := rows.Scan(&v, &c); err != nil {
				t.Fatal(err)
			}
			out[v] = c
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	inf := math.Inf(1)
	with, without := pgr(false), pgr(true)
	// (lengths after the EPSG:4326 round trip: a few nanometres off)
	if !sameFloat(with[105], 200, 1e-6) || !sameFloat(with[106], 300, 1e-6) || !sameFloat(with[109], 600, 1e-6) ||
		len(without) != 1 || !sameFloat(without[105], 200, 1e-6) {
		t.Fatalf("pgRouting: with steps %v, without %v", with, without)
	}
	or := func(m map[int64]float64, v int64) float64 {
		if d, ok := m[v]; ok {
			return d
		}
		return inf
	}
	svc := NewService(pool, quiet())
	n, in, r, err := svc.Baseline(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.Steps, []int64{205}) {
		t.Fatalf("steps edges %v, want [205]", n.Steps)
	}
	for _, c := range []struct {
		profile string
		pg      map[int64]float64
	}{{"standard", with}, {"wheelchair", without}} {
		opt := Options{Profile: c.profile}
		_, in2, r2, err := svc.reachFor(ctx, n, in, r, &opt)
		if err != nil {
			t.Fatal(err)
		}
		k := slices.IndexFunc(r2.Categories, func(cat Category) bool { return cat.Code == "kindergarten" })
		want := map[int64]float64{2: 10 + 50 + or(c.pg, 105) + 20, 3: 10 + 50 + or(c.pg, 109) + 20}
		if c.profile == "standard" { // P4 on edge 205, 80 m east of node 105
			want[4] = 10 + 50 + or(c.pg, 105) + 80 + 20
		} else { // edge 205 gone: P4 attaches to node 106, √(20² + 20²) m away
			want[4] = 10 + 50 + or(c.pg, 106) + math.Hypot(20, 20)
		}
		hand := map[string]map[int64]float64{"standard": {2: 280, 4: 360, 3: 680}, "wheelchair": {2: 280, 4: inf, 3: inf}}[c.profile]
		for p, pc := range in2.Parcels {
			w, ok := want[pc.ID]
			if !ok {
				continue
			}
			if !sameFloat(w, hand[pc.ID], 1e-6) {
				t.Fatalf("%s parcel %d: pgRouting %v, by hand %v", c.profile, pc.ID, w, hand[pc.ID])
			}
			if !sameFloat(r2.Dist[k][p], w, 1e-6) {
				t.Errorf("%s: parcel %d at %.6f m from the kindergarten, want %v", c.profile, pc.ID, r2.Dist[k][p], w)
			}
		}
	}
}
