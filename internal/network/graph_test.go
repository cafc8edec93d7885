package network

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestNewGraphRejectsMalformedEdges(t *testing.T) {
	line := orb.LineString{{0, 0}, {10, 0}}
	tests := []struct {
		name string
		edge Edge
	}{
		{"zero length", walk(1, 1, 2, 0, line...)},
		{"negative length", walk(1, 1, 2, -5, line...)},
		{"NaN length", walk(1, 1, 2, math.NaN(), line...)},
		{"infinite length", walk(1, 1, 2, math.Inf(1), line...)},
		{"one point", walk(1, 1, 2, 10, orb.Point{0, 0})},
		{"no geometry", walk(1, 1, 2, 10)},
		{"NaN coordinate", walk(1, 1, 2, 10, orb.Point{0, 0}, orb.Point{math.NaN(), 0})},
		{"zero-length geometry", walk(1, 1, 2, 10, orb.Point{3, 3}, orb.Point{3, 3})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewGraph([]Edge{tc.edge})
			if !errors.Is(err, ErrInvalidEdge) {
				t.Fatalf("err = %v, want ErrInvalidEdge", err)
			}
		})
	}
	t.Run("duplicate id", func(t *testing.T) {
		_, err := NewGraph([]Edge{walk(7, 1, 2, 10, line...), walk(7, 2, 3, 10, line...)})
		if !errors.Is(err, ErrInvalidEdge) {
			t.Fatalf("err = %v, want ErrInvalidEdge", err)
		}
	})
	t.Run("excluded edges are not validated", func(t *testing.T) {
		river := Edge{ID: 9, Source: 5, Target: 6, Length: 0, Walkable: true, Barrier: true}
		private := Edge{ID: 10, Source: 5, Target: 6, Length: -1}
		g, err := NewGraph([]Edge{walk(1, 1, 2, 10, line...), river, private})
		if err != nil {
			t.Fatal(err)
		}
		if g.NumEdges() != 1 || g.NumNodes() != 2 {
			t.Fatalf("got %d edges, %d nodes; want 1, 2", g.NumEdges(), g.NumNodes())
		}
		if _, ok := g.NodeIndex(5); ok {
			t.Fatal("node 5 touched only by excluded edges is in the graph")
		}
	})
}

func TestGraphAccessors(t *testing.T) {
	g := mustGraph(t, []Edge{
		walk(100, 7, 8, 12.5, orb.Point{0, 0}, orb.Point{5, 0}, orb.Point{5, 5}),
		walk(200, 8, 9, 3, orb.Point{5, 5}, orb.Point{5, 8}),
	})
	e := g.Edge(0)
	if e.ID != 100 || e.Source != 7 || e.Target != 8 || e.Length != 12.5 || len(e.Geom) != 3 || !e.Walkable {
		t.Fatalf("Edge(0) = %+v", e)
	}
	a, b := g.EdgeEnds(1)
	if g.NodeID(a) != 8 || g.NodeID(b) != 9 || g.EdgeID(1) != 200 || g.EdgeLength(1) != 3 {
		t.Fatalf("edge 1 ends %d→%d", g.NodeID(a), g.NodeID(b))
	}
}

// Two clusters of three nodes separated by a river (a barrier edge) and an isolated
// pair: three components. A footbridge over the river joins the clusters.
func TestBarrierSplitsAndBridgeReconnects(t *testing.T) {
	p := func(x float64) orb.Point { return orb.Point{x, 0} }
	base := []Edge{
		walk(1, 1, 2, 100, p(0), p(100)),
		walk(2, 2, 3, 100, p(100), p(200)),
		{ID: 3, Source: 3, Target: 4, Length: 50, Geom: orb.LineString{p(200), p(250)}, Walkable: true, Barrier: true},
		walk(4, 4, 5, 100, p(250), p(350)),
		walk(5, 5, 6, 100, p(350), p(450)),
		walk(6, 20, 21, 10, p(1000), p(1010)),
	}
	g := mustGraph(t, base)
	comp := g.Components()
	if comp.Count() != 3 || comp.Sizes[0] != 3 || comp.Sizes[1] != 3 || comp.Sizes[2] != 2 {
		t.Fatalf("components %v, want sizes [3 3 2]", comp.Sizes)
	}
	n1, n4 := mustNode(t, g, 1), mustNode(t, g, 4)
	if comp.Of[n1] == comp.Of[n4] {
		t.Fatal("nodes 1 and 4 share a component across the barrier")
	}
	s := NewSearcher(g)
	if err := s.Run([]Source{AtNode(n1, 0)}, math.Inf(1)); err != nil {
		t.Fatal(err)
	}
	if d := s.Dist(n4); !math.IsInf(d, 1) {
		t.Fatalf("dist to node 4 across the river = %v, want +Inf", d)
	}

	bridged := append(append([]Edge(nil), base...), walk(7, 3, 4, 50, p(200), p(250)))
	g = mustGraph(t, bridged)
	comp = g.Components()
	if comp.Count() != 2 || comp.Sizes[0] != 6 || comp.Sizes[1] != 2 {
		t.Fatalf("components with bridge %v, want sizes [6 2]", comp.Sizes)
	}
	s = NewSearcher(g)
	if err := s.Run([]Source{AtNode(mustNode(t, g, 1), 0)}, math.Inf(1)); err != nil {
		t.Fatal(err)
	}
	// 100 + 100 + 50 (bridge) + 100 + 100.
	if d := s.Dist(mustNode(t, g, 6)); d != 450 {
		t.Fatalf("dist to node 6 over the bridge = %v, want 450", d)
	}
}
