package network

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// handGrid is a 3×3 grid with 100 m spacing; node id r*3+c+1 sits at (100c, 100r):
//
//	7 — 8 — 9
//	|   |   |
//	4 — 5 — 6
//	| ╱ ‖ ╲
//	1 — 2 — 3
//
// The 1–5 diagonal has Length 141.5. Edge 2–5 (‖) is a 30 m barrier and 3–5 (╲) is a
// 10 m edge that is not walkable: both would shorten paths if they were used.
func handGrid() []Edge {
	p := func(id int64) orb.Point { return orb.Point{float64((id - 1) % 3 * 100), float64((id - 1) / 3 * 100)} }
	e := func(id, a, b int64, length float64) Edge { return walk(id, a, b, length, p(a), p(b)) }
	barrier := e(8, 2, 5, 30)
	barrier.Barrier = true
	private := e(14, 3, 5, 10)
	private.Walkable = false
	return []Edge{
		e(1, 1, 2, 100), e(2, 2, 3, 100), e(3, 4, 5, 100), e(4, 5, 6, 100), e(5, 7, 8, 100), e(6, 8, 9, 100),
		e(7, 1, 4, 100), barrier, e(9, 3, 6, 100), e(10, 4, 7, 100), e(11, 5, 8, 100), e(12, 6, 9, 100),
		e(13, 1, 5, 141.5), private,
	}
}

func TestSearchHandGrid(t *testing.T) {
	g := mustGraph(t, handGrid())
	// Worked on paper from node 1: 2 and 4 at 100; 5 by the diagonal at 141.5 (the
	// barrier 2–5 would give 130); 3 and 7 at 200 (3–5 would give 151.5); 6 and 8 at
	// 141.5+100; 9 at 241.5+100 either way.
	want := map[int64]float64{1: 0, 2: 100, 3: 200, 4: 100, 5: 141.5, 6: 241.5, 7: 200, 8: 241.5, 9: 341.5}
	s := NewSearcher(g)
	for _, cutoff := range []float64{math.Inf(1), 341.5, 250} {
		if err := s.Run([]Source{AtNode(mustNode(t, g, 1), 0)}, cutoff); err != nil {
			t.Fatal(err)
		}
		for id, d := range want {
			if d > cutoff {
				d = math.Inf(1)
			}
			if got := s.Dist(mustNode(t, g, id)); got != d {
				t.Errorf("cutoff %v: dist(%d) = %v, want %v", cutoff, id, got, d)
			}
		}
	}
	if n := len(s.Reached()); n != 8 {
		t.Errorf("reached %d nodes within 250 m, want 8", n)
	}
}

// A path 0—1—2—3—4 of 100 m edges with two sources.
func TestNearestSourceLabels(t *testing.T) {
	var edges []Edge
	for i := range int64(4) {
		edges = append(edges, walk(i+1, i, i+1, 100, orb.Point{float64(i) * 100, 0}, orb.Point{float64(i+1) * 100, 0}))
	}
	g := mustGraph(t, edges)
	n := func(id int64) int32 { return mustNode(t, g, id) }
	s := NewSearcher(g)
	check := func(name string, sources []Source, dist []float64, label []int32) {
		t.Helper()
		if err := s.Run(sources, math.Inf(1)); err != nil {
			t.Fatal(err)
		}
		for id := range int64(5) {
			if s.Dist(n(id)) != dist[id] || s.Label(n(id)) != label[id] {
				t.Errorf("%s: node %d = (%v, %d), want (%v, %d)", name, id, s.Dist(n(id)), s.Label(n(id)), dist[id], label[id])
			}
		}
	}
	// Node 4 starts with 50 m of cost: node 3 is 150 from it and 300 from node 0.
	check("costs", []Source{AtNode(n(0), 0), AtNode(n(4), 50)},
		[]float64{0, 100, 200, 150, 50}, []int32{0, 0, 0, 1, 1})
	// Node 2 is 200 m from both: the lower source index wins, whichever end it is.
	check("tie", []Source{AtNode(n(0), 0), AtNode(n(4), 0)},
		[]float64{0, 100, 200, 100, 0}, []int32{0, 0, 0, 1, 1})
	check("tie swapped", []Source{AtNode(n(4), 0), AtNode(n(0), 0)},
		[]float64{0, 100, 200, 100, 0}, []int32{1, 1, 0, 0, 0})
	// A home 10 m off edge 1–2 at 30 m from node 1, and node 4.
	a := Attachment{Edge: 1, Offset: 30, Access: 10, Point: orb.Point{130, 0}}
	check("attached", []Source{AtPoint(a), AtNode(n(4), 0)},
		[]float64{140, 40, 80, 100, 0}, []int32{0, 0, 0, 1, 1})
}

// Edge A–B of 100 m with a source at 20 m (access 5) and a target at 70 m (access 10);
// B–C 100 m, C–A 250 m, and a second target on B–C at 40 m (access 3).
func TestDistanceToTarget(t *testing.T) {
	g := mustGraph(t, []Edge{
		walk(1, 1, 2, 100, orb.Point{0, 0}, orb.Point{100, 0}),
		walk(2, 2, 3, 100, orb.Point{100, 0}, orb.Point{100, 100}),
		walk(3, 3, 1, 250, orb.Point{100, 100}, orb.Point{0, 0}),
	})
	src := Attachment{Edge: 0, Offset: 20, Access: 5}
	same := Attachment{Edge: 0, Offset: 70, Access: 10}
	other := Attachment{Edge: 1, Offset: 40, Access: 3}
	s := NewSearcher(g)
	tests := []struct {
		cutoff float64
		target Attachment
		want   float64
	}{
		// Along the edge: 5 + |20-70| + 10. Via A: 25+70+10 = 105; via B: 85+30+10 = 125.
		{math.Inf(1), same, 65},
		{65, same, 65},
		{64.5, same, math.Inf(1)},
		// Via B: (5+80) + 40 + 3. Via C: min(185, 275) + 60 + 3 = 248.
		{math.Inf(1), other, 128},
		{128, other, 128},
		{100, other, math.Inf(1)},
	}
	for _, tc := range tests {
		if err := s.Run([]Source{AtPoint(src)}, tc.cutoff); err != nil {
			t.Fatal(err)
		}
		d, l := s.DistanceTo(tc.target)
		wantLabel := int32(0)
		if math.IsInf(tc.want, 1) {
			wantLabel = -1
		}
		if d != tc.want || l != wantLabel {
			t.Errorf("cutoff %v: DistanceTo(%+v) = %v, %d; want %v, %d", tc.cutoff, tc.target, d, l, tc.want, wantLabel)
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	g := mustGraph(t, handGrid())
	s := NewSearcher(g)
	for _, c := range []float64{-1, math.NaN()} {
		if err := s.Run([]Source{AtNode(0, 0)}, c); !errors.Is(err, ErrCutoff) {
			t.Errorf("cutoff %v: err = %v", c, err)
		}
	}
	bad := []Source{
		AtNode(-1, 0), AtNode(99, 0), AtNode(0, -1), AtNode(0, math.Inf(1)),
		AtPoint(Attachment{Edge: 99}), AtPoint(Attachment{Edge: 0, Offset: 101}),
		AtPoint(Attachment{Edge: 0, Offset: 10, Access: math.NaN()}),
	}
	for _, src := range bad {
		if err := s.Run([]Source{src}, 100); !errors.Is(err, ErrInvalidSource) {
			t.Errorf("source %+v: err = %v", src, err)
		}
	}
	if _, err := s.Segments(10, nil); !errors.Is(err, ErrCutoff) {
		t.Errorf("Segments after a failed run: err = %v", err)
	}
}

// Dijkstra must agree with a plain Bellman–Ford relaxation, a different algorithm.
func TestSearchMatchesBellmanFord(t *testing.T) {
	edges := synthGrid(15, 18, 80, 3)
	g := mustGraph(t, edges)
	rng := rand.New(rand.NewPCG(5, 6))
	ix := NewIndex(g, 0)
	s := NewSearcher(g)
	for trial := range 20 {
		var sources []Source
		for range 1 + trial%4 {
			if rng.IntN(2) == 0 {
				sources = append(sources, AtNode(int32(rng.IntN(g.NumNodes())), rng.Float64()*50))
			} else {
				a, _ := ix.Attach(orb.Point{rng.Float64() * 1400, rng.Float64() * 1100}, math.Inf(1))
				sources = append(sources, AtPoint(a))
			}
		}
		cutoff := []float64{300, 700, math.Inf(1)}[trial%3]
		if err := s.Run(sources, cutoff); err != nil {
			t.Fatal(err)
		}
		want := bellmanFord(g, sources)
		for n := range int32(g.NumNodes()) {
			w := want[n]
			if w > cutoff {
				w = math.Inf(1)
			}
			if !near(s.Dist(n), w, 1e-9) {
				t.Fatalf("trial %d node %d: dist %v, want %v", trial, n, s.Dist(n), w)
			}
		}
	}
}

func bellmanFord(g *Graph, sources []Source) []float64 {
	d := make([]float64, g.NumNodes())
	for i := range d {
		d[i] = math.Inf(1)
	}
	for _, s := range sources {
		if !s.Attached {
			d[s.Node] = min(d[s.Node], s.Cost)
			continue
		}
		a, b := g.EdgeEnds(s.At.Edge)
		d[a] = min(d[a], s.Cost+s.At.Access+s.At.Offset)
		d[b] = min(d[b], s.Cost+s.At.Access+g.EdgeLength(s.At.Edge)-s.At.Offset)
	}
	for changed := true; changed; {
		changed = false
		for e := range int32(g.NumEdges()) {
			a, b := g.EdgeEnds(e)
			w := g.EdgeLength(e)
			if d[a]+w < d[b] {
				d[b], changed = d[a]+w, true
			}
			if d[b]+w < d[a] {
				d[a], changed = d[b]+w, true
			}
		}
	}
	return d
}

// One traversal to 1000 m classified at 300, 500 and 1000 m must equal three searches.
func TestSeveralCutoffsEqualSeparateRuns(t *testing.T) {
	g := mustGraph(t, synthGrid(40, 40, 80, 11))
	ix := NewIndex(g, 0)
	home, _ := ix.Attach(orb.Point{1567, 1501}, math.Inf(1))
	sources := []Source{AtPoint(home), AtNode(mustNode(t, g, 40*10+5), 120)}
	cutoffs := []float64{300, 500, 1000}

	one := NewSearcher(g)
	if err := one.Run(sources, 1000); err != nil {
		t.Fatal(err)
	}
	isoOne, err := one.Isochrones(cutoffs, IsochroneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sep := NewSearcher(g)
	for k, c := range cutoffs {
		if err := sep.Run(sources, c); err != nil {
			t.Fatal(err)
		}
		for n := range int32(g.NumNodes()) {
			d := one.Dist(n)
			l := one.Label(n)
			if d > c {
				d, l = math.Inf(1), -1
			}
			if sep.Dist(n) != d || sep.Label(n) != l {
				t.Fatalf("cutoff %v node %d: separate (%v,%d), classified (%v,%d)", c, n, sep.Dist(n), sep.Label(n), d, l)
			}
		}
		a := slices.Sorted(slices.Values(one.ReachedWithin(c)))
		b := slices.Sorted(slices.Values(sep.Reached()))
		if !slices.Equal(a, b) {
			t.Fatalf("cutoff %v: %d nodes classified, %d reached separately", c, len(a), len(b))
		}
		segOne, _ := one.Segments(c, nil)
		segSep, _ := sep.Segments(c, nil)
		// Equal distances may settle in another order; compare as sets.
		byEdge := func(p, q Segment) int {
			if p.Edge != q.Edge {
				return int(p.Edge - q.Edge)
			}
			return cmp.Compare(p.From, q.From)
		}
		slices.SortFunc(segOne, byEdge)
		slices.SortFunc(segSep, byEdge)
		if len(segOne) != len(segSep) {
			t.Fatalf("cutoff %v: %d pieces classified, %d separately", c, len(segOne), len(segSep))
		}
		for i := range segOne {
			p, q := segOne[i], segSep[i]
			if p.Edge != q.Edge || p.From != q.From || p.To != q.To || p.DistFrom != q.DistFrom || p.DistTo != q.DistTo {
				t.Fatalf("cutoff %v piece %d: %+v vs %+v", c, i, p, q)
			}
		}
		isoSep, err := sep.Isochrones([]float64{c}, IsochroneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if isoSep[0].Area != isoOne[k].Area || !isoSep[0].Polygon.Equal(isoOne[k].Polygon) {
			t.Fatalf("cutoff %v: isochrone area %v classified, %v separately", c, isoOne[k].Area, isoSep[0].Area)
		}
	}
}

func TestSearchAllocatesNothing(t *testing.T) {
	g := mustGraph(t, synthGrid(30, 30, 80, 1))
	s := NewSearcher(g)
	a, _ := NewIndex(g, 0).Attach(orb.Point{1200, 1150}, 100)
	sources := []Source{AtPoint(a), AtNode(5, 0)}
	target := a
	allocs := testing.AllocsPerRun(20, func() {
		_ = s.Run(sources, 1000)
		_, _ = s.DistanceTo(target)
		_ = s.ReachedWithin(500)
	})
	if allocs != 0 {
		t.Fatalf("a warmed-up search allocates %v times", allocs)
	}
}

// One Graph and Index shared by goroutines, one Searcher each: run under -race.
func TestSharedGraphConcurrentSearchers(t *testing.T) {
	g := mustGraph(t, synthGrid(20, 20, 80, 4))
	ix := NewIndex(g, 0)
	want := NewSearcher(g)
	a, _ := ix.Attach(orb.Point{700, 650}, 100)
	if err := want.Run([]Source{AtPoint(a)}, 800); err != nil {
		t.Fatal(err)
	}
	done := make(chan []float64)
	for range 4 {
		go func() {
			s := NewSearcher(g)
			b, _ := ix.Attach(orb.Point{700, 650}, 100)
			for range 20 {
				_ = s.Run([]Source{AtPoint(b)}, 800)
				_, _ = s.Isochrones([]float64{400, 800}, IsochroneOptions{})
			}
			done <- slices.Clone(s.Distances())
		}()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want.Distances()) {
			t.Fatal("concurrent searcher disagrees")
		}
	}
}
