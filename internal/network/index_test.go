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
	overCells(g, 1, 2000, func(ix *Index, cell float64, p orb.Point, rng *rand.Rand) {
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
			return
		}
		if !ok || !near(a.Access, want, 1e-9) {
			t.Fatalf("cell %v: Attach(%v) = %+v, %v; want access %v", cell, p, a, ok, want)
		}
		if d := lineDist(a.Point, g.EdgeGeom(a.Edge)); d > 1e-9 {
			t.Fatalf("projected point %v is %v m off its edge", a.Point, d)
		}
	})
}

// overCells calls fn n times for each of several cell sizes, with g's index of that size
// and a random point in or around the synthGrid(20, 25, 80, ·) network.
func overCells(g *Graph, seed uint64, n int, fn func(ix *Index, cell float64, p orb.Point, rng *rand.Rand)) {
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, cell := range []float64{0, 13, 500} {
		ix := NewIndex(g, cell)
		for range n {
			fn(ix, cell, orb.Point{rng.Float64()*2400 - 200, rng.Float64()*1900 - 200}, rng)
		}
	}
}

func TestAttachEmptyGraph(t *testing.T) {
	g := mustGraph(t, nil)
	if _, ok := NewIndex(g, 0).Attach(orb.Point{0, 0}, math.Inf(1)); ok {
		t.Fatal("attached to an empty graph")
	}
}

// EdgesNear must list, once each and in ascending order, every edge with a point inside
// the box (brute force: the distance from the box's centre to the edge against a box
// inscribed in it, and the edge's vertices inside the box), for boxes inside, across and
// outside the network and for several cell sizes.
func TestEdgesNearHoldsEveryEdgeInTheBox(t *testing.T) {
	g := mustGraph(t, synthGrid(20, 25, 80, 7))
	overCells(g, 3, 500, func(ix *Index, cell float64, c orb.Point, rng *rand.Rand) {
		r := rng.Float64() * 150
		b := orb.Bound{Min: orb.Point{c[0] - r, c[1] - r}, Max: orb.Point{c[0] + r, c[1] + r}}
		got := ix.EdgesNear(b, nil)
		in := map[int32]bool{}
		for k, e := range got {
			if k > 0 && got[k-1] >= e {
				t.Fatalf("cell %v: edges %v not ascending and distinct", cell, got)
			}
			in[e] = true
		}
		for e := range int32(g.NumEdges()) {
			geom := g.EdgeGeom(e)
			// Within r of the centre: inside the box's inscribed disc.
			must := lineDist(c, geom) <= r
			for _, p := range geom {
				must = must || b.Contains(p)
			}
			if must && !in[e] {
				t.Fatalf("cell %v: edge %d meets box %v but is not listed", cell, e, b)
			}
		}
	})
	if got := NewIndex(mustGraph(t, nil), 0).EdgesNear(orb.Bound{Max: orb.Point{1, 1}}, nil); len(got) != 0 {
		t.Fatalf("empty graph: %v", got)
	}
}
