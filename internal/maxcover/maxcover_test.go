package maxcover

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// trap is a hand-built instance on which greedy is suboptimal. Elements a1 a2 a3 b1 b2 b3
// weigh 2, c weighs 1. X = {a1 a2 a3} (6), Y = {b1 b2 b3} (6), Z = {a1 a2 b1 b2 c} (9).
// Greedy takes Z (9), then X or Y adds 2: 11. Worked by hand: the best two sets are X and
// Y, 12; covering 12 needs two sets (X, Y) where greedy takes three; covering all 13 needs
// all three (c is only in Z, and Z leaves a3 and b3).
func trap() *Instance {
	return &Instance{
		Weights: []float64{2, 2, 2, 2, 2, 2, 1},
		Sets:    [][]int32{{0, 1, 2}, {3, 4, 5}, {0, 1, 3, 4, 6}},
	}
}

func TestTrapMaxCoverage(t *testing.T) {
	in := trap()
	g := Greedy(in, 2, nil)
	if v := in.Value(g); v != 11 || g[0] != 2 {
		t.Fatalf("greedy: %v covering %v, want Z first and 11", g, v)
	}
	r := Solve(context.Background(), in, 2, g, Options{})
	if r.Value != 12 || !r.Optimal || math.Abs(r.Bound-12) > 1e-9 || r.Gap() != 0 {
		t.Fatalf("solve: %+v, want 12, optimal, bound 12", r)
	}
	if !((r.Chosen[0] == 0 && r.Chosen[1] == 1) || (r.Chosen[0] == 1 && r.Chosen[1] == 0)) {
		t.Errorf("chosen %v, want X and Y", r.Chosen)
	}
	// The root bound alone certifies it: the LP relaxation's optimum is 12 too (worked:
	// x_X = x_Y = 1 gives 12; spreading x over the three sets, e.g. ⅔ each, gives 11⅓).
	root := Solve(context.Background(), in, 2, g, Options{MaxNodes: 1})
	if !(root.Bound >= 12-1e-9) || root.Value != 12 {
		t.Errorf("root: %+v, want value 12 and a bound ≥ 12", root)
	}
}

func TestTrapMinCount(t *testing.T) {
	in := trap()
	c := MinCount(context.Background(), in, 12, Options{Deadline: noDeadline})
	if c.Upper != 2 || c.Lower != 2 || !c.Optimal || c.Value != 12 {
		t.Errorf("cover 12: %+v, want 2 sets (greedy needs 3), proven", c)
	}
	c = MinCount(context.Background(), in, 13, Options{Deadline: noDeadline})
	if c.Upper != 3 || !c.Optimal || c.Value != 13 {
		t.Errorf("cover 13: %+v, want all 3 sets, proven", c)
	}
	if c := MinCount(context.Background(), in, 14, Options{Deadline: noDeadline}); c.Reachable || len(c.Chosen) != 0 {
		t.Errorf("cover 14 of 13: %+v, want unreachable", c)
	}
}

// TestAgainstBruteForce: on random instances, Solve's answer is never worse than greedy's,
// its bound is at least the optimum found by enumerating every k-subset, and a finished
// search equals that optimum; a root-only search still bounds it. MinCount's count equals
// the fewest sets found by enumeration.
func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 5))
	for trial := range 300 {
		in := randomInstance(rng)
		k := 1 + rng.IntN(4)
		opt := brute(in, k)
		g := Greedy(in, k, nil)
		r := Solve(context.Background(), in, k, g, Options{})
		tol := 1e-9 * (1 + in.Reachable())
		if r.Value < in.Value(g)-tol {
			t.Fatalf("trial %d: %v below greedy %v", trial, r.Value, in.Value(g))
		}
		if math.Abs(in.Value(r.Chosen)-r.Value) > tol || len(r.Chosen) > k {
			t.Fatalf("trial %d: chosen %v covers %v, result says %v", trial, r.Chosen, in.Value(r.Chosen), r.Value)
		}
		if !r.Optimal || math.Abs(r.Value-opt) > tol || r.Bound < opt-tol {
			t.Fatalf("trial %d (k=%d): %+v, brute force %v", trial, k, r, opt)
		}
		root := Solve(context.Background(), in, k, g, Options{MaxNodes: 1})
		if root.Bound < opt-tol || root.Value > opt+tol || root.Value < in.Value(g)-tol {
			t.Fatalf("trial %d: root %+v does not bound %v", trial, root, opt)
		}
		// Partial cover of a random share of the reachable weight.
		want := in.Reachable() * (0.5 + 0.5*rng.Float64())
		c := MinCount(context.Background(), in, want, Options{Deadline: noDeadline})
		n := 1
		for ; n <= len(in.Sets) && brute(in, n) < want-tol; n++ {
		}
		if !c.Optimal || c.Upper != n || c.Value < want-tol || len(c.Chosen) != n {
			t.Fatalf("trial %d: cover %v: %+v, brute force needs %d", trial, want, c, n)
		}
	}
}

func randomInstance(rng *rand.Rand) *Instance {
	m, n := 4+rng.IntN(12), 3+rng.IntN(7)
	in := &Instance{Weights: make([]float64, m), Sets: make([][]int32, n)}
	for e := range in.Weights {
		in.Weights[e] = float64(1 + rng.IntN(9))
	}
	for j := range in.Sets {
		for e := range m {
			if rng.Float64() < 0.35 {
				in.Sets[j] = append(in.Sets[j], int32(e))
			}
		}
	}
	return in
}

// brute is the best weight k sets cover, by enumerating every subset of at most k sets.
func brute(in *Instance, k int) float64 {
	best := 0.0
	n := len(in.Sets)
	for mask := 0; mask < 1<<n; mask++ {
		var chosen []int
		for j := range n {
			if mask&(1<<j) != 0 {
				chosen = append(chosen, j)
			}
		}
		if len(chosen) <= k {
			best = max(best, in.Value(chosen))
		}
	}
	return best
}

var noDeadline = time.Time{}
