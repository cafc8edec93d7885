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
