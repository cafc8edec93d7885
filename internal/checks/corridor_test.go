package checks

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/twpayne/go-geos"
)

// poly builds a polygon from one ring of metric coordinates (metres).
func poly(t *testing.T, ring ...[2]float64) *geos.Geom {
	t.Helper()
	cs := make([][]float64, 0, len(ring)+1)
	for _, p := range ring {
		cs = append(cs, []float64{p[0], p[1]})
	}
	cs = append(cs, cs[0])
	g := geos.NewPolygon([][][]float64{cs})
	if !g.IsValid() {
		t.Fatalf("fixture polygon invalid: %s", g.IsValidReason())
	}
	return g
}

func rect(t *testing.T, x0, y0, x1, y1 float64) *geos.Geom {
	return poly(t, [2]float64{x0, y0}, [2]float64{x1, y0}, [2]float64{x1, y1}, [2]float64{x0, y1})
}

// narrowing is a 1 000 m strip, 150 m wide, whose middle 300 m (x = 350…650) is 80 m
// wide, centred: by hand, the clear width is 150 m over 700 m and 80 m over 300 m.
func narrowing(t *testing.T, x0, y0 float64) *geos.Geom {
	return poly(t,
		[2]float64{x0, y0 - 75}, [2]float64{x0 + 350, y0 - 75}, [2]float64{x0 + 350, y0 - 40}, [2]float64{x0 + 650, y0 - 40},
		[2]float64{x0 + 650, y0 - 75}, [2]float64{x0 + 1000, y0 - 75}, [2]float64{x0 + 1000, y0 + 75}, [2]float64{x0 + 650, y0 + 75},
		[2]float64{x0 + 650, y0 + 40}, [2]float64{x0 + 350, y0 + 40}, [2]float64{x0 + 350, y0 + 75}, [2]float64{x0, y0 + 75})
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.3f, want %.3f ± %g", what, got, want, tol)
	}
}

// rotate turns g by deg degrees about (cx, cy).
func rotate(t *testing.T, g *geos.Geom, deg, cx, cy float64) *geos.Geom {
	a := deg * math.Pi / 180
	cs := g.ExteriorRing().CoordSeq().ToCoords()
	ring := make([][2]float64, 0, len(cs)-1)
	for _, c := range cs[:len(cs)-1] {
		x, y := c[0]-cx, c[1]-cy
		ring = append(ring, [2]float64{cx + x*math.Cos(a) - y*math.Sin(a), cy + x*math.Sin(a) + y*math.Cos(a)})
	}
	return poly(t, ring...)
}

func TestCorridorNarrowing(t *testing.T) {
	for _, deg := range []float64{0, 30, 45, 117, 200, 333} {
		t.Run(fmt.Sprintf("rotated %g°", deg), func(t *testing.T) { testNarrowing(t, deg) })
	}
}

func testNarrowing(t *testing.T, deg float64) {
	cfg := DefaultConfig().Corridor
	// Offsets like real Gauss–Krüger coordinates, so float precision is exercised too.
	g := rotate(t, narrowing(t, 500000, 4500000), deg, 500000, 4500000)
	l := &Layers{Corridors: []Corridor{{ID: 1, Name: "narrowing", DesignWidth: 150, Geom: g}}}
	rep, err := CheckCorridors(context.Background(), l, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Corridors[0]
	near(t, "centreline length", c.Length, 1000, 1)
	near(t, "min width", c.MinWidth, 80, 1)
	near(t, "narrow length", c.NarrowLength, 300, 1)
	near(t, "share", c.Share, 0.70, 0.001)
	if len(c.Narrow) != 1 {
		t.Fatalf("narrow places = %d, want 1: %+v", len(c.Narrow), c.Narrow)
	}
	n := c.Narrow[0]
	near(t, "narrow from", n.From, 350, 1)
	near(t, "narrow to", n.To, 650, 1)
	near(t, "narrow width", n.Width, 80, 1)
	if !c.Continuous || c.Compliant || len(c.Breaks) != 0 {
		t.Errorf("continuous=%v compliant=%v breaks=%v, want continuous, not compliant, no breaks", c.Continuous, c.Compliant, c.Breaks)
	}
	// Eroded by 50 m the 80 m section vanishes: two pieces remain.
	if c.ErodedPieces != 2 {
		t.Errorf("eroded pieces = %d, want 2", c.ErodedPieces)
	}
	near(t, "city share", rep.Share, 0.70, 0.001)
}

func TestCorridorBroken(t *testing.T) {
	cfg := DefaultConfig().Corridor
	// Two 150 m × 400 m pieces with a 120 m gap: by hand, one break of 120 m, required
	// length 400 + 120 + 400 = 920 m, compliant 800 m.
	a := rect(t, 500000, 4500000, 500400, 4500150)
	b := rect(t, 500520, 4500000, 500920, 4500150)
	g := geos.NewCollection(geos.TypeIDMultiPolygon, []*geos.Geom{a, b})
	rep, err := CheckCorridors(context.Background(), &Layers{Corridors: []Corridor{{ID: 2, Name: "broken", Geom: g}}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Corridors[0]
	if len(c.Breaks) != 1 {
		t.Fatalf("breaks = %+v, want one", c.Breaks)
	}
	near(t, "break length", c.Breaks[0].Length, 120, 1e-6)
	near(t, "length", c.Length, 800, 1)
	near(t, "required", c.RequiredLength, 920, 1)
	near(t, "min width", c.MinWidth, 150, 1)
	near(t, "share", c.Share, 800.0/920, 0.002)
	if c.Continuous || c.Compliant || len(c.Narrow) != 0 {
		t.Errorf("continuous=%v compliant=%v narrow=%v", c.Continuous, c.Compliant, c.Narrow)
	}
}

func TestCorridorCompliantCurved(t *testing.T) {
	cfg := DefaultConfig().Corridor
	// A quarter ring between radii 1 000 and 1 120 m: 120 m wide everywhere; its
	// centreline (radius 1 060 m) is π/2 × 1 060 ≈ 1 665 m long.
	var ring [][2]float64
	for i := 0; i <= 90; i++ {
		a := float64(i) * math.Pi / 180
		ring = append(ring, [2]float64{500000 + 1120*math.Cos(a), 4500000 + 1120*math.Sin(a)})
	}
	for i := 90; i >= 0; i-- {
		a := float64(i) * math.Pi / 180
		ring = append(ring, [2]float64{500000 + 1000*math.Cos(a), 4500000 + 1000*math.Sin(a)})
	}
	rep, err := CheckCorridors(context.Background(), &Layers{Corridors: []Corridor{{ID: 3, Name: "arc", Geom: poly(t, ring...)}}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Corridors[0]
	near(t, "length", c.Length, math.Pi/2*1060, 5)
	near(t, "min width", c.MinWidth, 120, 1)
	if !c.Compliant || len(c.Narrow) != 0 || c.ErodedPieces != 1 {
		t.Errorf("compliant=%v narrow=%+v eroded=%d, want compliant", c.Compliant, c.Narrow, c.ErodedPieces)
	}
}
