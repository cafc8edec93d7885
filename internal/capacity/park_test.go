package capacity

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/walk"
)

// The hand-worked park fixture: the street of fixture() (y = 0, x from 0 to 1300), two
// parks as their access points and three parcels, d0 = 300 m, every resident the demand.
//
//	park   area m²   gates (x)        parcel   x    residents
//	K1     6000      100, 500         Q1       0    1000
//	K2     2000      900              Q2     300     200
//	K3     (closed: no area)  1300    Q3     700     300
//
// Walking distance to a park is to its nearest gate ("—" beyond 300 m):
//
//	      Q1   Q2   Q3
//	K1   100  200  200   (Q3 through gate 500; gate 100 is 600 m away)
//	K2    —    —   200
//
// Step 1: R1 = 6000 / (1000+200+300) = 4 m² per resident; R2 = 2000 / 300 = 20/3.
// Step 2: A1 = A2 = 4; A3 = 4 + 20/3 = 32/3 m² per resident.
// Served A·P: 4000, 800, 3200 (sum 8000 = all the park area).
// Against the norm of 8 m² per resident: gaps 8000−4000 = 4000, 1600−800 = 800,
// 2400−3200 = −800; city gap 12000 − 8000 = 4000, shortfall 4800.
func TestParkFixtureHandWorked(t *testing.T) {
	n, _, _ := fixture(t)
	in := &walk.Inputs{City: n.City, Areas: []walk.Area{{Level: walk.LevelCommunity, ID: 11, Code: "150203001001", Name: "A"}}}
	for i, p := range []struct{ x, pop float64 }{{0, 1000}, {300, 200}, {700, 300}} {
		in.Parcels = append(in.Parcels, walk.Parcel{ID: int64(i + 1), Point: orb.Point{p.x, 0}, Population: p.pop, In: [3]int32{-1, -1, 0}})
	}
	// The access points as the walk package lists them, not grouped by park.
	pts := []walk.Facility{
		{ID: 2, Name: "K2", Point: orb.Point{900, 0}, Park: true},
		{ID: 1, Name: "K1", Point: orb.Point{100, 0}, Park: true},
		{ID: 7, Name: "a school", Point: orb.Point{300, 0}},
		{ID: 3, Name: "K3", Point: orb.Point{1300, 0}, Park: true},
		{ID: 1, Name: "K1", Point: orb.Point{500, 0}, Park: true},
	}
	fac := ParkSupply(pts, map[int64]float64{1: 6000, 2: 2000})
	if len(fac) != 3 || fac[0].ID != 1 || len(fac[0].More) != 1 || fac[2].Capacity != nil {
		t.Fatalf("park supply %+v: want K1 (two gates), K2, K3 without area", fac)
	}
	cat := Category{Code: walk.CategoryPark, ReachM: 300, Source: SourceParks, Norm: Norm{PerThousand: 8000, Basis: NormBands}}
	rep, err := Compute(context.Background(), n, in, cat, fac, TotalDemand(in), Options{Level: LevelParcel}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FacilitiesWithoutCapacity != 1 || len(rep.Facilities) != 2 {
		t.Fatalf("without capacity %d, facilities %d; want 1, 2", rep.FacilitiesWithoutCapacity, len(rep.Facilities))
	}
	near(t, "norm", rep.NormPerResident, 8)
	near(t, "R1", rep.Facilities[0].Ratio, 4)
	near(t, "R2", rep.Facilities[1].Ratio, 20.0/3)
	near(t, "K1 catchment", rep.Facilities[0].Demand, 1500)
	wantA := []float64{4, 4, 32.0 / 3}
	wantGap := []float64{4000, 800, -800}
	for i, p := range rep.Parcels {
		near(t, "A", p.Access, wantA[i])
		near(t, "gap", p.Gap, wantGap[i])
	}
	near(t, "served", rep.Totals.Served, 8000)
	near(t, "capacity", rep.Capacity, 8000)
	near(t, "ratio", rep.Totals.Ratio, 8000.0/1500)
	near(t, "city gap", rep.Totals.Gap, 4000)
	near(t, "city shortfall", rep.Totals.Shortfall, 4800)
}

// TestParkScenarioHand: the park fixture with a scenario that deletes K2 and adds K4 (3000
// m², gate at x = 550, id −1 as a scenario's added park): K1's R stays 6000 / 1500 = 4; K4
// reaches Q2 (250 m) and Q3 (150 m), not Q1 (550 m): R4 = 3000 / 500 = 6. A = 4, 10, 10;
// served 4000, 2000, 3000 (9000 = all the park area); gaps against 8 m² 4000, −400, −600;
// city gap 12000 − 9000 = 3000, shortfall 4000.
func TestParkScenarioHand(t *testing.T) {
	n, _, _ := fixture(t)
	in := &walk.Inputs{City: n.City, Areas: []walk.Area{{Level: walk.LevelCommunity, ID: 11, Code: "150203001001", Name: "A"}}}
	for i, p := range []struct{ x, pop float64 }{{0, 1000}, {300, 200}, {700, 300}} {
		in.Parcels = append(in.Parcels, walk.Parcel{ID: int64(i + 1), Point: orb.Point{p.x, 0}, Population: p.pop, In: [3]int32{-1, -1, 0}})
	}
	// The access points as the scenario's walking inputs list them: K2's gone, K4's added.
	pts := []walk.Facility{
		{ID: 1, Name: "K1", Point: orb.Point{100, 0}, Park: true},
		{ID: 1, Name: "K1", Point: orb.Point{500, 0}, Park: true},
		{ID: -1, Name: "K4", Point: orb.Point{550, 0}, Park: true},
	}
	ch := &Changes{ParkAreas: map[int64]float64{-1: 3000}, ParksGone: []int64{2}}
	base := map[int64]float64{1: 6000, 2: 2000}
	areas := ch.parkAreas(base)
	if len(areas) != 2 || areas[1] != 6000 || areas[-1] != 3000 || len(base) != 2 {
		t.Fatalf("areas %v (base %v): want K1 6000 and K4 3000, base untouched", areas, base)
	}
	cat := Category{Code: walk.CategoryPark, ReachM: 300, Source: SourceParks, Norm: Norm{PerThousand: 8000, Basis: NormBands}}
	rep, err := Compute(context.Background(), n, in, cat, ParkSupply(pts, areas), TotalDemand(in), Options{Level: LevelParcel}, 200)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "capacity", rep.Capacity, 9000)
	wantA := []float64{4, 10, 10}
	wantGap := []float64{4000, -400, -600}
	for i, p := range rep.Parcels {
		near(t, "A", p.Access, wantA[i])
		near(t, "gap", p.Gap, wantGap[i])
	}
	near(t, "served", rep.Totals.Served, 9000)
	near(t, "city gap", rep.Totals.Gap, 3000)
	near(t, "city shortfall", rep.Totals.Shortfall, 4000)
}
