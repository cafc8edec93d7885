package maxcover

import (
	"context"
	"time"
)

// Count is the outcome of MinCount.
type Count struct {
	// Chosen are the fewest sets found that cover the weight asked (Upper of them), and
	// Value the weight they cover.
	Chosen []int
	Value  float64
	// Lower is a proven lower bound on the number of sets needed, Upper the number found;
	// Optimal when they meet.
	Lower, Upper int
	Optimal      bool
	// Reachable is false when no number of sets covers the weight asked (Chosen is then
	// empty and Lower, Upper 0).
	Reachable bool
}

// MinCount finds the fewest sets covering at least want (partial set cover), starting from
// the greedy answer (Greedy until want is covered), so it never needs more sets than
// greedy. The lower bound: k sets cannot reach want when the Lagrangian bound of Solve for
// k is below it; every k from the bound up to greedy's count less one is then decided by a
// search for want (Options.Want) until the deadline; an undecided k stops the climb and the
// answer keeps the gap [Lower, Upper].
func MinCount(ctx context.Context, in *Instance, want float64, deadline time.Time) Count {
	tol := 1e-9 * max(in.Reachable(), 1e-300)
	if want > in.Reachable()+tol {
		return Count{Chosen: []int{}}
	}
	if want <= tol {
		return Count{Chosen: []int{}, Reachable: true, Optimal: true}
	}
	// The greedy count.
	greedy := Greedy(in, len(in.Sets), nil)
	var v float64
	covered := make([]bool, len(in.Weights))
	up := len(greedy)
	for i, j := range greedy {
		for _, e := range in.Sets[j] {
			if !covered[e] {
				covered[e] = true
				v += in.Weights[e]
			}
		}
		if v >= want-tol {
			up = i + 1
			break
		}
	}
	out := Count{Chosen: greedy[:up], Value: in.Value(greedy[:up]), Upper: up, Lower: 1, Reachable: true}
	for k := 1; k < out.Upper; k++ {
		if ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
			break
		}
		// The root bound alone first (no branching): most small k fall here.
		r := Solve(ctx, in, k, Greedy(in, k, nil), Options{Want: want, MaxNodes: 1})
		if r.Value >= want-tol {
			out.Chosen, out.Value, out.Upper = r.Chosen, r.Value, k
			break
		}
		if r.Optimal { // proven: k sets cannot reach want
			out.Lower = k + 1
			continue
		}
		r = Solve(ctx, in, k, r.Chosen, Options{Want: want, Deadline: deadline})
		if r.Value >= want-tol {
			out.Chosen, out.Value, out.Upper = r.Chosen, r.Value, k
			break
		}
		if !r.Optimal {
			break
		}
		out.Lower = k + 1
	}
	out.Optimal = out.Lower >= out.Upper
	if out.Optimal {
		out.Lower = out.Upper
	}
	return out
}
