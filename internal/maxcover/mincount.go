package maxcover

import (
	"context"
	"sort"
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
	// Nodes are the branch-and-bound nodes the searches took.
	Nodes int
}

// MinCount finds the fewest sets covering at least want (partial set cover), starting from
// the greedy answer (Greedy until want is covered, less the sets the others make
// redundant), so it never needs more sets than greedy. The lower bound: k sets cannot reach
// want when the Lagrangian bound of Solve for k is below it (found by binary search on k);
// then k = Upper − 1, Upper − 2, … are searched for want (Options.Want) until opt's node
// budget (MaxNodes, over all of them; 0: DefaultMaxNodes), deadline or Stop ends it: an
// answer lowers Upper, a proof that k falls short raises Lower to k + 1, and an undecided
// k leaves the gap [Lower, Upper].
func MinCount(ctx context.Context, in *Instance, want float64, opt Options) Count {
	deadline := opt.Deadline
	budget := opt.MaxNodes
	if budget <= 0 {
		budget = DefaultMaxNodes
	}
	tol := 1e-9 * max(in.Reachable(), 1e-300)
	if want > in.Reachable()+tol {
		return Count{Chosen: []int{}}
	}
	if want <= tol {
		return Count{Chosen: []int{}, Reachable: true, Optimal: true}
	}
	greedy := Greedy(in, len(in.Sets), nil)
	up := GreedyCount(in, want-tol)
	out := Count{Chosen: dropRedundant(in, greedy[:up], want-tol), Lower: 1, Reachable: true}
	out.Upper, out.Value = len(out.Chosen), in.Value(out.Chosen)
	expired := func() bool {
		return ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) || opt.Stop != nil && opt.Stop()
	}
	// Lower bound: a k whose root bound is below want is proven short, and so is every
	// smaller k (the optimum only grows with k); binary search on the root bound.
	lo, hi := trivialLower(in, want-tol), out.Upper
	for lo < hi && !expired() {
		mid := (lo + hi) / 2
		r := Solve(ctx, in, mid, nil, Options{Want: want, MaxNodes: 1})
		out.Nodes += r.Nodes
		switch {
		case r.Value >= want-tol:
			out.Chosen, out.Value, out.Upper = dropRedundant(in, r.Chosen, want-tol), r.Value, len(r.Chosen)
			hi = min(mid, out.Upper)
		case r.Optimal:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	out.Lower = lo
	// Down from the answer: each k is searched until the deadline; a k proven short
	// raises the lower bound to k + 1 and ends the descent.
	for k := out.Upper - 1; k >= out.Lower && !expired() && out.Nodes < budget; k-- {
		r := Solve(ctx, in, k, nil, Options{Want: want, Deadline: deadline, MaxNodes: budget - out.Nodes, Stop: opt.Stop})
		out.Nodes += r.Nodes
		if r.Value >= want-tol {
			out.Chosen = dropRedundant(in, r.Chosen, want-tol)
			out.Value, out.Upper = in.Value(out.Chosen), len(out.Chosen)
			k = out.Upper
			continue
		}
		if r.Optimal {
			out.Lower = k + 1
		}
		break
	}
	out.Value = in.Value(out.Chosen)
	out.Optimal = out.Lower >= out.Upper
	if out.Optimal {
		out.Lower = out.Upper
	}
	return out
}

// GreedyCount is the number of sets Greedy takes to cover want (0 when want ≤ 0, the number
// of sets that add weight when want is beyond reach).
func GreedyCount(in *Instance, want float64) int {
	if want <= 0 {
		return 0
	}
	var v float64
	covered := make([]bool, len(in.Weights))
	g := Greedy(in, len(in.Sets), nil)
	for i, j := range g {
		for _, e := range in.Sets[j] {
			if !covered[e] {
				covered[e] = true
				v += in.Weights[e]
			}
		}
		if v >= want {
			return i + 1
		}
	}
	return len(g)
}

// dropRedundant removes, last chosen first, each set without which the others still cover
// want.
func dropRedundant(in *Instance, chosen []int, want float64) []int {
	out := append([]int(nil), chosen...)
	for i := len(out) - 1; i >= 0; i-- {
		rest := append(append([]int(nil), out[:i]...), out[i+1:]...)
		if in.Value(rest) >= want {
			out = rest
		}
	}
	return out
}

// trivialLower is the fewest sets whose weights (each counted whole) add up to want: no
// fewer sets can cover it. It holds when a search runs out of time before the bound does.
func trivialLower(in *Instance, want float64) int {
	ws := make([]float64, len(in.Sets))
	for j, set := range in.Sets {
		for _, e := range set {
			ws[j] += in.Weights[e]
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(ws)))
	var v float64
	for i, w := range ws {
		if v += w; v >= want {
			return i + 1
		}
	}
	return max(1, len(ws))
}
