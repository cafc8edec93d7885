package coverage

import (
	"context"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/seed"
)

// BenchmarkSitingDemoScale1 times the optimal siting on the demo city at scale 1 (seeded
// into a scratch database) under GB/T 51346-2019 (the demo city's default caliber) and
// TD/T 1063 walk-5, both methods: the best 10 parks and the curve at 90/95/100 %, 8 s of
// branch and bound. It reports the solve time (branch and bound only), the instance build
// time, the best 10's gap (0 when proven optimal) and its gain over the greedy sites.
func BenchmarkSitingDemoScale1(b *testing.B) {
	pool := newDB(b)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, pool, 1); err != nil {
		b.Fatal(err)
	}
	snap, err := Store{Pool: pool}.Load(ctx, "baotou")
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range []string{"gbt51346-2019", "tdt1063-walk5"} {
		cal := builtin(b, id)
		for _, method := range []string{caliber.Buffer, caliber.Network} {
			res, err := Compute(ctx, snap, cal, Options{Method: method, Gaps: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(id+"/"+method, func(b *testing.B) {
				var out *Siting
				for b.Loop() {
					if out, err = Optimize(ctx, res, SitingOptions{K: 10, SolveIn: 8 * time.Second}); err != nil {
						b.Fatal(err)
					}
				}
				best := out.Best
				b.ReportMetric(out.SolveMS, "solve_ms")
				b.ReportMetric(out.BuildMS, "build_ms")
				b.ReportMetric(100*best.Gap, "gap_%")
				b.ReportMetric(100*(best.Predicted-best.Greedy), "over_greedy_pp")
				b.Logf("%d parcels, %d candidates, %d elements (%.0f m); now %.4f, reachable %.4f; best 10: predicted %.4f greedy %.4f model %.4f bound %.4f gap %.4f optimal %v nodes %d kept greedy %v",
					len(snap.Parcels), out.Candidates, out.Elements, out.SampleM, out.Now, out.Reachable, best.Predicted, best.Greedy, best.Model, best.Bound, best.Gap, best.Optimal, best.Nodes, best.KeptGreedy)
				for _, p := range out.Curve {
					b.Logf("target %.2f (share %.4f, capped %v): parks %d–%d (greedy %d), optimal %v", p.Target, p.Share, p.Capped, p.ParksLow, p.ParksHigh, p.Greedy, p.Optimal)
				}
			})
		}
	}
}
