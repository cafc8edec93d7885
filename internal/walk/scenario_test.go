package walk

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
)

// scenarioCity is a 40 × 40 grid of 80 m blocks (gridCity: bent, missing and barrier
// links, a detached pair) in memory, with four categories of tiers 300, 500, 500 and 800 m,
// random facilities (a few beyond MaxSnap of every street), parcels (some unattached),
// and 2 districts, 4 街道 and 16 communities. A tenth of the edges walk 1.3 × their planar
// length and a few 0.8 ×, so the Euclidean bound of Base.Apply must use ρ = 0.8.
func scenarioCity(rng *rand.Rand) (*Network, *Inputs) {
	const side, spacing = 40, 80.0
	var edges []network.Edge
	for _, e := range gridCity(side, side, spacing, 5, true) {
		if !e.Walkable {
			continue
		}
		ls := shift(e.Pts)
		l := stretch(1, ls)
		l = 1 / l // planar length
		switch f := rng.Float64(); {
		case f < 0.1:
			l *= 1.3
		case f < 0.13:
			l *= 0.8
		}
		edges = append(edges, network.Edge{ID: e.ID, Source: e.Source, Target: e.Target, Length: l, Geom: ls, Walkable: true})
	}
	n, err := NewNetwork(City{ID: 1, Slug: "s", Name: "S", MetricSRID: testSRID}, edges)
	if err != nil {
		panic(err)
	}
	in := &Inputs{City: n.City, Categories: []Category{
		{Code: "kindergarten", ReachM: 300, Basic: true}, {Code: "primary_school", ReachM: 500, Basic: true},
		{Code: "vegetable_market", ReachM: 500, Basic: true}, {Code: "rail_station", ReachM: 800},
	}}
	extent := float64(side-1) * spacing
	for _, l := range []struct {
		level string
		nx    int
		ny    int
	}{{LevelDistrict, 2, 1}, {LevelSubdistrict, 2, 2}, {LevelCommunity, 4, 4}} {
		w, h := extent/float64(l.nx), extent/float64(l.ny)
		for i := range l.nx {
			for j := range l.ny {
				x, y := float64(i)*w, float64(j)*h
				in.Areas = append(in.Areas, Area{Level: l.level, ID: int64(len(in.Areas) + 1), Name: l.level, Geom: rect(x, y, x+w, y+h)})
			}
		}
	}
	in.index()
	for i := range 1200 {
		in.Parcels = append(in.Parcels, randomParcel(rng, int64(i+1), extent))
	}
	for i := range 160 {
		in.Facilities = append(in.Facilities, randomFacility(rng, int64(i+1), extent, in.Categories))
	}
	for i := range in.Parcels {
		in.Parcels[i].In = in.locate(in.Parcels[i].Point)
	}
	// Parks and squares: 25 parks whose ids (1…25) are also facility ids, 1–3 access
	// points each.
	in.Categories = append(in.Categories, Category{Code: CategoryPark, ReachM: 300, Source: "parks"})
	for id := range int64(25) {
		in.Facilities = append(in.Facilities, randomPark(rng, id+1, extent)...)
	}
	return n, in
}

// randomPark is the access points of a park: 1–3 points within 60 m of a random centre.
func randomPark(rng *rand.Rand, id int64, extent float64) []Facility {
	c := randomPoint(rng, extent)
	var out []Facility
	for range 1 + rng.IntN(3) {
		out = append(out, Facility{ID: id, Category: CategoryPark, Park: true,
			Point: orb.Point{c[0] + rng.Float64()*120 - 60, c[1] + rng.Float64()*120 - 60}})
	}
	return out
}

func randomPoint(rng *rand.Rand, extent float64) orb.Point {
	if rng.IntN(40) == 0 { // beyond MaxSnap of every street
		return at(extent+300+rng.Float64()*200, rng.Float64()*extent)
	}
	return at(rng.Float64()*extent, rng.Float64()*extent)
}

func randomParcel(rng *rand.Rand, id int64, extent float64) Parcel {
	return Parcel{ID: id, Point: randomPoint(rng, extent), AreaM2: 200 + rng.Float64()*3000, Population: float64(rng.IntN(400))}
}

func randomFacility(rng *rand.Rand, id int64, extent float64, cats []Category) Facility {
	code := cats[rng.IntN(len(cats))].Code
	if rng.IntN(30) == 0 {
		code = "no_such_category" // counted nowhere, as ComputeReach does
	}
	return Facility{ID: id, Category: code, Point: randomPoint(rng, extent)}
}

// randomChanges draws 1–6 edits: facilities added, deleted or moved (a modify is a
// deletion plus an addition with the same id), parks added, deleted or redrawn (all their
// access points go by the park's id, new ones come), parcels added, deleted or modified, edges
// closed (now and then an id that is not in the graph) and added: diagonals between grid
// nodes, a spur to a new node, or a link that walks shorter than its planar length.
func randomChanges(rng *rand.Rand, n *Network, in *Inputs) Changes {
	var ch Changes
	const extent = 39 * 80.0
	next := int64(-1)
	usedF, usedP, usedE, usedK := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	for range 1 + rng.IntN(6) {
		switch rng.IntN(10) {
		case 8:
			id := int64(1 + rng.IntN(25))
			if usedK[id] {
				continue
			}
			usedK[id] = true
			ch.DeleteParks = append(ch.DeleteParks, id)
			if rng.IntN(2) == 0 { // redrawn, or its entrances moved
				ch.AddFacilities = append(ch.AddFacilities, randomPark(rng, id, extent)...)
			}
		case 9:
			ch.AddFacilities = append(ch.AddFacilities, randomPark(rng, next, extent)...)
			next--
		case 0:
			ch.AddFacilities = append(ch.AddFacilities, randomFacility(rng, next, extent, in.Categories))
			next--
		case 1, 2:
			f := in.Facilities[rng.IntN(len(in.Facilities))]
			if usedF[f.ID] {
				continue
			}
			usedF[f.ID] = true
			ch.DeleteFacilities = append(ch.DeleteFacilities, f.ID)
			if rng.IntN(2) == 0 { // a modify: moved and perhaps of another category
				g := randomFacility(rng, f.ID, extent, in.Categories)
				if rng.IntN(2) == 0 {
					g.Category = f.Category
				}
				ch.AddFacilities = append(ch.AddFacilities, g)
			}
		case 3:
			ch.AddParcels = append(ch.AddParcels, randomParcel(rng, next, extent))
			next--
		case 4:
			p := in.Parcels[rng.IntN(len(in.Parcels))]
			if usedP[p.ID] {
				continue
			}
			usedP[p.ID] = true
			ch.DeleteParcels = append(ch.DeleteParcels, p.ID)
			if rng.IntN(2) == 0 {
				q := randomParcel(rng, p.ID, extent)
				if rng.IntN(2) == 0 {
					q.Point = p.Point // residents only
				}
				ch.AddParcels = append(ch.AddParcels, q)
			}
		case 5:
			e := n.Graph.Edge(int32(rng.IntN(n.Graph.NumEdges())))
			id := e.ID
			if rng.IntN(10) == 0 {
				id = 1 << 40
			}
			if usedE[id] {
				continue
			}
			usedE[id] = true
			ch.CloseEdges = append(ch.CloseEdges, id)
			if id == e.ID && rng.IntN(3) == 0 { // a modify: the same link, rerouted
				a, b := e.Geom[0], e.Geom[len(e.Geom)-1]
				m := orb.Point{(a[0]+b[0])/2 + 25, (a[1]+b[1])/2 - 25}
				g := orb.LineString{a, m, b}
				ch.AddEdges = append(ch.AddEdges, network.Edge{ID: e.ID, Source: e.Source, Target: e.Target, Walkable: true, Geom: g, Length: 1 / stretch(1, g)})
			}
		default:
			r, c := rng.IntN(39), rng.IntN(39)
			node := func(r, c int) int64 { return int64(1 + r*40 + c) }
			a, b := at(float64(c)*80, float64(r)*80), at(float64(c+1)*80, float64(r+1)*80)
			e := network.Edge{ID: 1<<41 - next, Source: node(r, c), Target: node(r+1, c+1), Walkable: true, Geom: orb.LineString{a, b}}
			switch rng.IntN(3) {
			case 0: // a spur to a new node
				e.Target = 1 << 42
				e.Geom = orb.LineString{a, at(float64(c)*80+30, float64(r)*80+55)}
			case 1: // walks shorter than drawn (ρ < 1)
				e.Length = 0.7 * 80 * math.Sqrt2
			}
			if e.Length == 0 {
				e.Length = stretch(1, e.Geom)
				e.Length = 1 / e.Length
			}
			next--
			ch.AddEdges = append(ch.AddEdges, e)
		}
	}
	return ch
}

func sameReach(t *testing.T, what string, got, want *Reach) {
	t.Helper()
	for k := range want.Dist {
		for p := range want.Dist[k] {
			g, w := got.Dist[k][p], want.Dist[k][p]
			if g != w && !(math.IsInf(g, 1) && math.IsInf(w, 1)) {
				t.Fatalf("%s: category %s parcel %d: %.12f incrementally, %.12f in full", what, want.Categories[k].Code, p, g, w)
			}
			if (got.Nearest[k][p] < 0) != math.IsInf(g, 1) {
				t.Fatalf("%s: category %s parcel %d: nearest facility %d at %v m", what, want.Categories[k].Code, p, got.Nearest[k][p], g)
			}
		}
	}
	for p := range want.Attached {
		if got.Attached[p] != want.Attached[p] {
			t.Fatalf("%s: parcel %d attached %v, want %v", what, p, got.Attached[p], want.Attached[p])
		}
	}
	gj, _ := json.Marshal([]any{got.Facilities, got.Unattached, got.Cutoff, got.MaxSnap, got.Categories})
	wj, _ := json.Marshal([]any{want.Facilities, want.Unattached, want.Cutoff, want.MaxSnap, want.Categories})
	if string(gj) != string(wj) {
		t.Fatalf("%s: counts %s, want %s", what, gj, wj)
	}
}

// TestApplyEqualsFull: 300 random change sets on the generated city; Base.Apply, kept
// incremental however large the change (FullShare 2), gives bit for bit the distances,
// attachments, facility counts and unattached sums of ComputeReach on Network.With +
// Inputs.With (park edits included: parks share ids with facilities), and so the same
// living-circle figures at every level; with the default
// fallback it gives them too. A single added facility recomputes only its category's
// parcels within the bound, and a park-only (empty) change set nothing.
func TestApplyEqualsFull(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(13, 2026))
	n0, in0 := scenarioCity(rng)
	r0, err := ComputeReach(ctx, n0, in0, ReachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base := NewBase(n0, in0, r0)
	if math.Abs(base.stretch-0.8) > 1e-9 {
		t.Fatalf("ρ = %v, want 0.8", base.stretch)
	}
	levels := []string{LevelCity, LevelDistrict, LevelSubdistrict, LevelCommunity}
	incrementalRuns, fallbacks := 0, 0
	for seq := range 300 {
		ch := randomChanges(rng, n0, in0)
		n1, err := n0.With(ch.AddEdges, ch.CloseEdges)
		if err != nil {
			t.Fatal(err)
		}
		in1 := in0.With(ch)
		full, err := ComputeReach(ctx, n1, in1, ReachOptions{MaxSnap: r0.MaxSnap, Cutoff: r0.Cutoff})
		if err != nil {
			t.Fatal(err)
		}
		wantRep, err := IndicatorLevels(n1, in1, full, Options{}, levels)
		if err != nil {
			t.Fatal(err)
		}
		for _, share := range []float64{2, 0} {
			a, err := base.Apply(ctx, ch, ApplyOptions{FullShare: share})
			if err != nil {
				t.Fatal(err)
			}
			if share == 2 && a.Full {
				t.Fatalf("seq %d: fell back with FullShare 2", seq)
			}
			if a.Full {
				fallbacks++
			} else {
				incrementalRuns++
			}
			what := map[bool]string{true: "full", false: "incremental"}[a.Full]
			sameReach(t, what, a.Reach, full)
			gotRep, err := IndicatorLevels(a.Net, a.In, a.Reach, Options{}, levels)
			if err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(gotRep)
			wj, _ := json.Marshal(wantRep)
			if string(gj) != string(wj) {
				t.Fatalf("seq %d (%s): the reports differ", seq, what)
			}
		}
	}
	if fallbacks == 0 || incrementalRuns < 300 {
		t.Fatalf("%d incremental runs and %d fallbacks: both paths must be exercised", incrementalRuns, fallbacks)
	}

	// One kindergarten at the centre: only kindergarten pairs within ρ-bounded reach
	// (800/0.8 + 1 m) of it are recomputed.
	kg := Facility{ID: -1, Category: "kindergarten", Point: at(1560, 1560)}
	a, err := base.Apply(ctx, Changes{AddFacilities: []Facility{kg}}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	within := 0
	for _, p := range in0.Parcels {
		if math.Hypot(p.Point[0]-kg.Point[0], p.Point[1]-kg.Point[1]) <= 800/0.8+1 {
			within++
		}
	}
	if a.Full || a.Pairs != within || a.Recomputed != within {
		t.Fatalf("one kindergarten: %d pairs, %d parcels recomputed (full %v); want the %d parcels within the bound", a.Pairs, a.Recomputed, a.Full, within)
	}
	for k := range r0.Dist {
		if r0.Categories[k].Code != "kindergarten" && &a.Reach.Dist[k][0] != &r0.Dist[k][0] {
			t.Errorf("category %s was copied though nothing of it changed", r0.Categories[k].Code)
		}
	}
	two := Changes{AddFacilities: []Facility{kg, {ID: -2, Category: "kindergarten", Point: at(100, 100)}}}
	if a, err = base.Apply(ctx, two, ApplyOptions{MaxChanges: 1}); err != nil || !a.Full {
		t.Fatalf("two changes with MaxChanges 1: full %v, err %v", a != nil && a.Full, err)
	}
	a, err = base.Apply(ctx, Changes{}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Pairs != 0 || a.Net != n0 {
		t.Fatalf("no change: %d pairs recomputed, network rebuilt %v", a.Pairs, a.Net != n0)
	}
}
