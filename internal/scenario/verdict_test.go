package scenario

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// TestParkVerdicts: for every reason code, a scenario adding such a park reports that code,
// and the park adds nothing: the scenario's coverage equals the baseline's, and both equal
// the figure worked on paper. The fixture is TestHandFixture's:
//
//	R1 [300,400]×[10,30]   2000 m² (uncovered by the baseline)
//	R2 [-380,-280]×[0,40]  4000 m², covered whole by B's 300 m buffer (right side x = -270)
//	R3 [5000,5100]×[0,100] 10000 m², never covered
//	B  [-620,-570]×[0,40]  the baseline garden (2000 m²)
//
// so the baseline covers 4000 m² of 16000 and a 2000 m² garden at [0,50]×[0,40] adds R1's
// x ∈ [300,350], 1000 m² (the positive control). Each refused park sits at that place, so
// only the caliber's rule keeps it from adding those 1000 m²; the out-of-reach park is a
// counted garden 20 km away from every parcel.
func TestParkVerdicts(t *testing.T) {
	ctx := context.Background()
	snap := &coverage.Snapshot{CityID: 1, City: "t", CityName: "T", MetricSRID: 4546,
		Parks:   []coverage.Park{garden(1, -620, 0, -570, 40)},
		Parcels: []coverage.Parcel{parcel(1, 100, 300, 10, 400, 30), parcel(2, 400, -380, 0, -280, 40), parcel(3, 1000, 5000, 0, 5100, 100)}}
	gbt50563 := mustCaliber(t, "gbt50563-2010")
	// GB 55014's rule with pocket parks excluded: no builtin caliber counts gardens but no
	// pocket parks (the table allows a pocket park only as a garden).
	noPocket := mustCaliber(t, "gb55014-2021")
	noPocket.PocketParks = false
	withPark := func(p coverage.Park) coverage.Park { p.ID = -1; return p }
	at := garden(0, 0, 0, 50, 40) // 2000 m²: GB/T 50563's 300 m band
	square := withPark(at)
	square.Class = caliber.Square
	closed := withPark(at)
	closed.OpenStatus = "closed"
	pocket := withPark(at)
	pocket.Pocket = true
	small := withPark(garden(0, 0, 0, 50, 30)) // 1500 m² < 2000 m², not historic
	far := withPark(garden(0, 20000, 20000, 20050, 20040))
	cases := []struct {
		name    string
		cal     caliber.Caliber
		park    coverage.Park
		counted bool
		reason  string
		covered float64 // worked on paper
	}{
		{"counted", gbt50563, withPark(at), true, "", 5000},
		{"class", gbt50563, square, false, caliber.NotCountedClass, 4000},
		{"status", gbt50563, closed, false, caliber.NotCountedStatus, 4000},
		{"pocket", noPocket, pocket, false, caliber.NotCountedPocket, 4000},
		{"too small", gbt50563, small, false, caliber.NotCountedTooSmall, 4000},
		{"out of reach", gbt50563, far, true, OutOfReach, 4000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := caliber.Buffer
			{
				base, err := NewBaseline(ctx, snap, tc.cal, method)
				if err != nil {
					t.Fatal(err)
				}
				inc, err := base.Apply(ctx, coverage.Changes{AddParks: []coverage.Park{tc.park}})
				if err != nil {
					t.Fatal(err)
				}
				changes := []Change{{N: 1, Layer: "parks", Op: OpAdd}}
				vs := parkVerdicts(tc.cal, inc.Res.Snapshot(), changes)
				if len(vs) != 1 {
					t.Fatalf("verdicts %+v, want one", vs)
				}
				v := vs[0]
				if v.Counted != tc.counted || v.Reason != tc.reason || v.ID != -1 || v.N != 1 {
					t.Errorf("verdict %+v, want counted %v reason %q", v, tc.counted, tc.reason)
				}
				// Independently of the incremental path: a full computation on the
				// snapshot with the park.
				full, err := coverage.Compute(ctx, inc.Res.Snapshot(), tc.cal, coverage.Options{Method: method})
				if err != nil {
					t.Fatal(err)
				}
				for name, got := range map[string]float64{"baseline": base.Res.CoveredM2, "scenario": inc.Res.CoveredM2, "full": full.CoveredM2} {
					want := tc.covered
					if name == "baseline" {
						want = 4000
					}
					if math.Abs(got-want) > 0.01 {
						t.Errorf("%s covered %.4f m², want %.0f", name, got, want)
					}
				}
				if tc.reason == caliber.NotCountedTooSmall && v.MinAreaM2 != 2000 {
					t.Errorf("min_area_m2 %v, want GB/T 50563's 2000 m²", v.MinAreaM2)
				}
				if tc.reason != "" && inc.Res.CoveredM2 != base.Res.CoveredM2 {
					t.Errorf("a park with reason %q changed the coverage: %.6f → %.6f", tc.reason, base.Res.CoveredM2, inc.Res.CoveredM2)
				}
			}
		})
	}
	// The answer's members, as the compare endpoint sends them.
	b, _ := json.Marshal(ParkVerdict{N: 2, Layer: "parks", Op: OpAdd, ID: -2, Reason: caliber.NotCountedClass, Class: caliber.Square, OpenStatus: "open", AreaM2: 2000})
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["counted"] != false || m["reason"] != "class" || m["n"] != float64(2) {
		t.Errorf("verdict JSON %s", b)
	}
}
