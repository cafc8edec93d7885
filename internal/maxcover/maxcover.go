// Package maxcover solves weighted maximum coverage (choose k sets covering the most
// element weight) and partial set cover (the fewest sets covering a given weight) exactly by
// best-first branch and bound over a Lagrangian bound, or, when stopped by a deadline or a
// node limit, reports the gap between the best answer found and the proven bound.
//
// It knows nothing of geometry: internal/coverage builds the instance from candidate park
// sites (docs/siting.md).
package maxcover

import (
	"container/heap"
	"context"
	"math"
	"slices"
	"sort"
	"time"
)

// Instance is a weighted coverage instance: element e weighs Weights[e] (≥ 0) and set j
// covers the elements Sets[j] (indexes into Weights, each once).
type Instance struct {
	Weights []float64
	Sets    [][]int32
}

// Value is the weight of the elements covered by the sets chosen.
func (in *Instance) Value(chosen []int) float64 {
	seen := make([]bool, len(in.Weights))
	var v float64
	for _, j := range chosen {
		for _, e := range in.Sets[j] {
			if !seen[e] {
				seen[e] = true
				v += in.Weights[e]
			}
		}
	}
	return v
}

// Reachable is the weight of the elements covered by at least one set: the most any number
// of sets can cover.
func (in *Instance) Reachable() float64 {
	all := make([]int, len(in.Sets))
	for j := range all {
		all[j] = j
	}
	return in.Value(all)
}

// Greedy extends from (kept first, in order) to k sets, each time adding the set that
// covers the most weight not yet covered (ties: the lower index), stopping early when no
// set adds weight. It returns the sets in the order chosen.
func Greedy(in *Instance, k int, from []int) []int {
	covered := make([]bool, len(in.Weights))
	out := append([]int(nil), from...)
	used := make([]bool, len(in.Sets))
	for _, j := range from {
		used[j] = true
		for _, e := range in.Sets[j] {
			covered[e] = true
		}
	}
	gain := func(j int) float64 {
		var g float64
		for _, e := range in.Sets[j] {
			if !covered[e] {
				g += in.Weights[e]
			}
		}
		return g
	}
	// Lazy evaluation: a set's gain only falls as sets are added.
	h := &gainHeap{}
	for j := range in.Sets {
		if !used[j] {
			if g := gain(j); g > 0 {
				h.items = append(h.items, gainItem{j, g})
			}
		}
	}
	heap.Init(h)
	for len(out) < k && h.Len() > 0 {
		top := heap.Pop(h).(gainItem)
		g := gain(top.j)
		if g <= 0 {
			continue
		}
		if h.Len() > 0 && g < h.items[0].g {
			heap.Push(h, gainItem{top.j, g})
			continue
		}
		out = append(out, top.j)
		for _, e := range in.Sets[top.j] {
			covered[e] = true
		}
	}
	return out
}

type gainItem struct {
	j int
	g float64
}

type gainHeap struct{ items []gainItem }

func (h *gainHeap) Len() int { return len(h.items) }
func (h *gainHeap) Less(a, b int) bool {
	if h.items[a].g != h.items[b].g {
		return h.items[a].g > h.items[b].g
	}
	return h.items[a].j < h.items[b].j
}
func (h *gainHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *gainHeap) Push(x any)    { h.items = append(h.items, x.(gainItem)) }
func (h *gainHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// Options bound a search.
type Options struct {
	// Deadline stops the search (zero: none); MaxNodes likewise (0: DefaultMaxNodes).
	Deadline time.Time
	MaxNodes int
	// Want, when above 0, asks only whether k sets can cover Want: the search stops at the
	// first answer that does and prunes every node whose bound is below it.
	Want float64
	// RootSteps are the subgradient steps at the root (0: 300); a node takes 30.
	RootSteps int
	// Stop, when set, stops the search as the deadline does once it returns true (checked
	// before each node), e.g. on the CPU time the search has used.
	Stop func() bool
}

// DefaultMaxNodes is the node limit of a search when Options.MaxNodes is 0.
const DefaultMaxNodes = 200000

// Result is the outcome of Solve.
type Result struct {
	// Chosen are the sets of the best answer found (never worse than the incumbent given),
	// covering Value.
	Chosen []int
	Value  float64
	// Bound is a proven upper bound on the weight any k sets cover (≥ Value): with
	// Optimal, Value itself (to the tolerance), else the best bound of the nodes left open.
	Bound float64
	// Optimal says the search finished: Value is the optimum or, with Want, Value reaches
	// Want or no k sets reach it (then Bound < Want).
	Optimal bool
	Nodes   int
}

// Gap is the relative optimality gap (Bound − Value)/Bound, 0 when Bound is 0.
func (r Result) Gap() float64 {
	if r.Bound <= 0 {
		return 0
	}
	return max(0, (r.Bound-r.Value)/r.Bound)
}

// Solve finds k sets covering the most weight, starting from incumbent (its sets, e.g. the
// greedy answer; nil: the greedy answer is used) so the answer is never worse.
//
// The bound at a node (sets forced in, sets forced out, r = k − |in| to pick) is the
// Lagrangian relaxation of the linking constraints y_e ≤ Σ_{j∋e} x_j of
//
//	max Σ w_e y_e  s.t.  y_e ≤ Σ_{j∋e} x_j,  Σ x_j ≤ r,  0 ≤ y ≤ 1,  x ∈ {0,1}
//
// with multipliers 0 ≤ λ_e ≤ w_e:  L(λ) = Σ_e (w_e − λ_e) + (sum of the r largest
// Σ_{e∈S_j} λ_e over free sets j), minimised by subgradient steps (Polyak's rule against the
// incumbent). The x-polytope {Σx ≤ r, 0 ≤ x ≤ 1} is integral, so min L(λ) equals the LP
// relaxation's value: the LP bound without a simplex. Each node also tries the sets the
// relaxation picks, and the greedy completion of its forced sets, as answers.
// Nodes are explored best bound first, so the open nodes' best bound is the global bound.
func Solve(ctx context.Context, in *Instance, k int, incumbent []int, opt Options) Result {
	s := newSearch(in, k, opt)
	if incumbent == nil {
		incumbent = Greedy(in, k, nil)
	}
	s.offer(incumbent)
	if s.done() {
		return s.result(math.Inf(-1), true)
	}
	open := &nodeHeap{}
	steps := opt.RootSteps
	if steps <= 0 {
		steps = 300
	}
	root := s.bound(nil, nil, steps)
	s.nodes++
	if s.branchable(root) {
		heap.Push(open, root)
	}
	for open.Len() > 0 {
		if s.done() {
			return s.result(math.Inf(-1), true)
		}
		if ctx.Err() != nil || s.nodes >= s.maxNodes || (!opt.Deadline.IsZero() && time.Now().After(opt.Deadline)) || opt.Stop != nil && opt.Stop() {
			return s.result(open.items[0].bound, false)
		}
		nd := heap.Pop(open).(*node)
		if !s.branchable(nd) { // the incumbent improved since it was pushed
			continue
		}
		j := nd.branch
		inc := s.bound(append(slices.Clip(nd.in), int32(j)), nd.out, 30)
		exc := s.bound(nd.in, append(slices.Clip(nd.out), int32(j)), 30)
		s.nodes += 2
		for _, c := range []*node{inc, exc} {
			if s.branchable(c) {
				heap.Push(open, c)
			}
		}
	}
	return s.result(math.Inf(-1), true)
}

type node struct {
	in, out []int32
	bound   float64
	branch  int // the free set to branch on; −1: a leaf
}

type nodeHeap struct{ items []*node }

func (h *nodeHeap) Len() int           { return len(h.items) }
func (h *nodeHeap) Less(a, b int) bool { return h.items[a].bound > h.items[b].bound }
func (h *nodeHeap) Swap(a, b int)      { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *nodeHeap) Push(x any)         { h.items = append(h.items, x.(*node)) }
func (h *nodeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

type search struct {
	in       *Instance
	k        int
	opt      Options
	maxNodes int
	tol      float64 // weights closer than this are equal
	lambda   []float64
	best     []int
	bestVal  float64
	nodes    int
	// pruned is the best bound of a node pruned for falling short of Want (but above the
	// incumbent): with Want, it bounds the answer too.
	pruned float64
	// scratch
	covered  []bool
	excluded []bool
	cost     []float64
	order    []int
}

func newSearch(in *Instance, k int, opt Options) *search {
	var total float64
	for _, w := range in.Weights {
		total += w
	}
	s := &search{in: in, k: k, opt: opt, maxNodes: opt.MaxNodes, tol: 1e-9 * max(total, 1e-300),
		lambda: slices.Clone(in.Weights), bestVal: math.Inf(-1), pruned: math.Inf(-1),
		covered: make([]bool, len(in.Weights)), excluded: make([]bool, len(in.Sets)), cost: make([]float64, len(in.Sets))}
	if s.maxNodes <= 0 {
		s.maxNodes = DefaultMaxNodes
	}
	return s
}

func (s *search) offer(chosen []int) {
	if len(chosen) > s.k {
		chosen = chosen[:s.k]
	}
	if v := s.in.Value(chosen); v > s.bestVal+s.tol || s.best == nil {
		s.best, s.bestVal = append([]int(nil), chosen...), v
	}
}

// done: with Want, an answer reaching it has been found.
func (s *search) done() bool { return s.opt.Want > 0 && s.bestVal >= s.opt.Want-s.tol }

// threshold is what a node's bound must exceed to be explored.
func (s *search) threshold() float64 {
	if s.opt.Want > 0 {
		return s.opt.Want - s.tol
	}
	return s.bestVal + s.tol
}

func (s *search) branchable(nd *node) bool {
	if nd.branch < 0 {
		return false
	}
	if s.opt.Want > 0 {
		if nd.bound < s.threshold() {
			s.pruned = max(s.pruned, nd.bound)
			return false
		}
		return true
	}
	return nd.bound > s.threshold()
}

func (s *search) result(open float64, finished bool) Result {
	r := Result{Chosen: s.best, Value: s.bestVal, Nodes: s.nodes}
	if r.Chosen == nil {
		r.Chosen = []int{}
	}
	r.Bound = max(r.Value, open)
	if s.opt.Want > 0 && !s.done() {
		r.Bound = max(r.Bound, s.pruned)
	}
	r.Optimal = finished
	if finished && s.opt.Want == 0 {
		r.Bound = r.Value
	}
	return r
}

// bound evaluates the node with sets in forced in and out forced out: its Lagrangian bound
// after iters subgradient steps (from the multipliers the last node left), the set to
// branch on, and the answers it suggests.
func (s *search) bound(in, out []int32, iters int) *node {
	nd := &node{in: in, out: out, branch: -1}
	clear(s.covered)
	clear(s.excluded)
	var fixed float64
	for _, j := range in {
		s.excluded[j] = true
		for _, e := range s.in.Sets[j] {
			if !s.covered[e] {
				s.covered[e] = true
				fixed += s.in.Weights[e]
			}
		}
	}
	for _, j := range out {
		s.excluded[j] = true
	}
	r := s.k - len(in)
	if r <= 0 {
		nd.bound = fixed
		s.offer(int32s(in))
		return nd
	}
	// The free sets that still cover something, and per element whether a free set covers it.
	var free []int
	reach := make([]bool, len(s.in.Weights))
	for j, set := range s.in.Sets {
		if s.excluded[j] {
			continue
		}
		any := false
		for _, e := range set {
			if !s.covered[e] && s.in.Weights[e] > 0 {
				reach[e], any = true, true
			}
		}
		if any {
			free = append(free, j)
		}
	}
	if len(free) == 0 {
		nd.bound = fixed
		s.offer(int32s(in))
		return nd
	}
	lam := s.lambda
	eval := func() (float64, []int) {
		var base float64
		for e, w := range s.in.Weights {
			if reach[e] {
				base += w - lam[e]
			}
		}
		for _, j := range free {
			var c float64
			for _, e := range s.in.Sets[j] {
				if reach[e] {
					c += lam[e]
				}
			}
			s.cost[j] = c
		}
		top := s.topR(free, r)
		for _, j := range top {
			base += s.cost[j]
		}
		return fixed + base, top
	}
	bestL, bestTop := eval()
	bestLam := slices.Clone(lam)
	theta := 2.0
	stall := 0
	g := make([]float64, len(s.in.Weights))
	L, top := bestL, bestTop
	for it := 0; it < iters; it++ {
		// Subgradient of L at λ: (sets picked covering e) − y_e, y_e = 1 where w_e > λ_e.
		for e := range g {
			g[e] = 0
			if reach[e] && s.in.Weights[e] > lam[e] {
				g[e] = -1
			}
		}
		for _, j := range top {
			for _, e := range s.in.Sets[j] {
				if reach[e] {
					g[e]++
				}
			}
		}
		var norm float64
		for e := range g {
			if reach[e] {
				// Projected: a step that would leave [0, w_e] does not count.
				if (lam[e] <= 0 && g[e] > 0) || (lam[e] >= s.in.Weights[e] && g[e] < 0) {
					g[e] = 0
				}
				norm += g[e] * g[e]
			}
		}
		lb := max(s.bestVal, 0)
		if s.opt.Want > 0 {
			lb = max(lb, s.opt.Want)
		}
		if norm == 0 || L-lb <= s.tol {
			break
		}
		t := theta * (L - lb) / norm
		for e := range g {
			if reach[e] && g[e] != 0 {
				lam[e] = min(max(lam[e]-t*g[e], 0), s.in.Weights[e])
			}
		}
		L, top = eval()
		if L < bestL-s.tol {
			bestL, bestTop = L, top
			copy(bestLam, lam)
			stall = 0
		} else if stall++; stall >= 5 {
			theta /= 2
			stall = 0
		}
	}
	copy(s.lambda, bestLam)
	nd.bound = bestL
	// Answers: the sets the relaxation picks, and the greedy completion.
	base := int32s(in)
	s.offer(append(slices.Clone(base), bestTop...))
	s.offer(Greedy(s.in, s.k, base))
	// Branch on the picked set of largest Lagrangian cost (it matters most to the bound).
	for _, j := range bestTop {
		if nd.branch < 0 || s.cost[j] > s.cost[nd.branch] {
			nd.branch = j
		}
	}
	if nd.branch < 0 {
		nd.branch = free[0]
	}
	return nd
}

// topR returns the (at most r) free sets of largest positive cost.
func (s *search) topR(free []int, r int) []int {
	s.order = append(s.order[:0], free...)
	sort.Slice(s.order, func(a, b int) bool {
		ca, cb := s.cost[s.order[a]], s.cost[s.order[b]]
		if ca != cb {
			return ca > cb
		}
		return s.order[a] < s.order[b]
	})
	var out []int
	for _, j := range s.order {
		if len(out) == r || s.cost[j] <= 0 {
			break
		}
		out = append(out, j)
	}
	return out
}

func int32s(xs []int32) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	return out
}
