package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
)

// The park a site stands for under each built-in caliber, worked from builtin.json by
// hand: a 400 m² pocket 游园 where the caliber counts one, else the smallest size it counts
// (GB/T 50563 and GB 55014: 2000 m² at 300 m; WHO: 5000 m²), and a 社区公园 under GB/T 51346,
// which counts no 游园 at all. The side is √area + 1 mm.
func TestSiteModel(t *testing.T) {
	for _, c := range []struct {
		cal    string
		class  string
		pocket bool
		area   float64
		radius float64
		note   bool
	}{
		{"gbt50563-2010", caliber.Garden, true, 2000, 300, true},
		{"gbt51346-2019", caliber.Community, false, 400, 500, true},
		{"gb55014-2021", caliber.Garden, true, 2000, 300, true},
		{"tdt1063-walk5", caliber.Garden, true, 400, 300, false},
		{"who-300m", caliber.Garden, true, 5000, 300, true},
		{"tpl-10min", caliber.Garden, true, 400, 805, false},
		{"tijian2023-site400", caliber.Garden, true, 400, 300, false},
	} {
		sp, note, err := SiteModel(builtin(t, c.cal), 400)
		side := math.Sqrt(c.area) + 0.001
		if err != nil || sp.Class != c.class || sp.Pocket != c.pocket || sp.RadiusM != c.radius || sp.OpenStatus != "open" ||
			math.Abs(sp.SideM-side) > 1e-12 || math.Abs(sp.AreaM2-side*side) > 1e-9 || (note != "") != c.note {
			t.Errorf("%s: %+v %q %v; want %s pocket=%v %.0f m² at %.0f m", c.cal, sp, note, err, c.class, c.pocket, c.area, c.radius)
		}
		if sp.Pocket && sp.Class != caliber.Garden {
			t.Errorf("%s: a pocket %s breaks parks_pocket_is_garden", c.cal, sp.Class)
		}
	}
	for _, a := range []float64{399, 10001, math.NaN()} {
		if _, _, err := SiteModel(builtin(t, "tdt1063-walk5"), a); !errors.Is(err, ErrSiteArea) {
			t.Errorf("site area %v: %v, want ErrSiteArea", a, err)
		}
	}
	big := caliber.Caliber{ID: "big-parks", Title: "big", Classes: []string{caliber.Comprehensive, caliber.Garden}, Bands: []caliber.Band{{MinAreaM2: 20000, RadiusM: 800}}}
	if err := big.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SiteModel(big, 400); !errors.Is(err, ErrNoSiteSize) {
		t.Errorf("a caliber counting parks of 2 ha and up: %v, want ErrNoSiteSize", err)
	}
}

// Every site's predicted figures are those of the city rebuilt from scratch (Compute, not
// the incremental recomputation Sites uses) with the site's park and every earlier one, under
// every built-in caliber and both methods.
func TestSitesMatchAFullRecomputation(t *testing.T) {
	snap := generateCity(11, 900, 12).Snapshot()
	ctx := context.Background()
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, cal := range reg.List() {
		for _, method := range []string{caliber.Buffer, caliber.Network} {
			t.Run(cal.ID+"/"+method, func(t *testing.T) {
				res, err := Compute(ctx, snap, cal, Options{Method: method, Gaps: true})
				if err != nil {
					t.Fatal(err)
				}
				plan, err := Sites(ctx, res, 5, 400)
				if err != nil {
					t.Fatal(err)
				}
				if len(plan.Sites) != 5 || plan.Method != method || plan.Caliber != cal.ID {
					t.Fatalf("plan: %d sites under %s/%s (coverage %.4f)", len(plan.Sites), plan.Caliber, plan.Method, res.Ratio())
				}
				var added []Park
				prev := res.Ratio()
				for i, s := range plan.Sites {
					added = append(added, plan.Park.Park(int64(1000+i), fmt.Sprint("site ", i+1), s.At))
					after, err := Compute(ctx, snap.With(Changes{AddParks: added}), cal, Options{Method: method})
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(after.Ratio()-s.CoverageAfter) > 1e-9 || math.Abs(after.PopulationShare()-s.PopulationShareAfter) > 1e-9 {
						t.Errorf("after site %d: recomputed %.12f / %.12f, plan says %.12f / %.12f", i+1, after.Ratio(), after.PopulationShare(), s.CoverageAfter, s.PopulationShareAfter)
					}
					if !(s.GainM2 > 0) || math.Abs(s.CoverageAfter-prev-s.GainM2/res.TotalM2) > 1e-12 {
						t.Errorf("site %d gains %.3f m²: coverage %.9f → %.9f", i+1, s.GainM2, prev, s.CoverageAfter)
					}
					if method == caliber.Buffer && i > 0 && s.GainM2 > plan.Sites[i-1].GainM2+1e-6 {
						t.Errorf("site %d gains more (%.1f) than site %d (%.1f): not greedy", i+1, s.GainM2, i, plan.Sites[i-1].GainM2)
					}
					prev = s.CoverageAfter
				}
			})
		}
	}
}

// TestSitesWithBarriers: with a caliber's barriers on, the sites' gains are those of their
// cut service areas: on a generated city crossed by two straight barrier lines (one with
// a crossing's gap), each site's coverage after equals a full Compute with the sites'
// parks to 1e-9, under both methods, and the barriers cost coverage.
func TestSitesWithBarriers(t *testing.T) {
	g := generateCity(11, 900, 12)
	snap := g.Snapshot()
	o, span := g.Origin, float64(g.Cols)*g.Pitch
	snap.Barriers = []orb.LineString{
		{orb.Point{o[0] + 0.37*span, o[1] - 100}, orb.Point{o[0] + 0.41*span, o[1] + span + 100}},
		{orb.Point{o[0] - 100, o[1] + 0.6*span}, orb.Point{o[0] + 0.5*span, o[1] + 0.6*span}},
		{orb.Point{o[0] + 0.5*span + 2, o[1] + 0.6*span}, orb.Point{o[0] + span + 100, o[1] + 0.63*span}},
	}
	ctx := context.Background()
	cal := builtin(t, "gbt51346-2019")
	plain, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer})
	if err != nil {
		t.Fatal(err)
	}
	cal.Barriers = true
	for _, method := range []string{caliber.Buffer, caliber.Network} {
		res, err := Compute(ctx, snap, cal, Options{Method: method, Gaps: true})
		if err != nil {
			t.Fatal(err)
		}
		if method == caliber.Buffer && !(res.CoveredM2 < plain.CoveredM2) {
			t.Errorf("barriers should cut coverage: %.1f vs %.1f m²", res.CoveredM2, plain.CoveredM2)
		}
		plan, err := Sites(ctx, res, 5, 400)
		if err != nil {
			t.Fatal(err)
		}
		var added []Park
		for i, s := range plan.Sites {
			added = append(added, plan.Park.Park(int64(1000+i), fmt.Sprint("site ", i+1), s.At))
			after, err := Compute(ctx, snap.With(Changes{AddParks: added}), cal, Options{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(after.Ratio()-s.CoverageAfter) > 1e-9 {
				t.Errorf("%s, after site %d: recomputed %.12f, plan says %.12f", method, i+1, after.Ratio(), s.CoverageAfter)
			}
		}
		t.Logf("%s: %.4f %% with barriers (%.4f %% without, buffer), %d sites", method, 100*res.Ratio(), 100*plain.Ratio(), len(plan.Sites))
	}
}
