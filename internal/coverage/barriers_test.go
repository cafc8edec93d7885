package coverage

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
)

// barrierFixture, in metres east and north of (390000, 4490000) in EPSG:4546:
//
//	park 1 (综合公园 100×100 at the origin, 10 000 m² → 500 m under GB/T 50563), a straight
//	  railway at x = 300 from y = −1000 to 1000 with no crossing: it cuts the buffer from
//	  edge to edge (the buffer reaches y = 100 + √(500² − 200²) ≈ 558 and y ≈ −458 there).
//	  Parcels on the buffer's straight side (y 0–100):
//	  A x 150–250: west of the line, 10 000 m² either way;
//	  D x 250–350: across the line, 10 000 m² without barriers, 5 000 (x 250–300) with;
//	  B x 350–450: east, 10 000 without, 0 with;
//	  C x 550–650: east and cut by the buffer's side x = 600, 5 000 without, 0 with.
//	park 2 (the same at x 5000–5100), a railway at x = 5300 crossed by a street at y = 50
//	  (x 5200–5400): the crossing opens a gap, so the line does not cut the buffer;
//	  E x 5350–5450 is covered whole (10 000 m²) either way.
//
// Residential land 50 000 m²: covered 45 000 (90 %) without barriers, 25 000 (50 %) with.
func barrierFixture() (*genCity, [][2]orb.Point) {
	o := orb.Point{390000, 4490000}
	r := func(x0, y0, x1, y1 float64) orb.MultiPolygon { return rect(o[0]+x0, o[1]+y0, o[0]+x1, o[1]+y1) }
	g := &genCity{Origin: o}
	g.Parks = []Park{park(1, caliber.Comprehensive, r(0, 0, 100, 100)), park(2, caliber.Comprehensive, r(5000, 0, 5100, 100))}
	for i, b := range [][4]float64{{150, 0, 250, 100}, {250, 0, 350, 100}, {350, 0, 450, 100}, {550, 0, 650, 100}, {5350, 0, 5450, 100}} {
		g.Parcels = append(g.Parcels, parcel(int64(i+1), r(b[0], b[1], b[2], b[3]), 100))
	}
	g.Areas = []Area{{Level: LevelDistrict, Name: "d", Geom: r(-2000, -2000, 8000, 2000)},
		{Level: LevelSubdistrict, Name: "s", Geom: r(-2000, -2000, 8000, 2000)},
		{Level: LevelCommunity, Name: "c", Geom: r(-2000, -2000, 8000, 2000)}}
	g.Edges = []network.Edge{{ID: 1, Source: 1, Target: 2, Length: 200, Walkable: true,
		Geom: orb.LineString{{o[0] + 5200, o[1] + 50}, {o[0] + 5400, o[1] + 50}}}}
	rails := [][2]orb.Point{
		{{o[0] + 300, o[1] - 1000}, {o[0] + 300, o[1] + 1000}},
		{{o[0] + 5300, o[1] - 1000}, {o[0] + 5300, o[1] + 1000}},
	}
	return g, rails
}

// TestBarriersCutTheBuffer: the fixture above loaded into PostGIS; with a caliber's
// barriers off and on, every parcel's covered area is the hand-worked one (to 0.01 m²,
// after the EPSG:4326 round trip), and, with barriers, each park's service area and each
// parcel's covered area equal PostGIS's own: the buffer ST_Split by the barrier lines
// (each less 1 m around a walkable crossing, by ST_Difference) and the pieces sharing area
// with the park kept, to 1e-6 m².
func TestBarriersCutTheBuffer(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	g, rails := barrierFixture()
	city := g.load(t, pool, "barrier")
	for i, l := range rails {
		b, _ := wkb.Marshal(orb.LineString{l[0], l[1]})
		if _, err := pool.Exec(ctx, `INSERT INTO network_edges (city_id, source, target, highway, walkable, geom)
			VALUES ($1, $2, $3, 'railway', false, ST_Transform(ST_SetSRID(ST_GeomFromWKB($4), 4546), 4326))`, city, 100+2*i, 101+2*i, b); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := Store{Pool: pool}.Load(ctx, "barrier")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Barriers) != 3 {
		t.Fatalf("%d barrier lines, want 3 (the first railway, the second in two pieces at its crossing)", len(snap.Barriers))
	}
	off := builtin(t, "gbt50563-2010")
	on := off
	on.Barriers = true
	if string(on.Digest()) == string(off.Digest()) {
		t.Fatal("barriers must be part of the caliber's definition (the run key)")
	}
	for _, c := range []struct {
		cal  caliber.Caliber
		want []float64 // A, D, B, C, E
	}{
		{off, []float64{10000, 10000, 10000, 5000, 10000}},
		{on, []float64{10000, 5000, 0, 0, 10000}},
	} {
		res, err := Compute(ctx, snap, c.cal, Options{Method: caliber.Buffer, Gaps: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range snap.Parcels {
			if math.Abs(res.Covered[i]-c.want[i]) > 0.01 {
				t.Errorf("barriers %v, parcel %d: covered %.4f m², by hand %.0f", c.cal.Barriers, p.ID, res.Covered[i], c.want[i])
			}
		}
		t.Logf("barriers %v: %.4f of %.4f m² (%.4f %%)", c.cal.Barriers, res.CoveredM2, res.TotalM2, 100*res.Ratio())
		// The network method stays within the (cut) service areas.
		net, err := Compute(ctx, snap, c.cal, Options{Method: caliber.Network})
		if err != nil {
			t.Fatal(err)
		}
		assertNetworkWithinBuffer(t, net, res)
		if !c.cal.Barriers {
			continue
		}
		// PostGIS: the service areas cut by ST_Split and picked by area shared with the park.
		const oracle = `WITH bl AS (
			SELECT ST_CollectionExtract(ST_Collect(coalesce(ST_Difference(b.geom_m,
				(SELECT ST_Union(ST_Buffer(ST_Intersection(b.geom_m, w.geom_m), 1)) FROM network_edges w
				 WHERE w.city_id = $1 AND w.walkable AND ST_Intersects(b.geom_m, w.geom_m))), b.geom_m)), 2) AS g
			FROM network_edges b WHERE b.city_id = $1 AND NOT b.walkable),
		sa AS (SELECT p.id, (SELECT ST_Union(d.geom) FROM ST_Dump(ST_Split(ST_Buffer(p.geom_m, 500),
				(SELECT bl.g FROM bl))) d
			WHERE ST_Area(ST_Intersection(d.geom, p.geom_m)) > 0) AS g
			FROM parks p WHERE p.city_id = $1)
		SELECT 0, ST_Area(g) FROM sa WHERE id = (SELECT min(id) FROM parks WHERE city_id = $1)
		UNION ALL SELECT 1, ST_Area(g) FROM sa WHERE id = (SELECT max(id) FROM parks WHERE city_id = $1)
		UNION ALL SELECT 2 + row_number() OVER (ORDER BY r.id) - 1, ST_Area(ST_Intersection(r.geom_m, (SELECT ST_Union(g) FROM sa)))
		FROM residential_land r WHERE r.city_id = $1 ORDER BY 1`
		rows, err := pool.Query(ctx, oracle, city)
		if err != nil {
			t.Fatal(err)
		}
		var want []float64
		for rows.Next() {
			var k int
			var a float64
			if err := rows.Scan(&k, &a); err != nil {
				t.Fatal(err)
			}
			want = append(want, a)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		gc := geos.NewContext()
		for k := range res.Parks {
			sa := serviceArea(gc, snap, res, int32(k))
			got := sa.Area()
			sa.Destroy()
			if math.Abs(got-want[k]) > 1e-6 {
				t.Errorf("park %d: service area %.9f m², PostGIS %.9f m²", res.Parks[k].ID, got, want[k])
			}
			t.Logf("park %d: service area %.6f m² (PostGIS %.6f)", res.Parks[k].ID, got, want[k])
		}
		for i := range snap.Parcels {
			if math.Abs(res.Covered[i]-want[2+i]) > 1e-6 {
				t.Errorf("parcel %d: covered %.9f m², PostGIS %.9f m²", snap.Parcels[i].ID, res.Covered[i], want[2+i])
			}
		}
	}
}

// TestBarriersOnTheDemo: on the demo city (scale 0.05: its railway, 昆都仑河 and the Yellow
// River as non-walkable edges, bridged where streets cross them), GB/T 51346 with barriers
// covers, parcel by parcel, at most what it covers without, and the city's covered area
// equals PostGIS's: every counted park's ST_Buffer ST_Split by the barrier lines (less 1 m
// around each walkable crossing), the pieces sharing area with the park, their union
// intersected with every parcel; to 1e-6 m² per parcel.
func TestBarriersOnTheDemo(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, pool, 0.05); err != nil {
		t.Fatal(err)
	}
	snap, err := Store{Pool: pool}.Load(ctx, "baotou")
	if err != nil {
		t.Fatal(err)
	}
	off := builtin(t, "gbt51346-2019")
	on := off
	on.Barriers = true
	a, err := Compute(ctx, snap, off, Options{Method: caliber.Buffer})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compute(ctx, snap, on, Options{Method: caliber.Buffer})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d barrier lines; gbt51346-2019 buffer: %.4f %% without barriers, %.4f %% with (%.0f m² less)",
		len(snap.Barriers), 100*a.Ratio(), 100*b.Ratio(), a.CoveredM2-b.CoveredM2)
	if len(snap.Barriers) == 0 || !(b.CoveredM2 < a.CoveredM2) {
		t.Errorf("the demo's barriers should remove some coverage: %d lines, %.2f vs %.2f m²", len(snap.Barriers), b.CoveredM2, a.CoveredM2)
	}
	for i := range snap.Parcels {
		if b.Covered[i] > a.Covered[i]+1e-6 {
			t.Errorf("parcel %d: %.6f m² with barriers, %.6f without", snap.Parcels[i].ID, b.Covered[i], a.Covered[i])
		}
	}
	want := testdb.Pairs[int64, float64](ctx, t, pool, `WITH bl AS (
			SELECT ST_CollectionExtract(ST_Collect(coalesce(ST_Difference(b.geom_m,
				(SELECT ST_Union(ST_Buffer(ST_Intersection(b.geom_m, w.geom_m), 1)) FROM network_edges w
				 WHERE w.city_id = b.city_id AND w.walkable AND ST_Intersects(b.geom_m, w.geom_m))), b.geom_m)), 2) AS g
			FROM network_edges b WHERE b.city_id = $1 AND NOT b.walkable),
		sa AS (SELECT (SELECT ST_Union(d.geom) FROM ST_Dump(ST_Split(ST_Buffer(p.geom_m, 500), (SELECT g FROM bl))) d
			WHERE ST_Area(ST_Intersection(d.geom, p.geom_m)) > 0) AS g
			FROM parks p WHERE p.city_id = $1 AND p.park_class IN ('comprehensive', 'community', 'specialized', 'square')
			AND p.open_status IN ('open', 'shared') AND NOT p.pocket),
		u AS (SELECT ST_Union(g) AS g FROM sa)
		SELECT r.id, ST_Area(ST_Intersection(r.geom_m, u.g)) FROM residential_land r, u WHERE r.city_id = $1`, snap.CityID)
	worst := 0.0
	for i, p := range snap.Parcels {
		d := math.Abs(b.Covered[i] - want[p.ID])
		worst = math.Max(worst, d)
		if d > 1e-6 {
			t.Errorf("parcel %d: %.9f m², PostGIS %.9f m²", p.ID, b.Covered[i], want[p.ID])
		}
	}
	t.Logf("%d parcels equal PostGIS's (largest difference %.3g m²)", len(snap.Parcels), worst)
}
