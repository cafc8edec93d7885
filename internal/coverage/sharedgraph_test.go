package coverage

import (
	"context"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	walksvc "github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// TestOneWalkingGraphForBothIndicators: park coverage's network method and the living
// circle, given one graph cache (as cityreach serve gives them), build the city's walking
// graph once and walk the same one — a coverage request, then a living-circle request on
// the same data, builds it once; after an edit of a street, the two requests again build
// it once between them. The graph is checked against the table (PostGIS counts and sums
// the walkable edges with topology), and the coverage figures brought forward onto the
// derived graph against a full computation on a fresh load with a graph of its own.
func TestOneWalkingGraphForBothIndicators(t *testing.T) {
	pool := newDB(t)
	if pool == nil {
		return
	}
	ctx := context.Background()
	const slug = "shared-graph"
	cityID := generateCity(11, 140, 10).load(t, pool, slug)
	graphs := &walkgraph.Cache{}
	reg, _ := caliber.NewRegistry()
	cov := &Service{Store: Store{Pool: pool}, Calibers: reg, Graphs: graphs}
	lc := walksvc.NewService(pool, nil)
	lc.Graphs, lc.CheckEvery = graphs, -1
	q := Query{City: slug, Caliber: "gbt50563-2010", Method: caliber.Network}
	cal := builtin(t, q.Caliber)
	city, err := lc.City(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}

	// state is the coverage service's state of the city now.
	state := func() *cityState {
		t.Helper()
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		st, err := cov.state(ctx, c, slug)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// both runs a coverage request and a living-circle request and returns the graph
	// each walked.
	both := func() (*walkNet, *walksvc.Network) {
		t.Helper()
		if _, err := cov.Indicator(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, err := lc.LivingCircle(ctx, slug, walksvc.Options{}); err != nil {
			t.Fatal(err)
		}
		wn, err := state().snap.walkNet()
		if err != nil {
			t.Fatal(err)
		}
		n, err := lc.Network(ctx, city)
		if err != nil {
			t.Fatal(err)
		}
		return wn, n
	}
	// againstTable compares the graph with the walkable edges with topology in PostGIS.
	againstTable := func(wn *walkNet) {
		t.Helper()
		var edges int
		var length float64
		if err := pool.QueryRow(ctx, `SELECT count(*), sum(length_m) FROM network_edges
			WHERE city_id = $1 AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL`, cityID).Scan(&edges, &length); err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for e := range int32(wn.g.NumEdges()) {
			sum += wn.g.EdgeLength(e)
		}
		if wn.g.NumEdges() != edges || math.Abs(sum-length) > 1e-6*length {
			t.Fatalf("graph: %d edges of %.3f m, table: %d edges of %.3f m", wn.g.NumEdges(), sum, edges, length)
		}
	}

	wn, n := both()
	if b := graphs.Builds(); b != 1 {
		t.Fatalf("%d graph builds for a coverage and a living-circle request on one version, want 1", b)
	}
	if wn.g != n.Graph || wn.ix != n.Index {
		t.Fatal("coverage and the living circle walk different graphs")
	}
	againstTable(wn)

	// An edit of a street: close one walkable edge.
	if _, err := pool.Exec(ctx, `UPDATE network_edges SET walkable = false
		WHERE id = (SELECT min(id) FROM network_edges WHERE city_id = $1 AND walkable)`, cityID); err != nil {
		t.Fatal(err)
	}
	wn2, n2 := both()
	if b := graphs.Builds(); b != 2 {
		t.Fatalf("%d graph builds after one street edit and both requests, want 2", b)
	}
	if wn2.g != n2.Graph || wn2.g == wn.g {
		t.Fatal("after the edit, coverage and the living circle walk different graphs, or the old one")
	}
	againstTable(wn2)

	// The figures brought forward onto the derived graph equal a full computation on a
	// fresh load, whose graph is built from the table for it alone.
	kept, ok := cov.kept(state(), resultKey(cal, q.Method))
	if !ok {
		t.Fatal("no kept result after the edit")
	}
	fresh, err := Store{Pool: pool}.Load(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	other := &Service{Store: Store{Pool: pool}, Calibers: reg}
	want, err := other.compute(ctx, fresh, q, cal)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Covered) != len(kept.res.Covered) {
		t.Fatalf("%d parcels kept, %d fresh", len(kept.res.Covered), len(want.Covered))
	}
	for i := range want.Covered {
		if kept.res.Covered[i] != want.Covered[i] {
			t.Fatalf("parcel %d: %v m² covered on the shared graph, %v m² on a fresh one", fresh.Parcels[i].ID, kept.res.Covered[i], want.Covered[i])
		}
	}
	if graphs.Builds() != 2 {
		t.Fatalf("%d builds: the fresh computation used the shared cache", graphs.Builds())
	}
}
