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
// it once between them, whichever comes first. The graph is checked against the table (PostGIS counts and sums
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
	lc.Graphs = graphs
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
	// both runs a coverage request and a living-circle request (that one first when
	// lcFirst) and returns the graph each walked.
	both := func(lcFirst bool) (*walkNet, *walksvc.Network) {
		t.Helper()
		requests := []func() error{
			func() error { _, err := cov.Indicator(ctx, q); return err },
			func() error { _, err := lc.LivingCircle(ctx, slug, walksvc.Options{}); return err },
		}
		if lcFirst {
			requests[0], requests[1] = requests[1], requests[0]
		}
		for _, r := range requests {
			if err := r(); err != nil {
				t.Fatal(err)
			}
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

	wn, n := both(false)
	if b := graphs.Builds(); b != 1 {
		t.Fatalf("%d graph builds for a coverage and a living-circle request on one version, want 1", b)
	}
	if wn.g != n.Graph || wn.ix != n.Index {
		t.Fatal("coverage and the living circle walk different graphs")
	}
	againstTable(wn)

	// Edits of streets: a street added, then another, asked for in either order
	// (coverage derives the graph by the edit's changes, the living circle loads the
	// new version).
	for k, lcFirst := range []bool{false, true} {
		// A second street beside the walkable edge nearest the k-th park (same ends, same
		// line): the graph changes near the parks, so coverage brings its result forward
		// by walking the derived graph (Result.Apply). Closing a street would make it a
		// barrier, which reloads coverage's snapshot in full.
		if _, err := pool.Exec(ctx, `INSERT INTO network_edges (city_id, source, target, highway, geom)
			SELECT city_id, source, target, highway, geom FROM network_edges
			WHERE id = (SELECT e.id FROM network_edges e WHERE e.city_id = $1 AND e.walkable
				ORDER BY e.geom_m <-> (SELECT ST_PointOnSurface(geom_m) FROM parks WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1), e.id LIMIT 1)`,
			cityID, k); err != nil {
			t.Fatal(err)
		}
		wn2, n2 := both(lcFirst)
		if b := graphs.Builds(); b != int64(2+k) {
			t.Fatalf("living circle first %v: %d graph builds after %d street edits and both requests, want %d", lcFirst, b, k+1, 2+k)
		}
		if wn2.g != n2.Graph || wn2.g == wn.g {
			t.Fatalf("living circle first %v: after the edit, coverage and the living circle walk different graphs, or the old one", lcFirst)
		}
		againstTable(wn2)
		wn = wn2
	}

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
	if graphs.Builds() != 3 {
		t.Fatalf("%d builds: the fresh computation used the shared cache", graphs.Builds())
	}
}
