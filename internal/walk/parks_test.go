package walk

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
)

// insertParks writes parks (local-metre rectangles) with a class and an open status.
func insertParks(t testing.TB, pool *pgxpool.Pool, city int, ids []int64, classes, status []string, geoms []orb.MultiPolygon) {
	t.Helper()
	bs := make([][]byte, len(geoms))
	for i, g := range geoms {
		bs[i] = wkbOf(t, g)
	}
	execBulk(t, pool, `INSERT INTO parks (id, city_id, name, park_class, open_status, geom)
		SELECT id, $1, 'park ' || id, c, s, ST_Transform(ST_GeomFromWKB(g, $6), 4326)
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bytea[]) AS u(id, c, s, g)`, city, ids, classes, status, bs, testSRID)
}

// parkFixture is the living-circle fixture (livingFixture) with a side street and parks,
// in local metres:
//
//   - side street 211 from node 108 at (700, 0) north to node 120 at (700, 300);
//   - park A (community park, open): [120,200]×[30,90], one recorded entrance at
//     (160, 30), 30 m north of the street;
//   - park B (a square, shared): [660,740]×[110,270], no recorded entrance; the side street
//     crosses its boundary at (700, 110) and (700, 270);
//   - park C (garden, closed): [560,600]×[−130,−90], no entrance: contributes nothing.
//
// Walking distance to the nearest park (tier 300 m), A: 30 (entrance leg) + network + 20
// (home leg); B: 110 along the side street down to (700, 0) + network + 20:
//
//	P1 (100):  A 30 + 60 + 20 = 110 ✓                    B 110 + 600 + 20 = 730
//	P2 (400):  A 30 + 240 + 20 = 290 ✓                   B 110 + 300 + 20 = 430
//	P4 (480):  A 30 + 320 + 20 = 370                     B 110 + 220 + 20 = 350 → 350 ✗
//	P3 (800):  A 30 + 640 + 20 = 690                     B 110 + 100 + 20 = 230 ✓
//	P5 unattached
//
// C1 (P1, P2, P4): 300/350 residents, 800/1200 m²; C2 (P3, P5): 300/310; city 600/660.
// park_square counts 3 access points (A's entrance, B's two crossings), none unattached.
func parkFixture(t *testing.T) (*pgxpool.Pool, City) {
	pool, city := livingFixture(t)
	insertEdges(t, pool, city.ID, []edgeRow{road(211, 108, 120, orb.Point{700, 0}, orb.Point{700, 300})})
	insertParks(t, pool, city.ID, []int64{1, 2, 3}, []string{"community", "square", "garden"}, []string{"open", "shared", "closed"},
		[]orb.MultiPolygon{rect(120, 30, 200, 90), rect(660, 110, 740, 270), rect(560, -130, 600, -90)})
	execBulk(t, pool, `INSERT INTO park_entrances (park_id, city_id, geom) VALUES (1, $1, ST_Transform(ST_SetSRID(ST_MakePoint($2, $3), $4), 4326))`,
		city.ID, x0+160, y0+30, testSRID)
	return pool, city
}

// TestLivingCircleParks: the park_square category on the park fixture (values in its
// comment), then in memory the scenario path: a pocket park, the side street closed (park
// B, with nothing walkable within 20 m, loses its access points), and the reload after a
// park edit.
func TestLivingCircleParks(t *testing.T) {
	pool, city := parkFixture(t)
	svc := NewService(pool, quiet())
	ctx := ctxT(t)
	n, in, r, err := svc.Baseline(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	k := slices.IndexFunc(r.Categories, func(c Category) bool { return c.Code == CategoryPark })
	if k < 0 {
		t.Fatal("no park_square category")
	}
	if c := r.Categories[k]; c.ReachM != 300 || c.Basic || c.Source != "parks" || c.NameZh != "公园绿地、广场" {
		t.Fatalf("park_square = %+v", c)
	}
	// The access points: A's entrance, B's two crossings, in park order.
	var pts []orb.Point
	var ids []int64
	for _, f := range in.Facilities {
		if f.Park {
			if f.Category != CategoryPark {
				t.Fatalf("park point of category %s", f.Category)
			}
			pts = append(pts, orb.Point{f.Point[0] - x0, f.Point[1] - y0})
			ids = append(ids, f.ID)
		}
	}
	wantPts := []orb.Point{{160, 30}, {700, 110}, {700, 270}}
	if !slices.Equal(ids, []int64{1, 2, 2}) || len(pts) != 3 {
		t.Fatalf("park points %v of parks %v, want %v of 1, 2, 2", pts, ids, wantPts)
	}
	for i := range pts {
		if math.Hypot(pts[i][0]-wantPts[i][0], pts[i][1]-wantPts[i][1]) > 1e-6 {
			t.Errorf("park point %d at %v, want %v", i, pts[i], wantPts[i])
		}
	}
	if r.Facilities[k].Total != 3 || r.Facilities[k].Unattached != 0 {
		t.Errorf("park_square facilities %+v, want 3 attached", r.Facilities[k])
	}
	inf := math.Inf(1)
	dist := func(r *Reach, in *Inputs) map[int64]float64 {
		out := map[int64]float64{}
		for p, pc := range in.Parcels {
			out[pc.ID] = r.Dist[k][p]
		}
		return out
	}
	checkDist := func(what string, got map[int64]float64, want map[int64]float64) {
		t.Helper()
		for id, w := range want {
			if !sameFloat(got[id], w, 1e-6) {
				t.Errorf("%s: parcel %d at %.9f m from a park, want %v", what, id, got[id], w)
			}
		}
	}
	checkDist("baseline", dist(r, in), map[int64]float64{1: 110, 2: 290, 4: 350, 3: 230, 5: inf})

	shares := func(n *Network, in *Inputs, r *Reach, level string) []CategoryFigure {
		t.Helper()
		rep, err := Indicator(n, in, r, Options{Level: level})
		if err != nil {
			t.Fatal(err)
		}
		var out []CategoryFigure
		for _, a := range rep.Areas {
			out = append(out, figure(a, CategoryPark))
		}
		return out
	}
	approx := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.12f, want %.12f", what, got, want)
		}
	}
	cs := shares(n, in, r, LevelCommunity)
	approx("C1 park share", cs[0].PopulationShare, 300.0/350)
	approx("C1 park area share", cs[0].AreaShare, 800.0/1200)
	approx("C2 park share", cs[1].PopulationShare, 300.0/310)
	approx("city park share", shares(n, in, r, LevelCity)[0].PopulationShare, 600.0/660)
	rep, _ := Indicator(n, in, r, Options{Level: LevelCommunity})
	if rep.CompleteCommunities != 0 || slices.Contains(rep.Areas[1].Missing, CategoryPark) {
		t.Errorf("park_square is not basic: complete %d, C2 missing %v", rep.CompleteCommunities, rep.Areas[1].Missing)
	}

	// The isochrone from P4's street point lists park B once, at its nearer crossing.
	lon, lat := lonLat(t, pool, orb.Point{480, 0})
	iso, err := svc.Isochrone(ctx, IsochroneRequest{City: "lc", Lon: lon, Lat: lat, Cutoffs: []Cutoff{{DistanceM: 400, Basis: "distance"}}})
	if err != nil {
		t.Fatal(err)
	}
	parks := iso.Facilities[CategoryPark]
	if len(parks) != 2 || parks[0].ID != 2 || !sameFloat(parks[0].DistanceM, 330, 1e-6) || parks[1].ID != 1 || !sameFloat(parks[1].DistanceM, 350, 1e-6) {
		t.Errorf("isochrone parks %+v, want B at 330 m and A at 350 m", parks)
	}

	base := NewBase(n, in, r)
	store := svc.Store
	// A pocket park without entrances or crossing streets, the diamond (580, −10), (595, −25),
	// (580, −40), (565, −25): only the main street's edge 500–600 (y = 0) comes within
	// walkgraph.ParkSnapM (10 m, at its north corner), so its one access point is that corner
	// (580, −10), the park's point nearest the street (worked by hand, not by the code's
	// output: the corner is the park's only point at 10 m), attached at (580, 0), a 10 m leg.
	// P4: 10 + 100 + 20 = 130 ✓, P3: 10 + 220 + 20 = 250 (already 230), P2: 10 + 180 + 20 =
	// 210 (already 290 → 210). C1 300/350 → 350/350; city 600/660 → 650/660. (Under the
	// former point-on-surface fallback this park lay at [570,590]×[−60,−40], 40 m off the
	// street: the shared rule gives such a park no access point.)
	pocket := ParkSite{ID: -1, Name: "口袋公园", Geom: orb.MultiPolygon{{{
		{x0 + 580, y0 - 10}, {x0 + 565, y0 - 25}, {x0 + 580, y0 - 40}, {x0 + 595, y0 - 25}, {x0 + 580, y0 - 10}}}}}
	facs, err := store.ParkPoints(ctx, city, []ParkSite{pocket}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(facs) != 1 || !facs[0].Park || facs[0].ID != -1 || math.Hypot(facs[0].Point[0]-x0-580, facs[0].Point[1]-y0+10) > 1e-6 {
		t.Fatalf("pocket park points %+v, want its corner nearest the street (580, -10)", facs)
	}
	for _, share := range []float64{2, -1} {
		a, err := base.Apply(ctx, Changes{AddFacilities: facs}, ApplyOptions{FullShare: share})
		if err != nil {
			t.Fatal(err)
		}
		checkDist("pocket park", dist(a.Reach, a.In), map[int64]float64{1: 110, 2: 210, 4: 130, 3: 230, 5: inf})
		cs := shares(a.Net, a.In, a.Reach, LevelCommunity)
		approx("pocket park: C1 park share", cs[0].PopulationShare, 1)
		approx("pocket park: C2 park share", cs[1].PopulationShare, 300.0/310)
		approx("pocket park: city park share", shares(a.Net, a.In, a.Reach, LevelCity)[0].PopulationShare, 650.0/660)
		if !a.Full && a.Pairs != 5 {
			t.Errorf("pocket park: %d pairs recomputed, want the 5 park_square pairs (every parcel is within 1001 m)", a.Pairs)
		}
		if a.Reach.Facilities[k].Total != 4 {
			t.Errorf("pocket park: %d park points, want 4", a.Reach.Facilities[k].Total)
		}
	}

	// Closing the side street: park B is no longer crossed and no other walkable edge comes
	// within 20 m of it (the main street is 110 m south), so it has no access point: P3 is
	// left with A, 30 + 640 + 20 = 690 ✗, P4 with A, 370 ✗. C2 300/310 → 0; city 600/660 →
	// 300/660; park points 3 → 1 (A's entrance). (The former fallback, B's point on surface
	// with a 190 m leg, gave P3 310 and the same shares.)
	crossed, err := store.ParksCrossed(ctx, city, []int64{211}, nil, nil)
	if err != nil || len(crossed) != 1 || crossed[0].ID != 2 {
		t.Fatalf("parks crossed by edge 211: %+v, %v; want park 2 only (1 has an entrance, 3 is closed)", crossed, err)
	}
	facs, err = store.ParkPoints(ctx, city, crossed, []int64{211}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(facs) != 0 {
		t.Fatalf("park B without its street: %+v, want no access point", facs)
	}
	ch := Changes{CloseEdges: []int64{211}, DeleteParks: []int64{2}, AddFacilities: facs}
	for _, share := range []float64{2, -1} {
		a, err := base.Apply(ctx, ch, ApplyOptions{FullShare: share})
		if err != nil {
			t.Fatal(err)
		}
		checkDist("side street closed", dist(a.Reach, a.In), map[int64]float64{1: 110, 2: 290, 4: 370, 3: 690, 5: inf})
		approx("side street closed: C2 park share", shares(a.Net, a.In, a.Reach, LevelCommunity)[1].PopulationShare, 0)
		approx("side street closed: city park share", shares(a.Net, a.In, a.Reach, LevelCity)[0].PopulationShare, 300.0/660)
		if a.Reach.Facilities[k].Total != 1 {
			t.Errorf("side street closed: %d park points, want 1", a.Reach.Facilities[k].Total)
		}
	}
	// Deleting park A (all its points) leaves P1 and P2 without a park: C1 0/350.
	a, err := base.Apply(ctx, Changes{DeleteParks: []int64{1}}, ApplyOptions{FullShare: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkDist("park A deleted", dist(a.Reach, a.In), map[int64]float64{1: 730, 2: 430, 4: 350, 3: 230})
	if len(a.In.Facilities) != len(in.Facilities)-1 {
		t.Errorf("park A deleted: %d facilities, want %d", len(a.In.Facilities), len(in.Facilities)-1)
	}

	// The change detector sees parks and entrances: opening park C, [560,600]×[−130,−90],
	// 90 m from the street, gives it no access point (nothing walkable within 20 m), so the
	// distances stay; then recording an entrance of park B at (740, 150) — B's crossings give
	// way to it (40 m leg to the side street at (700, 150): P3 40 + 150 + 100 + 20 = 310, P4
	// 40 + 150 + 220 + 20 = 430, so A's 370).
	execBulk(t, pool, `UPDATE parks SET open_status = 'open' WHERE id = 3`)
	_, in2, r2, err := svc.Baseline(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	checkDist("park C opened", dist(r2, in2), map[int64]float64{1: 110, 2: 290, 4: 350, 3: 230})
	execBulk(t, pool, `INSERT INTO park_entrances (park_id, city_id, geom) VALUES (2, $1, ST_Transform(ST_SetSRID(ST_MakePoint($2, $3), $4), 4326))`,
		city.ID, x0+740, y0+150, testSRID)
	_, in3, r3, err := svc.Baseline(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	checkDist("park B entrance", dist(r3, in3), map[int64]float64{1: 110, 2: 290, 4: 370, 3: 310})
	// An edge edit moves the change detector too: a park without entrances is reached
	// where the edges cross it.
	v1, _ := store.InputsVersion(context.Background(), city.ID)
	execBulk(t, pool, `UPDATE network_edges SET walkable = false WHERE id = 211`)
	v2, _ := store.InputsVersion(context.Background(), city.ID)
	if v1 == v2 {
		t.Error("InputsVersion does not see an edge edit (parks without entrances depend on the edges)")
	}
}
