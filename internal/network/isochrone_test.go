package network

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// straightEdge is one 1000 m edge along y = 0 searched from its west end.
func straightEdge(t *testing.T, cutoff float64) *Searcher {
	g := mustGraph(t, []Edge{walk(1, 1, 2, 1000, orb.Point{0, 0}, orb.Point{1000, 0})})
	s := NewSearcher(g)
	if err := s.Run([]Source{AtNode(mustNode(t, g, 1), 0)}, cutoff); err != nil {
		t.Fatal(err)
	}
	return s
}

// The 300 m isochrone of a straight edge is the reached piece [0, 300] buffered by r.
//
// Hand count with 10 m cells (centres at 5 + 10k) and r = 25 m: over x in (0, 300) the
// 30 columns keep centres y = ±5, ±15, ±25 (6 cells, |y| <= r inclusive); past each end
// the columns at 5 m and 15 m keep y = ±5, ±15 (distances to the end 7.1, 15.8, 15.8,
// 21.2 m; ±25 gives 25.5 m), the column at 25 m keeps nothing (25.5 m). That is
// 180 + 8 + 8 = 196 cells = 19 600 m². With r = 24 m the ±25 rows drop: 120 + 16 = 136
// cells = 13 600 m², the rectangle [-20, 320] × [-20, 20].
func TestIsochroneStraightEdgeHandArea(t *testing.T) {
	s := straightEdge(t, 1000)
	for _, tc := range []struct {
		r, want float64
		points  int
	}{{25, 19600, 13}, {24, 13600, 5}} {
		iso, err := s.Isochrones([]float64{300}, IsochroneOptions{CellSize: 10, Tolerance: tc.r})
		if err != nil {
			t.Fatal(err)
		}
		p := iso[0].Polygon
		if iso[0].Area != tc.want || planar.Area(p) != tc.want {
			t.Errorf("r = %v: area %v (polygon %v), want %v", tc.r, iso[0].Area, planar.Area(p), tc.want)
		}
		if len(p) != 1 || len(p[0]) != 1 {
			t.Errorf("r = %v: want one polygon without holes, got %v", tc.r, p)
		}
		// r = 25: [0, 300] × [-30, 30] with [-20, 0] and [300, 320] × [-20, 20] on the
		// ends, 12 corners; r = 24: a rectangle, 4 corners; plus the closing point.
		if n := len(p[0][0]); n != tc.points {
			t.Errorf("r = %v: outline %v, want %d points", tc.r, p[0][0], tc.points)
		}
	}
}

// The raster area must lie between the areas of the exact buffers at r ∓ half the cell
// diagonal (stadiums 2·ρ·300 + πρ²), and sampled points must respect the guarantee.
func TestIsochroneStraightEdgeWithinTolerance(t *testing.T) {
	s := straightEdge(t, 300)
	const r, length = 25.0, 300.0
	stadium := func(rho float64) float64 { return 2*rho*length + math.Pi*rho*rho }
	for _, cell := range []float64{1, 5, 10} {
		iso, err := s.Isochrones([]float64{300}, IsochroneOptions{CellSize: cell, Tolerance: r})
		if err != nil {
			t.Fatal(err)
		}
		half := cell * math.Sqrt2 / 2
		lo, hi := stadium(r-half), stadium(r+half)
		if a := iso[0].Area; a < lo || a > hi {
			t.Errorf("cell %v: area %v outside [%v, %v] (exact buffer %v)", cell, a, lo, hi, stadium(r))
		}
		t.Logf("cell %v m: raster area %.0f m², exact buffer %.1f m²", cell, iso[0].Area, stadium(r))
		piece := orb.LineString{{0, 0}, {300, 0}}
		checkGuarantee(t, iso[0].Polygon, []orb.LineString{piece}, r+half, r-half)
	}
}

// checkGuarantee samples a lattice of points around the polygon: a point inside must be
// within outer of some reached piece; a point within inner of a piece must be inside.
func checkGuarantee(t *testing.T, mp orb.MultiPolygon, pieces []orb.LineString, outer, inner float64) {
	t.Helper()
	b := mp.Bound().Pad(outer)
	step := math.Max((b.Max[0]-b.Min[0])/100, (b.Max[1]-b.Min[1])/100)
	for x := b.Min[0] + step/3; x < b.Max[0]; x += step {
		for y := b.Min[1] + step/7; y < b.Max[1]; y += step {
			p := orb.Point{x, y}
			d := math.Inf(1)
			for _, ls := range pieces {
				d = min(d, lineDist(p, ls))
			}
			in := planar.MultiPolygonContains(mp, p)
			if in && d > outer+1e-9 {
				t.Fatalf("%v is inside but %v m from the reached network (limit %v)", p, d, outer)
			}
			if !in && d < inner-1e-9 {
				t.Fatalf("%v is outside but only %v m from the reached network", p, d)
			}
		}
	}
}

// On a grid network: rings are valid (closed, outer CCW, holes CW and inside their shell,
// no collinear steps), areas grow with the cutoff, and the guarantee holds per cutoff.
func TestIsochroneGridPolygons(t *testing.T) {
	g := mustGraph(t, synthGrid(30, 30, 80, 21))
	s := NewSearcher(g)
	home, _ := NewIndex(g, 0).Attach(orb.Point{1190, 1170}, 100)
	if err := s.Run([]Source{AtPoint(home)}, 1000); err != nil {
		t.Fatal(err)
	}
	cutoffs := []float64{300, 500, 1000}
	opt := IsochroneOptions{CellSize: 10, Tolerance: 25}
	isos, err := s.Isochrones(cutoffs, opt)
	if err != nil {
		t.Fatal(err)
	}
	prev := 0.0
	for k, iso := range isos {
		if iso.Cutoff != cutoffs[k] || iso.Area <= prev {
			t.Fatalf("isochrone %d: cutoff %v area %v after %v", k, iso.Cutoff, iso.Area, prev)
		}
		prev = iso.Area
		if a := planar.Area(iso.Polygon); math.Abs(a-iso.Area) > 1e-6*iso.Area {
			t.Fatalf("cutoff %v: polygon area %v, cell area %v", iso.Cutoff, a, iso.Area)
		}
		holes := 0
		for _, poly := range iso.Polygon {
			for ri, rg := range poly {
				checkRing(t, rg)
				want := orb.CCW
				if ri > 0 {
					want = orb.CW
					holes++
					mid := orb.Point{(rg[0][0] + rg[1][0]) / 2, (rg[0][1] + rg[1][1]) / 2}
					if !planar.RingContains(poly[0], mid) {
						t.Fatalf("hole %v outside its shell", rg)
					}
				}
				if rg.Orientation() != want {
					t.Fatalf("cutoff %v ring %d orientation %v, want %v", iso.Cutoff, ri, rg.Orientation(), want)
				}
			}
		}
		segs, _ := s.Segments(iso.Cutoff, nil)
		pieces := make([]orb.LineString, len(segs))
		for i, sg := range segs {
			pieces[i] = sg.Geom
		}
		half := opt.CellSize * math.Sqrt2 / 2
		checkGuarantee(t, iso.Polygon, pieces, opt.Tolerance+half, opt.Tolerance-half)
		t.Logf("cutoff %v m: %d polygons, %d holes, %.0f m²", iso.Cutoff, len(iso.Polygon), holes, iso.Area)
	}
}

func checkRing(t *testing.T, rg orb.Ring) {
	t.Helper()
	n := len(rg)
	if n < 5 || rg[0] != rg[n-1] {
		t.Fatalf("ring not closed or too short: %v", rg)
	}
	seen := map[orb.Point]bool{}
	for i := 0; i < n-1; i++ {
		if seen[rg[i]] {
			t.Fatalf("ring repeats vertex %v", rg[i])
		}
		seen[rg[i]] = true
		a, b, c := rg[(i+n-2)%(n-1)], rg[i], rg[(i+1)%(n-1)]
		if (b[0]-a[0])*(c[1]-b[1])-(b[1]-a[1])*(c[0]-b[0]) == 0 {
			t.Fatalf("collinear step at %v", b)
		}
	}
}

// Two cells that touch only at a corner become two polygons meeting at that corner; a
// ring of cells around an empty cell becomes one polygon with a hole.
func TestTraceSaddleAndHole(t *testing.T) {
	var w isoWork
	r := raster{ox: 0, oy: 0, cell: 1, nx: 5, ny: 5}
	set := func(cells ...[2]int) {
		w.val = make([]float64, 25)
		for i := range w.val {
			w.val[i] = math.Inf(1)
		}
		for _, c := range cells {
			w.val[c[1]*5+c[0]] = 0
		}
	}
	set([2]int{1, 1}, [2]int{2, 2})
	mp, area := w.trace(r, 0)
	if len(mp) != 2 || area != 2 || len(mp[0]) != 1 || len(mp[1]) != 1 {
		t.Fatalf("diagonal pair traced as %v (area %v)", mp, area)
	}
	set([2]int{1, 1}, [2]int{2, 1}, [2]int{3, 1}, [2]int{1, 2}, [2]int{3, 2}, [2]int{1, 3}, [2]int{2, 3}, [2]int{3, 3})
	mp, area = w.trace(r, 0)
	if len(mp) != 1 || len(mp[0]) != 2 || area != 8 || planar.Area(mp) != 8 {
		t.Fatalf("ring of cells traced as %v (area %v)", mp, area)
	}
	if mp[0][0].Orientation() != orb.CCW || mp[0][1].Orientation() != orb.CW {
		t.Fatal("wrong ring orientation")
	}
	// A U whose tips touch diagonally: one polygon whose hole touches the shell at a corner.
	set([2]int{1, 1}, [2]int{2, 1}, [2]int{3, 1}, [2]int{1, 2}, [2]int{3, 2}, [2]int{1, 3}, [2]int{2, 4}, [2]int{3, 3})
	mp, area = w.trace(r, 0)
	if area != 8 || math.Abs(planar.Area(mp)-8) > 1e-12 {
		t.Fatalf("U traced as %v (area %v, polygon %v)", mp, area, planar.Area(mp))
	}
	for _, poly := range mp {
		for _, rg := range poly {
			checkRing(t, rg)
		}
	}
}

func TestIsochroneOptions(t *testing.T) {
	s := straightEdge(t, 300)
	if _, err := s.Isochrones([]float64{300}, IsochroneOptions{CellSize: 10, Tolerance: 7}); err == nil {
		t.Error("tolerance below half the cell diagonal accepted")
	}
	if _, err := s.Isochrones([]float64{400}, IsochroneOptions{}); err == nil {
		t.Error("cutoff above the search cutoff accepted")
	}
	if _, err := s.Isochrones([]float64{300}, IsochroneOptions{CellSize: 0.01, Tolerance: 25, MaxCells: 1000}); err == nil {
		t.Error("raster above MaxCells accepted")
	}
	iso, err := s.Isochrones([]float64{0}, IsochroneOptions{})
	if err != nil || len(iso[0].Polygon) != 0 || iso[0].Area != 0 {
		t.Errorf("cutoff 0: %v, %v", iso, err)
	}
}
