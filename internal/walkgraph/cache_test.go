package walkgraph

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
)

// line is a straight walkable edge of planar length.
func line(id, s, t int64, a, b orb.Point) network.Edge {
	return network.Edge{ID: id, Source: s, Target: t, Length: math.Hypot(b[0]-a[0], b[1]-a[1]), Geom: orb.LineString{a, b}, Walkable: true}
}

// A 3-edge path 1–2–3–4 along the x axis, 100 m each.
func path() []network.Edge {
	return []network.Edge{
		line(10, 1, 2, orb.Point{0, 0}, orb.Point{100, 0}),
		line(20, 2, 3, orb.Point{100, 0}, orb.Point{200, 0}),
		line(30, 3, 4, orb.Point{200, 0}, orb.Point{300, 0}),
	}
}

func TestCacheBuildsOncePerVersion(t *testing.T) {
	var c Cache
	loads := 0
	load := func() ([]network.Edge, error) { loads++; return path(), nil }
	var wg sync.WaitGroup
	got := make([]*Graph, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := c.Get(1, "v1", load)
			if err != nil {
				t.Error(err)
			}
			got[i] = g
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatal("concurrent callers got different graphs")
		}
	}
	if c.Builds() != 1 || loads != 1 {
		t.Fatalf("%d builds, %d loads for one version, want 1 and 1", c.Builds(), loads)
	}
	if g, _ := c.Get(1, "v2", load); g == got[0] || c.Builds() != 2 {
		t.Fatal("a new version did not build a new graph")
	}
	if g, _ := c.Get(2, "v1", load); g == got[0] || c.Builds() != 3 {
		t.Fatal("another city with the same version shared a graph")
	}
}

// The graph a scenario derives and the one an edit derives under the new version are one
// graph, built once, whichever asks first; it is the graph of the edited edges in id
// order (built here from a hand-made list).
func TestDeriveAndWithShareOneGraph(t *testing.T) {
	var c Cache
	base, err := c.Get(1, "v1", func() ([]network.Edge, error) { return path(), nil })
	if err != nil {
		t.Fatal(err)
	}
	bridge := line(15, 2, 4, orb.Point{100, 0}, orb.Point{300, 0})
	add, closed := []network.Edge{bridge}, []int64{20}
	w, err := c.With(base, add, closed)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Derive(base, add, closed, "v2")
	if err != nil {
		t.Fatal(err)
	}
	if d != w || c.Builds() != 2 {
		t.Fatalf("Derive after With: same graph %v, %d builds; want true, 2", d == w, c.Builds())
	}
	loaded, err := c.Get(1, "v2", func() ([]network.Edge, error) { t.Fatal("v2 loaded again"); return nil, nil })
	if err != nil || loaded != d {
		t.Fatalf("Get of the derived version: %v, same %v", err, loaded == d)
	}
	want := []int64{10, 15, 30} // edge 20 closed, the bridge in id order
	if n := d.Graph.NumEdges(); n != len(want) {
		t.Fatalf("%d edges, want %d", n, len(want))
	}
	for e, id := range want {
		if got := d.Graph.EdgeID(int32(e)); got != id {
			t.Fatalf("edge index %d is id %d, want %d", e, got, id)
		}
	}
	// The other order: an edit seen first by the loader, then a scenario with the same changes.
	var c2 Cache
	base2, _ := c2.Get(1, "v1", func() ([]network.Edge, error) { return path(), nil })
	d2, _ := c2.Derive(base2, add, closed, "v2")
	w2, _ := c2.With(base2, add, closed)
	if d2 != w2 || c2.Builds() != 2 {
		t.Fatalf("With after Derive: same graph %v, %d builds; want true, 2", d2 == w2, c2.Builds())
	}
}

func TestCacheKeepsAFewGraphsPerCity(t *testing.T) {
	c := Cache{Keep: 2}
	load := func() ([]network.Edge, error) { return path(), nil }
	v1, _ := c.Get(1, "v1", load)
	c.Get(1, "v2", load) //nolint:errcheck
	c.Get(1, "v3", load) //nolint:errcheck
	if g, _ := c.Get(1, "v1", load); g == v1 || c.Builds() != 4 {
		t.Fatalf("the least recently used graph was kept beyond Keep (%d builds)", c.Builds())
	}
	var none *Cache
	a, _ := none.Get(1, "v1", load)
	b, _ := none.Get(1, "v1", load)
	if a == b || none.Builds() != 0 {
		t.Fatal("a nil cache kept a graph")
	}
}

// A build that fails for one caller (its request was cancelled) is not kept, and a caller
// waiting for it builds the graph itself.
func TestFailedBuildIsNotAnotherCallersFailure(t *testing.T) {
	var c Cache
	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		c.Get(1, "v1", func() ([]network.Edge, error) { //nolint:errcheck
			close(started)
			<-release
			return nil, errors.New("cancelled")
		})
	}()
	<-started
	done := make(chan *Graph)
	go func() {
		g, err := c.Get(1, "v1", func() ([]network.Edge, error) { return path(), nil })
		if err != nil {
			t.Error(err)
		}
		done <- g
	}()
	close(release)
	if g := <-done; g == nil || g.Graph.NumEdges() != 3 || c.Builds() != 1 {
		t.Fatalf("the waiting caller got %v after another's failed build (%d builds)", g, c.Builds())
	}
}
