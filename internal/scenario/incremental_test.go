package scenario

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/network"
)

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func garden(id int64, x0, y0, x1, y1 float64) coverage.Park {
	return coverage.Park{ID: id, Name: "p", Class: caliber.Garden, OpenStatus: "open", Geom: rect(x0, y0, x1, y1), AreaM2: (x1 - x0) * (y1 - y0)}
}

func parcel(id int64, pop, x0, y0, x1, y1 float64) coverage.Parcel {
	return coverage.Parcel{ID: id, Geom: rect(x0, y0, x1, y1), AreaM2: (x1 - x0) * (y1 - y0), Population: pop}
}

func mustCaliber(t testing.TB, id string) caliber.Caliber {
	t.Helper()
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	c, err := reg.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHandFixture: GB/T 50563 gives a 2000 m² garden a 300 m radius. Every covered piece
// below lies on a straight side of a buffer, so the areas are worked on paper:
//
//	R1 [300,400]×[10,30]   2000 m², 100 residents
//	R2 [-380,-280]×[0,40]  4000 m², 400 residents
//	R3 [5000,5100]×[0,100] 10000 m², 1000 residents (never covered)
//	B  [-620,-570]×[0,40]  baseline garden; its buffer's right side is x = -270: R2 whole
//	P  [0,50]×[0,40]       the added garden; buffer sides x = -300 and x = 350
//
// Adding P covers R1's x ∈ [300,350]: +1000 m², +50 residents; R2 is already covered (the
// overlap counts once). Then deleting B leaves R2 only x ∈ [-300,-280]: 800 m².
func TestHandFixture(t *testing.T) {
	ctx := context.Background()
	snap := &coverage.Snapshot{CityID: 1, City: "t", CityName: "T", MetricSRID: 4546,
		Parks:   []coverage.Park{garden(1, -620, 0, -570, 40)},
		Parcels: []coverage.Parcel{parcel(1, 100, 300, 10, 400, 30), parcel(2, 400, -380, 0, -280, 40), parcel(3, 1000, 5000, 0, 5100, 100)}}
	base, err := NewBaseline(ctx, snap, mustCaliber(t, "gbt50563-2010"), caliber.Buffer)
	if err != nil {
		t.Fatal(err)
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 0.01 {
			t.Errorf("%s = %.4f, want %.4f", name, got, want)
		}
	}
	near("baseline covered", base.Res.CoveredM2, 4000)
	add := coverage.Changes{AddParks: []coverage.Park{garden(-1, 0, 0, 50, 40)}}
	inc, err := base.Apply(ctx, add)
	if err != nil {
		t.Fatal(err)
	}
	near("covered after adding P", inc.Res.CoveredM2, 5000)
	near("delta", inc.Res.CoveredM2-base.Res.CoveredM2, 1000)
	near("R1", inc.Res.Covered[0], 1000)
	near("R2", inc.Res.Covered[1], 4000)
	near("residents served", inc.Res.CoveredPopulation, 400+50)
	near("ratio", inc.Res.Ratio(), 5000.0/16000)
	if len(inc.Recomputed) != 2 {
		t.Errorf("recomputed %v, want R1 and R2 only", inc.Recomputed)
	}
	inc, err = base.Apply(ctx, coverage.Changes{AddParks: add.AddParks, DeleteParks: []int64{1}})
	if err != nil {
		t.Fatal(err)
	}
	near("covered after deleting B", inc.Res.CoveredM2, 1800)
	near("R2 after deleting B", inc.Res.Covered[1], 800)
	// The gap of R1 is its uncovered x ∈ [350,400]: 1000 m².
	if g := inc.Res.Gaps[0]; math.Abs(area(g)-1000) > 0.01 {
		t.Errorf("R1 gap %.4f m², want 1000", area(g))
	}
}

// area is the planar area of mp in m², holes subtracted: orb's planar.Area, so the tests
// measure gaps with other code than coverage's own shoelace.
func area(mp orb.MultiPolygon) float64 { return planar.Area(mp) }

// genCity is a 2 km square of 400 parcels on a 100 m grid of streets, with parks of
// every size band.
func genCity(rng *rand.Rand) *coverage.Snapshot {
	s := &coverage.Snapshot{CityID: 1, City: "g", CityName: "G", MetricSRID: 4546}
	id := int64(1)
	for i := 0; i < 20; i++ {
		for j := 0; j < 20; j++ {
			x, y := float64(i*100)+10, float64(j*100)+10
			w, h := 40+rng.Float64()*40, 40+rng.Float64()*40
			s.Parcels = append(s.Parcels, parcel(id, float64(rng.IntN(500)), x, y, x+w, y+h))
			id++
		}
	}
	for k := 0; k < 12; k++ {
		s.Parks = append(s.Parks, randomPark(rng, int64(k+1)))
	}
	// Four districts, each of four communities.
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			s.Areas = append(s.Areas, coverage.Area{Level: coverage.LevelDistrict, ID: int64(i*2 + j + 1), Name: "d", Geom: rect(float64(i*1000), float64(j*1000), float64(i*1000+1000), float64(j*1000+1000))})
		}
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			s.Areas = append(s.Areas, coverage.Area{Level: coverage.LevelCommunity, ID: int64(i*4 + j + 1), Name: "c", Geom: rect(float64(i*500), float64(j*500), float64(i*500+500), float64(j*500+500))})
		}
	}
	// Streets: a 100 m grid, nodes numbered i*21+j.
	node := func(i, j int) int64 { return int64(i*21 + j + 1) }
	eid := int64(1)
	for i := 0; i <= 20; i++ {
		for j := 0; j <= 20; j++ {
			if i < 20 {
				s.Edges = append(s.Edges, network.Edge{ID: eid, Source: node(i, j), Target: node(i+1, j), Length: 100, Walkable: true,
					Geom: orb.LineString{{float64(i * 100), float64(j * 100)}, {float64(i*100 + 100), float64(j * 100)}}})
				eid++
			}
			if j < 20 {
				s.Edges = append(s.Edges, network.Edge{ID: eid, Source: node(i, j), Target: node(i, j+1), Length: 100, Walkable: true,
					Geom: orb.LineString{{float64(i * 100), float64(j * 100)}, {float64(i * 100), float64(j*100 + 100)}}})
				eid++
			}
		}
	}
	return s
}

func randomPark(rng *rand.Rand, id int64) coverage.Park {
	x, y := rng.Float64()*1900, rng.Float64()*1900
	side := []float64{25, 46, 80, 120}[rng.IntN(4)] // 625 m², 2116 m² (300 m), 6400 m² and 14400 m² (500 m)
	return garden(id, x, y, x+side, y+side)
}

// TestIncrementalEqualsFull: random sequences of edits (add, modify and delete parks, add
// parcels with residents, close and add streets) give, parcel by parcel, the same covered
// area incrementally as a full computation on baseline + changes.
func TestIncrementalEqualsFull(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(13, 2024))
	cal := mustCaliber(t, "gbt50563-2010")
	snap := genCity(rng)
	for _, method := range []string{caliber.Buffer, caliber.Network} {
		base, err := NewBaseline(ctx, snap, cal, method)
		if err != nil {
			t.Fatal(err)
		}
		sequences := 50
		if method == caliber.Network {
			sequences = 15
		}
		for seq := 0; seq < sequences; seq++ {
			var changes []Change
			n := 0
			for k := 0; k < 1+rng.IntN(6); k++ {
				n++
				changes = append(changes, randomEdit(rng, snap, changes, n, method == caliber.Network))
			}
			ch := CoverageChanges(snap, changes)
			inc, err := base.Apply(ctx, ch)
			if err != nil {
				t.Fatal(err)
			}
			full, err := coverage.Compute(ctx, snap.With(ch), cal, coverage.Options{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			if len(full.Covered) != len(inc.Res.Covered) {
				t.Fatalf("%s seq %d: %d parcels, want %d", method, seq, len(inc.Res.Covered), len(full.Covered))
			}
			for i := range full.Covered {
				if d := math.Abs(full.Covered[i] - inc.Res.Covered[i]); d > 1e-6 {
					t.Fatalf("%s seq %d: parcel %d covered %.9f incrementally, %.9f in full (recomputed %d of %d)",
						method, seq, inc.Res.Snapshot().Parcels[i].ID, inc.Res.Covered[i], full.Covered[i], len(inc.Recomputed), len(full.Covered))
				}
			}
			if d := math.Abs(full.CoveredPopulation - inc.Res.CoveredPopulation); d > 1e-6 {
				t.Fatalf("%s seq %d: residents served differ by %g", method, seq, d)
			}
			// The figures by level (the assignment reused from the baseline) agree too.
			for _, level := range coverage.Levels {
				fl, _ := full.ByLevel(level)
				il, _ := inc.Res.ByLevel(level)
				if len(fl) != len(il) {
					t.Fatalf("%s seq %d %s: %d areas, want %d", method, seq, level, len(il), len(fl))
				}
				for k := range fl {
					f, g := fl[k], il[k]
					if f.ID != g.ID || f.Parcels != g.Parcels || math.Abs(f.CoveredM2-g.CoveredM2) > 1e-6 || math.Abs(f.TotalM2-g.TotalM2) > 1e-6 ||
						(f.PerCapita != nil && math.Abs(f.PerCapita.ParkM2-g.PerCapita.ParkM2) > 1e-6) {
						t.Fatalf("%s seq %d %s: area %+v, want %+v", method, seq, level, g, f)
					}
				}
			}
		}
	}
}

// randomEdit returns change n: on parks (add, modify geometry or class, delete), parcels
// (add with residents) or, with streets, edges (close one, add a diagonal).
func randomEdit(rng *rand.Rand, snap *coverage.Snapshot, prior []Change, n int, streets bool) Change {
	kinds := 5
	if streets {
		kinds = 7
	}
	parkProps := func(p coverage.Park) map[string]any {
		return map[string]any{"name": "x", "park_class": p.Class, "open_status": p.OpenStatus, "pocket": false}
	}
	switch k := rng.IntN(kinds); k {
	case 0, 1: // add a park
		p := randomPark(rng, 0)
		return Change{N: n, Layer: "parks", Op: OpAdd, Resolved: parkProps(p), GeomM: p.Geom, Measure: p.AreaM2}
	case 2: // modify a baseline or added park
		target := snap.Parks[rng.IntN(len(snap.Parks))].ID
		for _, c := range prior {
			if c.Layer == "parks" && c.Op == OpAdd && rng.IntN(2) == 0 {
				target = c.FeatureID()
			}
		}
		p := randomPark(rng, target)
		props := parkProps(p)
		if rng.IntN(3) == 0 {
			props["open_status"] = "closed"
		}
		return Change{N: n, Layer: "parks", Op: OpModify, Target: target, Resolved: props, GeomM: p.Geom, Measure: p.AreaM2}
	case 3: // delete a park
		return Change{N: n, Layer: "parks", Op: OpDelete, Target: snap.Parks[rng.IntN(len(snap.Parks))].ID}
	case 4: // a new development
		x, y := rng.Float64()*1900, rng.Float64()*1900
		p := parcel(0, float64(rng.IntN(3000)), x, y, x+30+rng.Float64()*100, y+30+rng.Float64()*100)
		return Change{N: n, Layer: "residential_land", Op: OpAdd, Resolved: map[string]any{"population": p.Population}, GeomM: p.Geom, Measure: p.AreaM2}
	case 5: // close a street
		return Change{N: n, Layer: "network_edges", Op: OpModify, Target: snap.Edges[rng.IntN(len(snap.Edges))].ID,
			Resolved: map[string]any{"walkable": false, "source": float64(1), "target": float64(2)}, GeomM: orb.LineString{{0, 0}, {1, 1}}, Measure: 1}
	default: // a footbridge: a diagonal between two grid nodes
		i, j := rng.IntN(20), rng.IntN(20)
		ls := orb.LineString{{float64(i * 100), float64(j * 100)}, {float64(i*100 + 100), float64(j*100 + 100)}}
		return Change{N: n, Layer: "network_edges", Op: OpAdd, GeomM: ls, Measure: math.Sqrt2 * 100,
			Resolved: map[string]any{"walkable": true, "source": float64(i*21 + j + 1), "target": float64((i+1)*21 + j + 2)}}
	}
}
