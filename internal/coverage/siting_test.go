package coverage

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
	geos "github.com/twpayne/go-geos"

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

// TestNetworkSiteBoundHolds: on a generated city under the network method, the bounds the
// greedy siting orders a candidate by before building its region hold: the coarse bound
// (whole gaps of the parcels near its reached network) ≥ the bound (their gaps cut into
// squares, counted where a square lies within the tolerance of the network: cellBound) ≥
// the gain of its region built in GEOS from every reached line (parkRegion: service area ∩
// reached network grown by the tolerance); the region the greedy builds from the runs of
// lines near those parcels only (regionOf) gains the same to 1e-6 m²; and the bound is
// below the straight-line score for some candidates.
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
		at := st.candidates()
		reach, err := st.reaches(ctx, st.siteParks(at))
		if err != nil {
			t.Fatal(err)
		}
		h := &candHeap{}
		if err := st.firstScores(ctx, h, at, reach); err != nil {
			t.Fatal(err)
		}
		tighter, n := 0, 0
		for _, it := range h.items {
			sa := st.serviceArea(it.at)
			line, _ := st.gain(sa)
			sa.Destroy()
			coarse := it.score
			one := &candHeap{items: []candItem{it}}
			if err := st.advance(ctx, one, reach, 0); err != nil {
				t.Fatal(err)
			}
			bound := 0.0
			if len(one.items) == 1 {
				bound = one.items[0].score
				if err := st.advance(ctx, one, reach, 0); err != nil {
					t.Fatal(err)
				}
			}
			filtered := 0.0
			if len(one.items) == 1 {
				filtered = one.items[0].score
				one.items[0].release()
			}
			p := sp.Park(0, "", it.at)
			reg, err := st.parkRegion(&p, sp.RadiusM)
			if err != nil {
				t.Fatal(err)
			}
			exact, _ := st.gain(reg)
			reg.Destroy()
			if exact > bound+1e-6 || bound > coarse+1e-6 || math.Abs(filtered-exact) > 1e-6 && exact > minScoreM2 {
				t.Errorf("%s: site at %v: region's gain %.6f (from the lines near: %.6f), bound %.6f, coarse %.6f, straight-line %.6f", id, it.at, exact, filtered, bound, coarse, line)
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

// TestLazyGreedyIsTheGreedy: on a generated city, under both methods, Sites picks what the
// plain greedy picks — every candidate's own cover built afresh each round (parkRegion from
// every reached line), its gain measured on the recomputed gap by a fresh siter, the
// highest taken, the site added with Apply — in the same order, with the same figures.
func TestLazyGreedyIsTheGreedy(t *testing.T) {
	snap := generateCity(11, 900, 12).Snapshot()
	ctx := context.Background()
	const n = 4
	for _, method := range []string{caliber.Buffer, caliber.Network} {
		res, err := Compute(ctx, snap, builtin(t, "gbt51346-2019"), Options{Method: method, Gaps: true})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := Sites(ctx, res, n, DefaultSiteAreaM2)
		if err != nil {
			t.Fatal(err)
		}
		sp := plan.Park
		st0, err := newSiter(res, sp)
		if err != nil {
			t.Fatal(err)
		}
		at := st0.candidates()
		st0.close()
		cur := res
		for round := range n {
			st, err := newSiter(cur, sp)
			if err != nil {
				t.Fatal(err)
			}
			best, bestAt := 0.0, orb.Point{}
			for _, p := range at {
				park := sp.Park(0, "", p)
				reg, err := st.parkRegion(&park, sp.RadiusM)
				if err != nil {
					t.Fatal(err)
				}
				g, _ := st.gain(reg)
				reg.Destroy()
				if g > best || g == best && (p[0] < bestAt[0] || p[0] == bestAt[0] && p[1] < bestAt[1]) {
					best, bestAt = g, p
				}
			}
			st.close()
			if best <= minScoreM2 {
				if len(plan.Sites) != round {
					t.Fatalf("%s: the plain greedy stops after %d sites, Sites gives %d", method, round, len(plan.Sites))
				}
				break
			}
			if round >= len(plan.Sites) || plan.Sites[round].At != bestAt {
				t.Fatalf("%s: round %d: the plain greedy picks %v (gain %.3f m²), Sites %v", method, round, bestAt, best, plan.Sites)
			}
			next, _, err := cur.Apply(ctx, Changes{AddParks: []Park{sp.Park(-int64(round+1), "", bestAt)}})
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Sites[round].CoverageAfter; math.Abs(got-next.Ratio()) > 1e-12 {
				t.Errorf("%s: round %d: coverage after %.12f, plain greedy %.12f", method, round, got, next.Ratio())
			}
			cur = next
		}
		t.Logf("%s: %d sites, coverage %.4f → %.4f", method, len(plan.Sites), res.Ratio(), cur.Ratio())
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

// TestGreedyMemoIsTheGreedy: the greedy answer a siting takes from the memo of its result
// (kept by an earlier call with more sites) is the one it chooses afresh: the same sites,
// gains and shares for fewer sites, and by population and by a band weight, which the memo
// does not hold but weighs from the kept figures.
func TestGreedyMemoIsTheGreedy(t *testing.T) {
	snap := generateCity(11, 900, 12).Snapshot()
	ctx := context.Background()
	res, err := Compute(ctx, snap, builtin(t, "tdt1063-walk5"), Options{Method: caliber.Network, Gaps: true})
	if err != nil {
		t.Fatal(err)
	}
	band := make([]float64, len(snap.Parcels))
	for i, p := range snap.Parcels {
		band[i] = p.Population * float64(1+i%3) / 7
	}
	memo := &greedyMemo{}
	if _, err := Optimize(ctx, res, SitingOptions{K: 6, SolveIn: time.Second, greedy: memo}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []SitingOptions{
		{K: 4, SolveIn: time.Second},
		{K: 6, SolveIn: time.Second, Weight: WeightPopulation},
		{K: 3, SolveIn: time.Second, Weight: WeightBand, BandWeights: band},
	} {
		fresh, err := Optimize(ctx, res, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := memo.get(DefaultSiteAreaM2, o.K); !ok {
			t.Fatalf("k %d: the memo holds no answer", o.K)
		}
		o.greedy = memo
		kept, err := Optimize(ctx, res, o)
		if err != nil {
			t.Fatal(err)
		}
		if kept.Best.Greedy != fresh.Best.Greedy || kept.Best.Predicted != fresh.Best.Predicted || len(kept.Best.Sites) != len(fresh.Best.Sites) {
			t.Fatalf("%s k %d: from the memo greedy %.12f predicted %.12f (%d sites), afresh %.12f %.12f (%d)", o.Weight, o.K,
				kept.Best.Greedy, kept.Best.Predicted, len(kept.Best.Sites), fresh.Best.Greedy, fresh.Best.Predicted, len(fresh.Best.Sites))
		}
		for k := range kept.Best.Sites {
			a, b := kept.Best.Sites[k], fresh.Best.Sites[k]
			if a.At != b.At || a.GainM2 != b.GainM2 || a.WeightShareAfter != b.WeightShareAfter || a.CoverageAfter != b.CoverageAfter {
				t.Errorf("%s k %d: site %d from the memo %+v, afresh %+v", o.Weight, o.K, k+1, a, b)
			}
		}
	}
}

// serviceArea (the tests' oracle) is the straight-line service area of a site at at: its
// square buffered by the radius (and cut by the barriers when the caliber has them), as
// Compute buffers a park.
func (st *siter) serviceArea(at orb.Point) *geos.Geom {
	p := st.sp.Park(0, "", at)
	return st.parkServiceArea(&p, st.sp.RadiusM)
}

// parkRegion (the tests' oracle: the region from every reached line) returns the land park
// p (counted at radius) covers on its own: its service area, and with the network method
// that area ∩ its reached network grown by the tolerance.
func (st *siter) parkRegion(p *Park, radius float64) (*geos.Geom, error) {
	sa := st.parkServiceArea(p, radius)
	if st.net == nil {
		return sa, nil
	}
	ls, err := st.reached(p, radius)
	if err != nil || len(ls) == 0 {
		sa.Destroy()
		if err != nil {
			return nil, err
		}
		return st.c.NewEmptyPolygon(), nil
	}
	return st.grown(mergeStraight(ls), sa), nil
}
