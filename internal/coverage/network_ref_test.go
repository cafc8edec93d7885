package coverage

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
)

// refNetworkCovered is the first implementation of the network method, kept as the
// reference the tiled surface is checked against: one search per distinct radius, then
// per parcel, on one thread, parcel ∩ ⋃ touching service areas ∩ buffer(reached pieces
// clipped to the parcel's box grown by tol, tol). It returns the covered area and the gap
// area of every parcel.
func refNetworkCovered(t testing.TB, snap *Snapshot, cal caliber.Caliber, tol float64) (covered, gaps []float64) {
	t.Helper()
	var parks []CountedPark
	for i := range snap.Parks {
		if r, ok := cal.Radius(snap.Parks[i].Facts()); ok {
			parks = append(parks, CountedPark{Index: i, ID: snap.Parks[i].ID, RadiusM: r})
		}
	}
	wn, err := snap.walkNet()
	if err != nil {
		t.Fatal(err)
	}
	c := geos.NewContext()
	byRadius := map[float64][]network.Source{}
	for _, cp := range parks {
		src, _ := accessPoints(c, wn, &snap.Parks[cp.Index], openness.AnyTime)
		byRadius[cp.RadiusM] = append(byRadius[cp.RadiusM], src...)
	}
	radii := make([]float64, 0, len(byRadius))
	for r := range byRadius {
		radii = append(radii, r)
	}
	sort.Float64s(radii)
	var lines []orb.LineString
	var lboxes []box
	se := network.NewSearcher(wn.g)
	for _, r := range radii {
		if len(byRadius[r]) == 0 {
			continue
		}
		if err := se.Run(byRadius[r], r); err != nil {
			t.Fatal(err)
		}
		segs, err := se.Segments(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			ls := append(orb.LineString(nil), s.Geom...)
			lines = append(lines, ls)
			lboxes = append(lboxes, boxOf(ls.Bound()).expand(tol))
		}
	}
	ltree := newSTRTree(lboxes)
	sa := make([]box, len(parks))
	bufs := make([]*geos.Geom, len(parks))
	for k, cp := range parks {
		sa[k] = boxOf(snap.Parks[cp.Index].Geom.Bound()).expand(cp.RadiusM)
		g := toGEOS(c, snap.Parks[cp.Index].Geom)
		bufs[k] = g.Buffer(cp.RadiusM, QuadSegs)
	}
	stree := newSTRTree(sa)
	covered, gaps = make([]float64, len(snap.Parcels)), make([]float64, len(snap.Parcels))
	var hits []int32
	for i := range snap.Parcels {
		p := &snap.Parcels[i]
		pb := boxOf(p.Geom.Bound())
		g := toGEOS(c, p.Geom)
		var pieces []*geos.Geom
		for _, k := range stree.query(pb, sa, hits[:0]) {
			if bufs[k].Intersects(g) {
				pieces = append(pieces, g.Intersection(bufs[k]))
			}
		}
		if len(pieces) == 0 {
			gaps[i] = p.AreaM2
			continue
		}
		cov := c.NewCollection(geos.TypeIDGeometryCollection, pieces).UnaryUnion()
		q := pb.expand(tol)
		bound := orb.Bound{Min: orb.Point{q.minX, q.minY}, Max: orb.Point{q.maxX, q.maxY}}
		var ls []*geos.Geom
		for _, h := range ltree.query(pb, lboxes, hits[:0]) {
			for _, part := range clip.LineString(bound, lines[h]) {
				if len(part) >= 2 {
					ls = append(ls, lineToGEOS(c, part))
				}
			}
		}
		if len(ls) == 0 {
			gaps[i] = p.AreaM2
			continue
		}
		net := c.NewCollection(geos.TypeIDMultiLineString, ls).Buffer(tol, QuadSegs)
		x := cov.Intersection(net)
		covered[i] = x.Area()
		gaps[i] = g.Difference(x).Area()
	}
	return covered, gaps
}

// TestNetworkMatchesReference checks the tiled network surface against the first,
// per-parcel implementation: to 0.01 m² per parcel (covered and gap areas) on the
// hand-worked fixtures and on generated cities, and to 1e-6 percentage points city-wide on
// the generated city of 10 000 parcels.
func TestNetworkMatchesReference(t *testing.T) {
	type tc struct {
		name string
		snap *Snapshot
		cal  caliber.Caliber
	}
	cases := []tc{
		{"fixture-recorded", netFixture(true), netCaliber()},
		{"fixture-generated", netFixture(false), netCaliber()},
		{"gen2k-seed7", generateCity(7, 2000, 40).Snapshot(), builtin(t, "gbt50563-2010")},
		{"gen2k-tpl", generateCity(3, 2000, 40).Snapshot(), builtin(t, "tpl-10min")},
		{"gen2k-walk5", generateCity(5, 2000, 40).Snapshot(), builtin(t, "tdt1063-walk5")},
		// Streets at an angle: the round caps and joins of the buffers no longer share
		// vertices with the axes.
		{"gen2k-rotated", rotated(generateCity(11, 2000, 40).Snapshot(), 0.3), builtin(t, "gbt50563-2010")},
		{"gen2k-entrances", withEntrances(generateCity(13, 2000, 40).Snapshot()), builtin(t, "gbt50563-2010")},
	}
	if !testing.Short() {
		cases = append(cases, tc{"gen10k", generateCity(1, 10000, 120).Snapshot(), builtin(t, "gbt50563-2010")})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantCov, wantGap := refNetworkCovered(t, tc.snap, tc.cal, DefaultTolerance)
			// With gaps the pieces come from GEOS; without, convex parcels are clipped in Go.
			for _, gaps := range []bool{true, false} {
				res, err := Compute(context.Background(), tc.snap, tc.cal, Options{Method: caliber.Network, Gaps: gaps})
				if err != nil {
					t.Fatal(err)
				}
				var want, total float64
				bad := 0
				for i, p := range tc.snap.Parcels {
					want += wantCov[i]
					total += p.AreaM2
					g := wantGap[i]
					if gaps {
						g = area(res.Gaps[i])
					}
					if math.Abs(res.Covered[i]-wantCov[i]) > 0.01 || math.Abs(g-wantGap[i]) > 0.01 {
						if bad++; bad <= 10 {
							t.Errorf("gaps=%v parcel %d: covered %.6f gap %.6f m², reference %.6f %.6f", gaps, p.ID, res.Covered[i], g, wantCov[i], wantGap[i])
						}
					}
				}
				d := 100 * (res.CoveredM2 - want) / total
				t.Logf("gaps=%v, %d parcels: %.9f %% vs reference %.9f %% (difference %.2g pp)", gaps, len(tc.snap.Parcels), 100*res.Ratio(), 100*want/total, d)
				if math.Abs(d) > 1e-6 {
					t.Errorf("gaps=%v: city figure differs from the reference by %.3g percentage points", gaps, d)
				}
				if bad > 0 {
					t.Errorf("gaps=%v: %d parcels differ", gaps, bad)
				}
			}
		})
	}
}

// TestNetworkMatchesReferenceLoaded does the same on a generated city read back from
// PostGIS: after the round trip through EPSG:4326 no street is exactly straight, which is
// the case of real data.
func TestNetworkMatchesReferenceLoaded(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	generateCity(17, 3000, 60).load(t, pool, "gen3k")
	snap, err := Store{Pool: pool}.Load(ctx, "gen3k")
	if err != nil {
		t.Fatal(err)
	}
	cal := builtin(t, "gbt50563-2010")
	wantCov, _ := refNetworkCovered(t, snap, cal, DefaultTolerance)
	res, err := Compute(ctx, snap, cal, Options{Method: caliber.Network})
	if err != nil {
		t.Fatal(err)
	}
	var want, total float64
	bad := 0
	for i, p := range snap.Parcels {
		want += wantCov[i]
		total += p.AreaM2
		if math.Abs(res.Covered[i]-wantCov[i]) > 0.01 {
			if bad++; bad <= 10 {
				t.Errorf("parcel %d: covered %.6f m², reference %.6f", p.ID, res.Covered[i], wantCov[i])
			}
		}
	}
	d := 100 * (res.CoveredM2 - want) / total
	t.Logf("%d parcels: %.9f %% vs reference %.9f %% (difference %.2g pp)", len(snap.Parcels), 100*res.Ratio(), 100*want/total, d)
	if math.Abs(d) > 1e-6 {
		t.Errorf("city figure differs from the reference by %.3g percentage points", d)
	}
}

// rotated turns every geometry of snap by ang radians about the first parcel's corner.
func rotated(snap *Snapshot, ang float64) *Snapshot {
	o := snap.Parcels[0].Geom[0][0][0]
	sin, cos := math.Sin(ang), math.Cos(ang)
	pt := func(p orb.Point) orb.Point {
		x, y := p[0]-o[0], p[1]-o[1]
		return orb.Point{o[0] + x*cos - y*sin, o[1] + x*sin + y*cos}
	}
	mp := func(g orb.MultiPolygon) orb.MultiPolygon {
		out := orb.MultiPolygon{}
		for _, poly := range g {
			var np orb.Polygon
			for _, r := range poly {
				var nr orb.Ring
				for _, p := range r {
					nr = append(nr, pt(p))
				}
				np = append(np, nr)
			}
			out = append(out, np)
		}
		return out
	}
	for i := range snap.Parks {
		snap.Parks[i].Geom = mp(snap.Parks[i].Geom)
	}
	for i := range snap.Parcels {
		snap.Parcels[i].Geom = mp(snap.Parcels[i].Geom)
	}
	for i := range snap.Areas {
		snap.Areas[i].Geom = mp(snap.Areas[i].Geom)
	}
	for i := range snap.Edges {
		var ls orb.LineString
		for _, p := range snap.Edges[i].Geom {
			ls = append(ls, pt(p))
		}
		snap.Edges[i].Geom = ls
	}
	return snap
}

// withEntrances records two entrances on every other park: the middle of its south side
// and its north-east corner.
func withEntrances(snap *Snapshot) *Snapshot {
	for i := 0; i < len(snap.Parks); i += 2 {
		b := snap.Parks[i].Geom.Bound()
		snap.Parks[i].Entrances = []orb.Point{{(b.Min[0] + b.Max[0]) / 2, b.Min[1]}, b.Max}
	}
	return snap
}
