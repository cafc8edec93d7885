package capacity

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walk"
)

// The hand-worked fixture of issue 22: one straight street along y = 0 from x = 0 to
// x = 1300 (two edges, split at x = 650), three primary schools and five parcels, d0 = 500 m.
//
//	parcel   x     y   children 6–12   community
//	P1       0     0   100             A
//	P2     200     0   200             A
//	P3     400     0   100             B
//	P4     700     0   300             B
//	P5    1000    30    50             B   (30 m access leg to the street)
//
//	school   x     seats
//	S1     100     300
//	S2     600     200
//	S3    1300     100
//
// Walking distances (|Δx| along the street, plus 30 m for P5), "—" beyond 500 m:
//
//	      P1   P2   P3   P4   P5
//	S1   100  100  300   —    —
//	S2    —   400  200  100  430
//	S3    —    —    —    —   330
//
// Step 1: R1 = 300 / (100+200+100) = 3/4; R2 = 200 / (200+100+300+50) = 4/13;
// R3 = 100 / 50 = 2.
// Step 2: A1 = 3/4; A2 = A3 = 3/4 + 4/13 = 55/52; A4 = 4/13; A5 = 4/13 + 2 = 30/13.
// Served A·P: 75, 2750/13, 1375/13, 1200/13, 1500/13 (sum 600 = all seats).
// Community A: demand 300, served 75 + 2750/13, gap 25 − 150/13 = 175/13, shortfall 25.
// Community B: demand 450, served 4075/13, gap 1775/13, shortfall 2700/13 (P4 only).
// City: demand 750, served 600, gap 150, shortfall 25 + 2700/13 = 3025/13.
var (
	fixParcels = []struct {
		x, y, kids float64
		com        int32
	}{{0, 0, 100, 0}, {200, 0, 200, 0}, {400, 0, 100, 1}, {700, 0, 300, 1}, {1000, 30, 50, 1}}
	fixSchools = []struct{ x, seats float64 }{{100, 300}, {600, 200}, {1300, 100}}
)

func fixture(t *testing.T) (*walk.Network, *walk.Inputs, []Supply) {
	t.Helper()
	city := walk.City{ID: 1, Slug: "fixture"}
	n, err := walk.NewNetwork(city, []network.Edge{
		{ID: 1, Source: 1, Target: 2, Length: 650, Geom: orb.LineString{{0, 0}, {650, 0}}, Walkable: true},
		{ID: 2, Source: 2, Target: 3, Length: 650, Geom: orb.LineString{{650, 0}, {1300, 0}}, Walkable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	in := &walk.Inputs{City: city, Areas: []walk.Area{
		{Level: walk.LevelCommunity, ID: 11, Code: "150203001001", Name: "A"},
		{Level: walk.LevelCommunity, ID: 12, Code: "150203001002", Name: "B"},
	}}
	for i, p := range fixParcels {
		in.Parcels = append(in.Parcels, walk.Parcel{ID: int64(i + 1), Point: orb.Point{p.x, p.y}, Population: 2 * p.kids, In: [3]int32{-1, -1, p.com}})
	}
	var fac []Supply
	for j, s := range fixSchools {
		seats := s.seats
		fac = append(fac, Supply{ID: int64(j + 1), Point: orb.Point{s.x, 0}, Capacity: &seats})
	}
	return n, in, fac
}

// kidsSpread is the children of the fixture as the spread of community counts: A has 300
// children on parcels of 200 and 400 residents, B 450 on 200, 600 and 100.
func kidsSpread(in *walk.Inputs) SpreadResult {
	return SpreadInputs(in, map[int64]float64{11: 300, 12: 450})
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.12f, want %.12f", what, got, want)
	}
}

func TestFixtureHandWorked(t *testing.T) {
	n, in, fac := fixture(t)
	sp := kidsSpread(in)
	for i, p := range fixParcels {
		near(t, "spread P"+string(rune('1'+i)), sp.Demand[i], p.kids)
	}
	rep, err := Compute(context.Background(), n, in, Category{Code: "primary_school", ReachM: 500}, fac, sp, Options{Level: LevelParcel}, 200)
	if err != nil {
		t.Fatal(err)
	}
	wantR := []float64{3.0 / 4, 4.0 / 13, 2}
	wantD := []float64{400, 650, 50}
	for j, f := range rep.Facilities {
		near(t, "R"+string(rune('1'+j)), f.Ratio, wantR[j])
		near(t, "catchment demand", f.Demand, wantD[j])
	}
	wantA := []float64{3.0 / 4, 55.0 / 52, 55.0 / 52, 4.0 / 13, 30.0 / 13}
	for i, p := range rep.Parcels {
		near(t, "A"+string(rune('1'+i)), p.Access, wantA[i])
		near(t, "gap", p.Gap, fixParcels[i].kids*(1-wantA[i]))
	}
	near(t, "city demand", rep.Totals.Demand, 750)
	near(t, "city served", rep.Totals.Served, 600)
	near(t, "city gap", rep.Totals.Gap, 150)
	near(t, "city shortfall", rep.Totals.Shortfall, 3025.0/13)

	rep, err = Compute(context.Background(), n, in, Category{Code: "primary_school", ReachM: 500}, fac, sp, Options{}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Areas) != 2 {
		t.Fatalf("%d areas, want 2", len(rep.Areas))
	}
	a, b := rep.Areas[0], rep.Areas[1]
	near(t, "A demand", a.Demand, 300)
	near(t, "A served", a.Served, 75+2750.0/13)
	near(t, "A gap", a.Gap, 175.0/13)
	near(t, "A shortfall", a.Shortfall, 25)
	near(t, "B demand", b.Demand, 450)
	near(t, "B served", b.Served, 4075.0/13)
	near(t, "B gap", b.Gap, 1775.0/13)
	near(t, "B shortfall", b.Shortfall, 2700.0/13)
}

// TestFixtureGaussian checks the Gaussian decay on the fixture, with the weights written
// out: g(d) = (exp(-(d/500)²/2) − exp(-1/2)) / (1 − exp(-1/2)).
func TestFixtureGaussian(t *testing.T) {
	n, in, fac := fixture(t)
	rep, err := Compute(context.Background(), n, in, Category{Code: "primary_school", ReachM: 500}, fac, kidsSpread(in), Options{Level: LevelParcel, Decay: DecayGaussian}, 200)
	if err != nil {
		t.Fatal(err)
	}
	e := math.Exp(-0.5)
	g := func(d float64) float64 { return (math.Exp(-d*d/(2*500*500)) - e) / (1 - e) }
	r1 := 300 / (g(100)*100 + g(100)*200 + g(300)*100)
	r2 := 200 / (g(400)*200 + g(200)*100 + g(100)*300 + g(430)*50)
	r3 := 100 / (g(330) * 50)
	want := []float64{g(100) * r1, g(100)*r1 + g(400)*r2, g(300)*r1 + g(200)*r2, g(100) * r2, g(430)*r2 + g(330)*r3}
	for i, p := range rep.Parcels {
		near(t, "gaussian A"+string(rune('1'+i)), p.Access, want[i])
	}
	// The capacity is still shared out exactly: every school has children in its catchment.
	near(t, "served", rep.Totals.Served, 600)
}

// TestTwoStepZeroDemand: a facility with nobody in reach keeps its capacity idle.
func TestTwoStepZeroDemand(t *testing.T) {
	n, in, fac := fixture(t)
	seats := 999.0
	fac = append(fac, Supply{ID: 9, Point: orb.Point{1300, 0}, Capacity: nil}, Supply{ID: 10, Point: orb.Point{5000, 5000}, Capacity: &seats})
	sp := kidsSpread(in)
	sp.Demand[4] = 0 // P5 moves away: S3 has no one in its catchment
	rep, err := Compute(context.Background(), n, in, Category{Code: "primary_school", ReachM: 500}, fac, sp, Options{Level: "city"}, 200)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "idle", rep.Idle, 100)
	if rep.FacilitiesWithoutCapacity != 1 || rep.FacilitiesUnattached != 1 {
		t.Errorf("without capacity %d, unattached %d; want 1, 1", rep.FacilitiesWithoutCapacity, rep.FacilitiesUnattached)
	}
	near(t, "served", rep.Totals.Served, 500)
}

func TestSpreadHand(t *testing.T) {
	// Community 0: parcels of 100 and 300 residents share 40 → 10 and 30. Community 1 has
	// counts but no residents → unallocated 7. Parcel 3 is in community 2 (no data), parcel
	// 4 in none.
	r := Spread([]float64{100, 300, 0, 50, 20}, []int32{0, 0, 1, 2, -1}, map[int32]float64{0: 40, 1: 7})
	want := []float64{10, 30, 0, 0, 0}
	for i := range want {
		near(t, "demand", r.Demand[i], want[i])
	}
	near(t, "unallocated", r.Unallocated, 7)
	if r.WithoutData != 2 || r.WithoutDataPopulation != 70 {
		t.Errorf("without data %d / %v, want 2 / 70", r.WithoutData, r.WithoutDataPopulation)
	}
}
