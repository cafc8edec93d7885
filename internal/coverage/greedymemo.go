package coverage

import (
	"sync"
)

// The greedy answer (Sites) depends only on the result it starts from and the site area,
// and the first n of its sites are those it gives for any larger n. Optimize weighs it
// for the never-worse check on every call; the siting service keeps it per kept result
// (greedyMemos), so a repeated siting on unchanged data does not choose it again. A new
// data version is a new result, and so a new memo.

// greedyStep is what Optimize reads of the result after a greedy site: the figures
// weigher.coveredBy weighs.
type greedyStep struct {
	coveredM2, coveredPop float64
	covered               []float64 // per parcel, for weight band
}

// greedyRun is the greedy answer for up to asked sites (fewer when no candidate gains).
type greedyRun struct {
	plan  *SitePlan
	steps []greedyStep
	asked int
}

// greedyMemo keeps the greedy runs of one result by site area.
type greedyMemo struct {
	mu   sync.Mutex
	runs map[float64]*greedyRun
}

// get returns the first n sites of a kept run (and their steps), or false.
func (m *greedyMemo) get(area float64, n int) (*SitePlan, []greedyStep, bool) {
	if m == nil {
		return nil, nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[area]
	if !ok || r.asked < n && len(r.plan.Sites) == r.asked {
		return nil, nil, false
	}
	k := min(n, len(r.plan.Sites))
	plan := *r.plan
	plan.Sites = plan.Sites[:k:k]
	return &plan, r.steps[:k:k], true
}

// put keeps a run unless a longer one is kept.
func (m *greedyMemo) put(area float64, r *greedyRun) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.runs[area]; ok && old.asked >= r.asked {
		return
	}
	if m.runs == nil {
		m.runs = map[float64]*greedyRun{}
	}
	m.runs[area] = r
}

// maxGreedyMemos is how many results' greedy runs the service keeps (the newest).
const maxGreedyMemos = 4

// greedyMemos are the memos of the service's latest results.
type greedyMemos struct {
	mu    sync.Mutex
	order []*Result
	memo  map[*Result]*greedyMemo
}

// of returns res's memo, made when first asked for; the oldest is dropped beyond
// maxGreedyMemos.
func (g *greedyMemos) of(res *Result) *greedyMemo {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m, ok := g.memo[res]; ok {
		return m
	}
	if g.memo == nil {
		g.memo = map[*Result]*greedyMemo{}
	}
	if len(g.order) >= maxGreedyMemos {
		delete(g.memo, g.order[0])
		g.order = g.order[1:]
	}
	m := &greedyMemo{}
	g.memo[res], g.order = m, append(g.order, res)
	return m
}
