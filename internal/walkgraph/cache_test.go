package walkgraph

import (
	"errors"
	"math"
	"slices"
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
	if g, ok := c.Peek(1, "v1"); !ok || g != got[0] {
		t.Fatal("Peek does not see the built graph")
	}
	if _, ok := c.Peek(1, "v2"); ok || c.Builds() != 1 {
		t.Fatal("Peek saw or built a graph never asked for")
	}
	if g, _ := c.Get(1, "v2", load); g == got[0] || c.Builds() != 2 {
		t.Fatal("a new version did not build a new graph")
	}
	if g, _ := c.Get(2, "v1", load); g == got[0] || c.Builds() != 3 {
		t.Fatal("another city with the same version shared a graph")
	}
}

// The graph an edit made, expected under the new version, is built once for the indicator
// that derives it from its graph by the changes (With) and the one that loads the new
// version (Get), whichever asks first; and the graph With derives is the graph of the
// edited edges in id order (the hand-made list a load after the edit reads).
func TestExpectedGraphIsBuiltOnceForBoth(t *testing.T) {
	bridge := line(15, 2, 4, orb.Point{100, 0}, orb.Point{300, 0})
	add, closed := []network.Edge{bridge}, []int64{20}
	edited := []network.Edge{path()[0], bridge, path()[2]}
	ids := func(g *Graph) []int64 {
		var out []int64
		for e := range int32(g.Graph.NumEdges()) {
			out = append(out, g.Graph.EdgeID(e))
		}
		return out
	}
	for _, withFirst := range []bool{true, false} {
		var c Cache
		base, err := c.Get(1, "v1", func() ([]network.Edge, error) { return path(), nil })
		if err != nil {
			t.Fatal(err)
		}
		c.Expect(1, base.Version, add, closed, "v2", edited)
		if c.Builds() != 1 {
			t.Fatalf("Expect built a graph")
		}
		with := func() *Graph {
			g, err := c.With(base, add, closed)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		load := func() *Graph {
			g, err := c.Get(1, "v2", func() ([]network.Edge, error) { t.Fatal("v2 loaded"); return nil, nil })
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		var a, b *Graph
		if withFirst {
			a, b = with(), load()
		} else {
			a, b = load(), with()
		}
		if a != b || c.Builds() != 2 {
			t.Fatalf("with first %v: same graph %v, %d builds; want true, 2", withFirst, a == b, c.Builds())
		}
		if got := ids(a); !slices.Equal(got, []int64{10, 15, 30}) {
			t.Fatalf("edge ids %v, want 10 15 30", got)
		}
	}
	var none *Cache
	base, _ := none.Get(1, "v1", func() ([]network.Edge, error) { return path(), nil })
	derived, err := none.With(base, add, closed)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(derived); !slices.Equal(got, []int64{10, 15, 30}) {
		t.Fatalf("derived edge ids %v, want the load's 10 15 30", got)
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
