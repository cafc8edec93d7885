package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// A 100 m edge from (0,0) to (100,0); a home at (40,30) is 30 m off the edge at 40 %.
func TestAttachAccessLeg(t *testing.T) {
	g := mustGraph(t, []Edge{walk(1, 1, 2, 100, orb.Point{0, 0}, orb.Point{100, 0})})
	ix := NewIndex(g, 0)

	a, ok := ix.Attach(orb.Point{40, 30}, 50)
	if !ok {
		t.Fatal("not attached")
	}
	want := Attachment{Edge: 0, Offset: 40, Access: 30, Point: orb.Point{40, 0}}
	if a != want {
		t.Fatalf("Attach = %+v, want %+v", a, want)
	}

	s := NewSearcher(g)
	if err := s.Run([]Source{AtPoint(a)}, math.Inf(1)); err != nil {
		t.Fatal(err)
	}
	// Walk the 30 m access leg, then 40 m back to Source or 60 m on to Target.
	if d := s.Dist(mustNode(t, g, 1)); d != 70 {
		t.Errorf("dist to Source = %v, want 30+40 = 70", d)
	}
	if d := s.Dist(mustNode(t, g, 2)); d != 90 {
		t.Errorf("dist to Target = %v, want 30+60 = 90", d)
	}

	if _, ok := ix.Attach(orb.Point{40, 31}, 30); ok {
		t.Error("point 31 m away attached with a 30 m snap limit")
	}
	// Beyond the Target end the projection clamps to it: access is the distance to (100,0).
	a, ok = ix.Attach(orb.Point{130, 40}, 100)
	if !ok || a.Offset != 100 || a.Access != 50 || a.Point != (orb.Point{100, 0}) {
		t.Errorf("Attach beyond the end = %+v, %v; want offset 100, access 50", a, ok)
	}
}

// When Length differs from the planar length, the offset is proportional: 40 % of a
// 200 m edge is 80 m.
func TestAttachScalesOffsetToLength(t *testing.T) {
	g := mustGraph(t, []Edge{walk(1, 1, 2, 200, orb.Point{0, 0}, orb.Point{100, 0})})
	a, ok := NewIndex(g, 0).Attach(orb.Point{40, -30}, math.Inf(1))
	if !ok || a.Offset != 80 || a.Access != 30 {
		t.Fatalf("Attach = %+v, want offset 80, access 30", a)
	}
}

// Attach must agree with a brute-force scan of every segment, for points inside and far
// outside the network, and for several cell sizes.
func TestAttachMatchesBruteForce(t *testing.T) {
	g := mustGraph(t, synthGrid(20, 25, 80, 7))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cell := range []float64{0, 13, 500} {
		ix := NewIndex(g, cell)
		for range 2000 {
			p := orb.Point{rng.Float64()*2400 - 200, rng.Float64()*1900 - 200}
			maxSnap := []float64{30, 60, math.Inf(1)}[rng.IntN(3)]
			want := math.Inf(1)
			for e := range int32(g.NumEdges()) {
				want = min(want, lineDist(p, g.EdgeGeom(e)))
			}
			a, ok := ix.Attach(p, maxSnap)
			if want > maxSnap {
				if ok {
					t.Fatalf("cell %v: %v attached at %v m beyond snap %v", cell, p, a.Access, maxSnap)
				}
				continue
			}
			if !ok || !near(a.Access, want, 1e-9) {
				t.Fatalf("cell %v: Attach(%v) = %+v, %v; want access %v", cell, p, a, ok, want)
			}
			if d := lineDist(a.Point, g.EdgeGeom(a.Edge)); d > 1e-9 {
				t.Fatalf("projected point %v is %v m off its edge", a.Point, d)
			}
		}
	}
}

func TestAttachEmptyGraph(t *testing.T) {
	g := mustGraph(t, nil)
	if _, ok := NewIndex(g, 0).Attach(orb.Point{0, 0}, math.Inf(1)); ok {
		t.Fatal("attached to an empty graph")
	}
}
