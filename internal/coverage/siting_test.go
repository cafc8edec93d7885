package coverage

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
)

// TestOptimizeNeverWorseThanGreedy: on a generated city, under two calibers and both
// methods and each weight, the best 5 parks predict at least what today's greedy sites
// (Sites) give, the proven bound is at least the instance's value, and each chosen site's
// figures after are those of the city rebuilt from scratch (Compute, not Apply) with the
// site's park and every earlier one. Each curve point needs no more parks than greedy.
func TestOptimizeNeverWorseThanGreedy(t *testing.T) {
	snap := generateCity(11, 900, 12).Snapshot()
	ctx := context.Background()
	for id, weight := range map[string]string{"tdt1063-walk5": WeightArea, "gbt51346-2019": WeightPopulation} {
		cal := builtin(t, id)
		for _, method := range []string{caliber.Buffer, caliber.Network} {
			t.Run(fmt.Sprint(id, "/", method, "/", weight), func(t *testing.T) {
				res, err := Compute(ctx, snap, cal, Options{Method: method, Gaps: true})
				if err != nil {
					t.Fatal(err)
				}
				out, err := Optimize(ctx, res, SitingOptions{K: 5, Weight: weight, SolveIn: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				b := out.Best
				plan, err := Sites(ctx, res, 5, 400)
				if err != nil {
					t.Fatal(err)
				}
				last := plan.Sites[len(plan.Sites)-1]
				greedy := last.CoverageAfter
				if weight == WeightPopulation {
					greedy = last.PopulationShareAfter
				}
				if b.Predicted < greedy-1e-12 || math.Abs(b.Greedy-greedy) > 1e-12 {
					t.Errorf("predicted %.6f, greedy (Sites) %.6f, recorded %.6f", b.Predicted, greedy, b.Greedy)
				}
				if !(b.Bound >= b.Model-1e-12) || len(b.Sites) != 5 {
					t.Errorf("bound %.6f below the model %.6f, or %d sites", b.Bound, b.Model, len(b.Sites))
				}
				var added []Park
				for i, s := range b.Sites {
					added = append(added, s.park(int64(1000+i)))
					after, err := Compute(ctx, snap.With(Changes{AddParks: added}), cal, Options{Method: method})
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(after.Ratio()-s.CoverageAfter) > 1e-9 || math.Abs(after.PopulationShare()-s.PopulationShareAfter) > 1e-9 {
						t.Errorf("after site %d: recomputed %.12f / %.12f, predicted %.12f / %.12f", i+1, after.Ratio(), after.PopulationShare(), s.CoverageAfter, s.PopulationShareAfter)
					}
				}
				for _, p := range out.Curve {
					if p.ParksHigh > p.Greedy || p.ParksLow > p.ParksHigh {
						t.Errorf("target %.2f: parks %d–%d, greedy %d", p.Target, p.ParksLow, p.ParksHigh, p.Greedy)
					}
				}
				t.Logf("now %.4f reachable %.4f; best 5: %.4f (model %.4f, bound %.4f, gap %.4f, optimal %v, %d nodes), greedy %.4f; %d candidates, %d elements, build %.0f ms solve %.0f ms; curve %+v",
					out.Now, out.Reachable, b.Predicted, b.Model, b.Bound, b.Gap, b.Optimal, b.Nodes, greedy, out.Candidates, out.Elements, out.BuildMS, out.SolveMS, out.Curve)
			})
		}
	}
}

// TestNetworkSiteBoundHolds: on a generated city under the network method, the bound the
// greedy siting orders a candidate by before walking it (networkBound) is at least the
// score the candidate gets once its region is built in GEOS (parkRegion: service area ∩
// reached network grown by the tolerance), so the lazy greedy picks what it picked with the
// straight-line bound; and it is tighter than the straight-line score for some candidates.
func TestNetworkSiteBoundHolds(t *testing.T) {
	snap := generateCity(11, 900, 12).Snapshot()
	ctx := context.Background()
	for _, id := range []string{"tdt1063-walk5", "gbt51346-2019"} {
		res, err := Compute(ctx, snap, builtin(t, id), Options{Method: caliber.Network, Gaps: true})
		if err != nil {
			t.Fatal(err)
		}
		sp, _, err := SiteModel(res.Caliber, DefaultSiteAreaM2)
		if err != nil {
			t.Fatal(err)
		}
		st, err := newSiter(res, sp)
		if err != nil {
			t.Fatal(err)
		}
		tighter, n := 0, 0
		for _, at := range st.candidates() {
			sa := st.serviceArea(at)
			var parts []gainPart
			line, _ := st.gainEach(sa, func(i int32, x float64) { parts = append(parts, gainPart{i, x}) })
			sa.Destroy()
			bound, err := st.networkBound(at, parts)
			if err != nil {
				t.Fatal(err)
			}
			p := sp.Park(0, "", at)
			reg, err := st.parkRegion(&p, sp.RadiusM)
			if err != nil {
				t.Fatal(err)
			}
			exact, _ := st.gain(reg)
			reg.Destroy()
			if exact > bound+1e-6 || bound > line+1e-6 {
				t.Errorf("%s: site at %v: region's gain %.6f, bound %.6f, straight-line %.6f", id, at, exact, bound, line)
			}
			if bound < line-1 {
				tighter++
			}
			n++
		}
		st.close()
		if tighter == 0 {
			t.Errorf("%s: the bound is the straight-line score for all %d candidates", id, n)
		}
		t.Logf("%s: %d of %d candidates with a bound below the straight-line score", id, tighter, n)
	}
}

// TestEvaluateTogetherIsOneByOne: under the network method, the share of a set of sites
// added at once (evaluateTogether, by which Optimize keeps the greedy answer) is the share
// after the last of them added one by one (evaluate), and the share of the city rebuilt from
// scratch with those parks (Compute), to 1e-9.
func TestEvaluateTogetherIsOneByOne(t *testing.T) {
	snap := generateCity(11, 900, 12).Snapshot()
	ctx := context.Background()
	cal := builtin(t, "tdt1063-walk5")
	res, err := Compute(ctx, snap, cal, Options{Method: caliber.Network, Gaps: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Sites(ctx, res, 6, DefaultSiteAreaM2)
	if err != nil {
		t.Fatal(err)
	}
	var cands []SitingSite
	var added []Park
	for k, s := range plan.Sites {
		c := SitingSite{Name: fmt.Sprint("s", k), Park: plan.Park, Site: Site{At: s.At}, Geom: square(s.At, plan.Park.SideM/2)}
		cands = append(cands, c)
		added = append(added, c.park(int64(5000+k)))
	}
	idx := []int{5, 2, 0, 4, 1, 3} // not the greedy order
	for _, weight := range []string{WeightArea, WeightPopulation} {
		w := siteWeigher(res, SitingOptions{Weight: weight})
		together, err := evaluateTogether(ctx, res, cands, idx, w)
		if err != nil {
			t.Fatal(err)
		}
		var ch SitingChoice
		if err := evaluate(ctx, res, cands, idx, w, &ch); err != nil {
			t.Fatal(err)
		}
		full, err := Compute(ctx, snap.With(Changes{AddParks: added}), cal, Options{Method: caliber.Network})
		if err != nil {
			t.Fatal(err)
		}
		want := full.Ratio()
		if weight == WeightPopulation {
			want = full.PopulationShare()
		}
		if math.Abs(together-ch.Predicted) > 1e-9 || math.Abs(together-want) > 1e-9 {
			t.Errorf("%s: together %.12f, one by one %.12f, from scratch %.12f", weight, together, ch.Predicted, want)
		}
		if !(want > w.covered(res)/w.total+1e-6) {
			t.Errorf("%s: the sites add nothing (%.6f)", weight, want)
		}
	}
}
