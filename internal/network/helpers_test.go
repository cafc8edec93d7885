package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/testdb"
)

// walk returns a walkable edge whose geometry runs through pts.
func walk(id, src, tgt int64, length float64, pts ...orb.Point) Edge {
	return Edge{ID: id, Source: src, Target: tgt, Length: length, Geom: orb.LineString(pts), Walkable: true}
}

func mustGraph(t testing.TB, edges []Edge) *Graph {
	t.Helper()
	g, err := NewGraph(edges)
	if err != nil {
		t.Fatalf("NewGraph: %v", err)
	}
	return g
}

func mustNode(t testing.TB, g *Graph, id int64) int32 {
	t.Helper()
	n, ok := g.NodeIndex(id)
	if !ok {
		t.Fatalf("node %d not in graph", id)
	}
	return n
}

// synthGrid builds a rows×cols grid of nodes spaced metres apart: every horizontal and
// vertical neighbour is joined, then with a fixed seed about 5 % of those edges are
// removed and a diagonal is added in about 10 % of the cells. Node (r, c) has id r*cols+c
// and sits at (c*spacing, r*spacing); lengths are the planar lengths of the geometry.
func synthGrid(rows, cols int, spacing float64, seed uint64) []Edge {
	rng := rand.New(rand.NewPCG(seed, 42))
	id := func(r, c int) int64 { return int64(r*cols + c) }
	pt := func(r, c int) orb.Point { return orb.Point{float64(c) * spacing, float64(r) * spacing} }
	edges := make([]Edge, 0, 2*rows*cols+rows*cols/10)
	add := func(r0, c0, r1, c1 int) {
		a, b := pt(r0, c0), pt(r1, c1)
		edges = append(edges, walk(int64(len(edges)+1), id(r0, c0), id(r1, c1),
			math.Hypot(b[0]-a[0], b[1]-a[1]), a, b))
	}
	testdb.GridLinks(rows, cols, rng, add)
	return edges
}

// segDist returns the planar distance from p to segment ab.
func segDist(p, a, b orb.Point) float64 {
	vx, vy := b[0]-a[0], b[1]-a[1]
	ll := vx*vx + vy*vy
	t := 0.0
	if ll > 0 {
		t = min(max(((p[0]-a[0])*vx+(p[1]-a[1])*vy)/ll, 0), 1)
	}
	return math.Hypot(p[0]-a[0]-t*vx, p[1]-a[1]-t*vy)
}

// lineDist returns the planar distance from p to a LineString.
func lineDist(p orb.Point, ls orb.LineString) float64 {
	d := math.Inf(1)
	for k := 1; k < len(ls); k++ {
		d = min(d, segDist(p, ls[k-1], ls[k]))
	}
	return d
}

func near(a, b, tol float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return a == b
	}
	return math.Abs(a-b) <= tol
}
