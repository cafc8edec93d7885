package coverage

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
)

// The greedy gains must not double-count: building the chosen sites as parks (a scenario
// over the baseline) and recomputing from scratch must give exactly the coverage the plan
// promised after each site.
func TestSitesGainsMatchARecomputation(t *testing.T) {
	snap := generateCity(11, 1500, 25).Snapshot()
	cal := caliber.Caliber{ID: "pocket-300", Title: "pocket parks count", Classes: []string{caliber.Comprehensive, caliber.Community, caliber.Garden},
		PocketParks: true, Bands: []caliber.Band{{MinAreaM2: 5000, RadiusM: 500}, {MinAreaM2: 400, RadiusM: 300}}}
	if err := cal.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer, Gaps: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Sites(ctx, res, 5, 400)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Sites) != 5 || plan.RadiusM != 300 || plan.SiteClass != caliber.Garden {
		t.Fatalf("plan: %+v", plan)
	}
	var added []Park
	for i, s := range plan.Sites {
		if i > 0 && s.GainM2 > plan.Sites[i-1].GainM2+1e-6 {
			t.Errorf("site %d gains more (%.1f) than site %d (%.1f): not greedy", i+1, s.GainM2, i, plan.Sites[i-1].GainM2)
		}
		p := park(int64(100000+i), caliber.Garden, rect(s.At[0]-10, s.At[1]-10, s.At[0]+10, s.At[1]+10))
		p.Pocket = true
		added = append(added, p)
		after, err := Compute(ctx, snap.With(Changes{AddParks: added}), cal, Options{Method: caliber.Buffer})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(after.Ratio()-s.CoverageAfter) > 1e-9 || math.Abs(after.PopulationShare()-s.PopulationShareAfter) > 1e-9 {
			t.Errorf("after site %d: recomputed %.9f / %.9f, plan says %.9f / %.9f", i+1, after.Ratio(), after.PopulationShare(), s.CoverageAfter, s.PopulationShareAfter)
		}
	}
	// A caliber that does not count 400 m² gardens sizes the sites up and says so.
	plan, err = Sites(ctx, mustCompute(t, snap, builtin(t, "gbt50563-2010")), 1, 400)
	if err != nil || plan.SiteAreaM2 != 2000 || plan.RadiusM != 300 || plan.Note == "" {
		t.Errorf("GB/T 50563 sites: %+v %v", plan, err)
	}
	_ = orb.Point{}
}

func mustCompute(t *testing.T, s *Snapshot, c caliber.Caliber) *Result {
	t.Helper()
	r, err := Compute(context.Background(), s, c, Options{Method: caliber.Buffer, Gaps: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
