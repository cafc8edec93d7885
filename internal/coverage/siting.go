package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/sync/errgroup"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/maxcover"
)

// What the optimal siting weighs the uncovered land by.
const (
	WeightArea       = "area"       // residential land, m² (the official ratio)
	WeightPopulation = "population" // residents, spread evenly over each parcel
	WeightBand       = "band"       // residents of age bands (SitingOptions.BandWeights)
)

// Siting limits: a best-k answer of at most MaxSitingK parks, at most MaxDrawnSites drawn
// candidates, and a solve time limit of at most MaxSitingTime.
const (
	MaxSitingK     = 200
	MaxDrawnSites  = 2000
	MaxSitingTime  = 60 * time.Second
	DefaultSolveIn = 8 * time.Second
)

// DefaultSitingTargets are the coverage targets of the cost–coverage curve.
var DefaultSitingTargets = []float64{0.9, 0.95, 1}

// DrawnSite is a candidate park a planner drew: its polygon in the city's metric CRS and,
// for the scenario change, as given in EPSG:4326 (GeoJSON). AreaM2 is the polygon's area
// as PostGIS measures the scenario's park (Store.ProjectSites).
type DrawnSite struct {
	Name     string
	Geom     orb.Polygon
	AreaM2   float64
	Geometry json.RawMessage
}

// SitingOptions ask Optimize for the best K parks and for the parks each target needs.
type SitingOptions struct {
	// K asks for the best K parks (maximum coverage); 0: only the curve.
	K int
	// Targets are the shares of the weight the curve asks parks for (default
	// DefaultSitingTargets); a target above what every candidate together reaches is
	// replaced by that reachable share.
	Targets []float64
	// Weight is WeightArea (default), WeightPopulation or WeightBand; BandWeights are then
	// each parcel's residents of the bands (Snapshot.Parcels order), Bands their codes.
	Weight      string
	BandWeights []float64
	Bands       []string
	// SiteAreaM2 sizes the generated candidates (SiteModel); ignored with Drawn.
	SiteAreaM2 float64
	// Drawn, when set, are the only candidates; otherwise the candidates are those Sites
	// scores (one per cell of half the radius, on the gap).
	Drawn []DrawnSite
	// SolveIn bounds the branch and bound (default DefaultSolveIn): the best K get 40 %,
	// the curve the rest.
	SolveIn time.Duration
	// SampleM is the spacing of the points the gap is sampled with (default: the radius
	// / 15, between 5 and 40 m).
	SampleM float64
	// greedy, when set, keeps the greedy answer of this result (Service.Siting).
	greedy *greedyMemo
}

// Siting is the outcome of Optimize.
type Siting struct {
	Caliber string   `json:"caliber"`
	Method  string   `json:"method"`
	Weight  string   `json:"weight"`
	Bands   []string `json:"bands,omitempty"`
	// Park is the park of a generated site (drawn sites carry their own).
	Park *SitePark `json:"park,omitempty"`
	Note string    `json:"note,omitempty"`
	// Source is "generated" or "drawn".
	Source     string `json:"source"`
	Candidates int    `json:"candidates"`
	// Elements are the distinct pieces of uncovered land the instance has (sample points
	// merged when the same candidates reach them); SampleM their spacing.
	Elements int     `json:"elements"`
	SampleM  float64 `json:"sample_m"`
	// Now is the share of the weight covered now; Reachable the share with every
	// candidate built (the sampled instance).
	Now       float64 `json:"now"`
	Reachable float64 `json:"reachable"`
	// Best is the best-K answer (nil without K).
	Best  *SitingChoice `json:"best,omitempty"`
	Curve []CurvePoint  `json:"curve"`
	// SolveMS is the time spent in the branch and bound (not in recomputing the chosen
	// sites' figures), BuildMS in building the instance.
	SolveMS float64 `json:"solve_ms"`
	BuildMS float64 `json:"build_ms"`
}

// SitingSite is one chosen park.
type SitingSite struct {
	Site
	Name string   `json:"name"`
	Park SitePark `json:"park"`
	// WeightShareAfter is the share of the weight covered once this and every earlier site
	// is built (CoverageAfter for WeightArea).
	WeightShareAfter float64 `json:"weight_share_after"`
	// Geom is the park's polygon (metric CRS); Geometry, for a drawn site, as given.
	Geom     orb.Polygon     `json:"-"`
	Geometry json.RawMessage `json:"geometry,omitempty"`
	// candidate is the index into the candidates.
	candidate int
}

// SitingChoice is the best K parks.
type SitingChoice struct {
	K     int          `json:"k"`
	Sites []SitingSite `json:"sites"`
	// Predicted is the share of the weight the sites cover, computed as the indicator
	// computes it (Result.Apply): what a scenario of these parks gives.
	Predicted float64 `json:"predicted"`
	// Model is the share the sampled instance gives the sites, Bound the proven upper
	// bound on any K candidates' share in that instance, Gap (Bound − Model) over the
	// bound's gain over Now; Optimal when the search proved Model the optimum.
	Model   float64 `json:"model"`
	Bound   float64 `json:"bound"`
	Gap     float64 `json:"gap"`
	Optimal bool    `json:"optimal"`
	Nodes   int     `json:"nodes"`
	// Greedy is today's greedy answer's predicted share (Sites, generated candidates), or
	// the greedy on the instance for drawn ones; KeptGreedy says it was not beaten and is
	// the answer.
	Greedy     float64 `json:"greedy"`
	KeptGreedy bool    `json:"kept_greedy"`
}

// CurvePoint is the number of parks one target needs.
type CurvePoint struct {
	Target float64 `json:"target"`
	// Share is the share asked: Target, or the reachable share when Target is beyond it
	// (Capped).
	Share  float64 `json:"share"`
	Capped bool    `json:"capped"`
	// ParksLow is a proven lower bound on the parks needed, ParksHigh the parks of the
	// answer found (Optimal when equal), Sites their candidates' indexes in Best order.
	ParksLow  int     `json:"parks_low"`
	ParksHigh int     `json:"parks_high"`
	Optimal   bool    `json:"optimal"`
	Model     float64 `json:"model"`
	// Greedy is the number of parks the greedy answer on the instance needs.
	Greedy int `json:"greedy"`
	// Nodes are the branch-and-bound nodes the point's searches took (at most
	// SitingOptions.CurveNodes after the bound's search).
	Nodes int   `json:"nodes"`
	Sites []int `json:"-"`
}

// Errors of Optimize's options.
var (
	ErrSitingWeight = errors.New("coverage: weight must be area, population or band")
	ErrSitingK      = fmt.Errorf("coverage: k must be from 0 to %d", MaxSitingK)
	ErrSitingTarget = errors.New("coverage: each target must be a share above 0 and at most 1")
	ErrDrawnArea    = fmt.Errorf("coverage: a drawn candidate must be a polygon of %d to %d m² (pocket parks, 2022 notice)", MinSiteAreaM2, MaxSiteAreaM2)
)

// Optimize chooses pocket-park sites on res (which must hold gaps) under res's caliber and
// method: the best K (maximum coverage) and, per target, the fewest parks reaching it
// (partial set cover), by branch and bound (internal/maxcover) on an instance built from
// the gap, started from the greedy answer and never worse than it (docs/siting.md).
//
// The instance: each candidate's own cover is the region Sites scores it by (its park's
// service area cut by the barriers, ∩ its reached network grown by the tolerance with the
// network method); the gap is sampled on a square grid of SampleM, every point inside a gap
// piece carrying an equal share of the piece's weight (a piece no point falls in is one
// point on its surface), and points reached by the same candidates are merged. The chosen
// sites' figures are not the instance's: they are added as parks and the coverage
// recomputed (Result.Apply), so Predicted is what a scenario of the parks gives.
func Optimize(ctx context.Context, res *Result, o SitingOptions) (*Siting, error) {
	if res.Gaps == nil {
		return nil, errors.New("coverage: Optimize needs a result computed with Options.Gaps")
	}
	if o.K < 0 || o.K > MaxSitingK {
		return nil, ErrSitingK
	}
	switch o.Weight {
	case "":
		o.Weight = WeightArea
	case WeightArea, WeightPopulation:
	case WeightBand:
		if len(o.BandWeights) != len(res.snapshot.Parcels) {
			return nil, errors.New("coverage: weight band needs BandWeights")
		}
	default:
		return nil, ErrSitingWeight
	}
	if o.Targets == nil {
		o.Targets = DefaultSitingTargets
	}
	for _, t := range o.Targets {
		if !(t > 0 && t <= 1) {
			return nil, ErrSitingTarget
		}
	}
	if o.SolveIn <= 0 {
		o.SolveIn = DefaultSolveIn
	}
	o.SolveIn = min(o.SolveIn, MaxSitingTime)
	if o.SiteAreaM2 == 0 {
		o.SiteAreaM2 = DefaultSiteAreaM2
	}
	built := time.Now()
	out := &Siting{Caliber: res.Caliber.ID, Method: res.Method, Weight: o.Weight, Bands: o.Bands, Source: "generated", Curve: []CurvePoint{}}
	// The generated sites' park, and the siter every candidate is scored with.
	sp, note, err := SiteModel(res.Caliber, o.SiteAreaM2)
	if err != nil && len(o.Drawn) == 0 {
		return nil, err
	}
	st, err := newSiter(res, sp)
	if err != nil {
		return nil, err
	}
	// The exact figures (Result.Apply) of today's greedy answer start once the candidates
	// are walked, beside the instance's build and the search; the chosen sites' start when
	// the search has chosen, beside what is left of the greedy's. The greedy works on st.
	ectx, cancel := context.WithCancel(ctx)
	eg, ectx := errgroup.WithContext(ectx)
	defer func() {
		cancel()
		_ = eg.Wait() // an early return lets no figuring outlive the call
		st.close()
	}()
	var greedy *SitingChoice
	var cands []SitingSite
	var at []orb.Point
	if len(o.Drawn) > 0 {
		out.Source = "drawn"
		cands, err = drawnCandidates(res, o.Drawn)
		if err != nil {
			return nil, err
		}
	} else {
		out.Park, out.Note = &sp, note
		at = st.candidates()
		for k, p := range at {
			cands = append(cands, SitingSite{Name: fmt.Sprintf("Pocket park site %d", k+1), Park: sp, Site: Site{At: p}, Geom: square(p, sp.SideM/2)})
		}
	}
	// What each candidate reaches: walked once, for the instance and the greedy.
	parks, radii := make([]Park, len(cands)), make([]float64, len(cands))
	for j := range cands {
		parks[j], radii[j] = cands[j].park(0), cands[j].Park.RadiusM
	}
	walks, err := st.reaches(ctx, parks, radii...)
	if err != nil {
		return nil, err
	}
	startGreedy := func(g []int) {
		oc, w := o, siteWeigher(res, o)
		eg.Go(func() (err error) {
			if len(oc.Drawn) > 0 {
				greedy = &SitingChoice{K: oc.K}
				return evaluate(ectx, res, cands, g, w, greedy)
			}
			greedy, err = greedySites(ectx, st, oc, note, at, walks, w)
			return err
		})
	}
	if o.K > 0 && len(o.Drawn) == 0 {
		startGreedy(nil) // Sites on the gap: independent of the instance
	}
	out.Candidates = len(cands)
	weigh := siteWeigher(res, o)
	W, now := weigh.total, weigh.covered(res)
	out.Now = ratio(now, W)
	if o.SampleM <= 0 {
		o.SampleM = min(max(st.sp.RadiusM/15, 5), 40)
		if len(o.Drawn) > 0 {
			o.SampleM = 20
		}
	}
	out.SampleM = o.SampleM
	inst, setOf, err := buildInstance(ctx, st, walks, weigh, o.SampleM)
	if err != nil {
		return nil, err
	}
	out.Elements = len(inst.Weights)
	out.BuildMS = ms(time.Since(built))
	reach := inst.Reachable()
	out.Reachable = ratio(now+reach, W)
	share := func(v float64) float64 { return ratio(now+v, W) }
	// Back from the instance's (deduplicated) sets to the candidates.
	back := func(js []int) []int {
		o := make([]int, len(js))
		for i, j := range js {
			o[i] = setOf[j]
		}
		return o
	}
	// The curve: its own search, beside the best K's and the figuring (see curve).
	curveIn := o.SolveIn - o.SolveIn*2/5
	if o.K == 0 {
		curveIn = o.SolveIn
	}
	var curveMS float64
	eg.Go(func() error {
		t0 := time.Now()
		var err error
		out.Curve, err = curve(ectx, inst, o.Targets, curveIn, now, W, out.Reachable, back)
		curveMS = ms(time.Since(t0))
		return err
	}) // the goroutine ends locked to its thread, which ends with it (curve)
	if o.K > 0 {
		start := time.Now()
		deadline := start.Add(o.SolveIn * 2 / 5)
		g := maxcover.Greedy(inst, o.K, nil)
		if len(o.Drawn) > 0 {
			startGreedy(back(g))
		}
		r := maxcover.Solve(ctx, inst, o.K, g, maxcover.Options{Deadline: deadline})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		best := &SitingChoice{K: o.K, Model: share(r.Value), Bound: share(r.Bound), Optimal: r.Optimal, Nodes: r.Nodes}
		if r.Bound > 0 {
			best.Gap = max(0, (r.Bound-r.Value)/r.Bound)
		}
		out.Best = best
		out.SolveMS = ms(time.Since(start))
		chosen := back(ordered(inst, r.Chosen))
		// With the network method (an Apply walks the city), first the chosen sites' share
		// all added at once (one Apply): when it is clearly below the greedy answer's, the
		// greedy answer is kept and the chosen sites' figures one by one are never needed.
		// With the buffer method (a cheap Apply) they are figured one by one at once.
		together, byOne := math.Inf(1), res.Method != caliber.Network
		eg.Go(func() (err error) {
			if byOne {
				return evaluate(ectx, res, cands, chosen, weigh, best)
			}
			together, err = evaluateTogether(ectx, res, cands, chosen, weigh)
			return err
		})
		if err := eg.Wait(); err != nil {
			return nil, err
		}
		// Today's greedy answer, figured the same way: the answer is never worse. Within
		// keptMargin of it, the chosen sites are figured one by one and compared as before.
		best.Greedy = greedy.Predicted
		if together < greedy.Predicted-keptMargin {
			best.Sites, best.Predicted, best.KeptGreedy = greedy.Sites, greedy.Predicted, true
		} else {
			if !byOne {
				if err := evaluate(ctx, res, cands, chosen, weigh, best); err != nil {
					return nil, err
				}
			}
			if greedy.Predicted > best.Predicted+1e-12 {
				best.Sites, best.Predicted, best.KeptGreedy = greedy.Sites, greedy.Predicted, true
			}
		}
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out.SolveMS += curveMS
	return out, nil
}

// curve is the cost–coverage curve: per target, the fewest parks reaching it (MinCount).
// It runs beside the best K's search and the figuring of the answers, on its own OS thread
// at a lower priority (yieldThread), and its time limit (curveIn, shared by the targets
// left) counts the CPU time that thread used, not the wall clock: what runs beside it, or
// a busy machine, does not cut its search short (on 2 cores a wall-clock limit cost the
// demo city's 95 % point its proof), and the figuring it would slow down goes first. A
// wall-clock limit of curveWallFactor × curveIn still ends it on a starved machine.
func curve(ctx context.Context, inst *maxcover.Instance, targets []float64, curveIn time.Duration, now, W, reachable float64, back func([]int) []int) ([]CurvePoint, error) {
	// The thread is never unlocked: it ends with the goroutine (Go then terminates it), so
	// its lowered priority goes with it.
	runtime.LockOSThread()
	yieldThread()
	t0 := time.Now()
	cpu0, onCPU := threadCPU()
	used := func() time.Duration {
		if onCPU {
			if c, ok := threadCPU(); ok {
				return c - cpu0
			}
		}
		return time.Since(t0)
	}
	wall := t0.Add(curveWallFactor * curveIn)
	reach := inst.Reachable()
	share := func(v float64) float64 { return ratio(now+v, W) }
	out := []CurvePoint{}
	for i, t := range targets {
		pt := CurvePoint{Target: t, Share: t}
		if t > reachable+1e-12 {
			pt.Share, pt.Capped = reachable, true
		}
		want := pt.Share*W - now
		if pt.Capped {
			want = reach
			if i > 0 && out[i-1].Capped { // the same question
				prev := out[i-1]
				prev.Target = t
				out = append(out, prev)
				continue
			}
		}
		from, limit := used(), max(curveIn-used(), 0)/time.Duration(len(targets)-i)
		stop := func() bool { return used()-from >= limit }
		c := maxcover.MinCount(ctx, inst, want*(1-1e-12), maxcover.Options{Deadline: wall, Stop: stop})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pt.ParksLow, pt.ParksHigh, pt.Optimal, pt.Model, pt.Nodes = c.Lower, c.Upper, c.Optimal, share(c.Value), c.Nodes
		pt.Sites = back(ordered(inst, c.Chosen))
		pt.Greedy = maxcover.GreedyCount(inst, want*(1-1e-12))
		if want <= 0 {
			pt.ParksLow, pt.ParksHigh, pt.Optimal, pt.Model, pt.Sites = 0, 0, true, share(0), nil
		}
		out = append(out, pt)
	}
	return out, nil
}

// curveWallFactor × the curve's CPU time limit is its wall-clock limit.
const curveWallFactor = 4

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// ordered puts chosen in the order greedy would build them (largest gain first), so each
// site's figures after are the best prefix.
func ordered(inst *maxcover.Instance, chosen []int) []int {
	sub := &maxcover.Instance{Weights: inst.Weights, Sets: make([][]int32, len(chosen))}
	for i, j := range chosen {
		sub.Sets[i] = inst.Sets[j]
	}
	idx := maxcover.Greedy(sub, len(chosen), nil)
	out := make([]int, 0, len(chosen))
	used := make([]bool, len(chosen))
	for _, i := range idx {
		out, used[i] = append(out, chosen[i]), true
	}
	for i, j := range chosen { // sets that add nothing after the others, last
		if !used[i] {
			out = append(out, j)
		}
	}
	return out
}

// weigher turns the per-parcel figures into the siting's weight.
type weigher struct {
	res    *Result
	weight string
	band   []float64
	total  float64
}

func siteWeigher(res *Result, o SitingOptions) weigher {
	w := weigher{res: res, weight: o.Weight, band: o.BandWeights}
	switch o.Weight {
	case WeightPopulation:
		w.total = res.Population
	case WeightBand:
		for _, b := range o.BandWeights {
			w.total += b
		}
	default:
		w.total = res.TotalM2
	}
	return w
}

// density is parcel i's weight per m².
func (w weigher) density(i int) float64 {
	p := &w.res.snapshot.Parcels[i]
	switch w.weight {
	case WeightPopulation:
		return ratio(p.Population, p.AreaM2)
	case WeightBand:
		return ratio(w.band[i], p.AreaM2)
	}
	return 1
}

// covered is the weight r covers (r on the same parcels as w.res).
func (w weigher) covered(r *Result) float64 {
	switch w.weight {
	case WeightPopulation:
		return r.CoveredPopulation
	case WeightBand:
		var c float64
		for i := range r.snapshot.Parcels {
			c += w.band[i] * ratio(r.Covered[i], r.snapshot.Parcels[i].AreaM2)
		}
		return c
	}
	return r.CoveredM2
}

// coveredBy is covered of the result a greedy step stands for.
func (w weigher) coveredBy(s greedyStep) float64 {
	switch w.weight {
	case WeightPopulation:
		return s.coveredPop
	case WeightBand:
		var c float64
		for i := range w.res.snapshot.Parcels {
			c += w.band[i] * ratio(s.covered[i], w.res.snapshot.Parcels[i].AreaM2)
		}
		return c
	}
	return s.coveredM2
}

// drawnCandidates checks the drawn sites and gives each its park under res's caliber.
func drawnCandidates(res *Result, drawn []DrawnSite) ([]SitingSite, error) {
	if len(drawn) > MaxDrawnSites {
		return nil, fmt.Errorf("coverage: at most %d drawn candidates", MaxDrawnSites)
	}
	out := make([]SitingSite, len(drawn))
	for k, d := range drawn {
		if !(d.AreaM2 >= MinSiteAreaM2 && d.AreaM2 <= MaxSiteAreaM2) || len(d.Geom) == 0 {
			return nil, fmt.Errorf("%w: candidate %d is %.0f m²", ErrDrawnArea, k+1, d.AreaM2)
		}
		sp, ok := countedPark(res.Caliber, d.AreaM2)
		if !ok {
			return nil, fmt.Errorf("%w: candidate %d (%.0f m²)", ErrNoSiteSize, k+1, d.AreaM2)
		}
		sp.SideM = math.Sqrt(d.AreaM2)
		at, _ := pointOnSurface(orb.MultiPolygon{d.Geom})
		name := d.Name
		if name == "" {
			name = fmt.Sprintf("Candidate %d", k+1)
		}
		out[k] = SitingSite{Name: name, Park: sp, Site: Site{At: at}, Geom: d.Geom, Geometry: d.Geometry}
	}
	return out, nil
}

// park is the park candidate c stands for.
func (c *SitingSite) park(id int64) Park {
	return Park{ID: id, Name: c.Name, Class: c.Park.Class, Pocket: c.Park.Pocket, OpenStatus: c.Park.OpenStatus,
		Geom: orb.MultiPolygon{c.Geom}, AreaM2: c.Park.AreaM2}
}

// buildInstance samples the gap and finds which candidates reach each point. It returns the
// instance (identical candidates kept once) and, per set, its candidate.
func buildInstance(ctx context.Context, st *siter, reach []candReach, w weigher, step float64) (*maxcover.Instance, []int, error) {
	type point struct {
		x, y, w float64
	}
	var pts []point
	cell := map[[2]int32][]int32{} // 8 steps a side
	bucket := step * 8
	for i, mp := range st.res.Gaps {
		d := w.density(i)
		if d == 0 {
			continue
		}
		for _, poly := range mp {
			a := planar.Area(poly)
			if a < 1e-6 {
				continue
			}
			b := poly.Bound()
			first := len(pts)
			for x := math.Floor(b.Min[0]/step)*step + step/2; x <= b.Max[0]; x += step {
				for y := math.Floor(b.Min[1]/step)*step + step/2; y <= b.Max[1]; y += step {
					if planar.PolygonContains(poly, orb.Point{x, y}) {
						pts = append(pts, point{x: x, y: y})
					}
				}
			}
			if len(pts) == first {
				at, ok := pointOnSurface(orb.MultiPolygon{poly})
				if !ok {
					continue
				}
				pts = append(pts, point{x: at[0], y: at[1]})
			}
			share := a * d / float64(len(pts)-first)
			for k := first; k < len(pts); k++ {
				pts[k].w = share
			}
		}
	}
	for k, p := range pts {
		key := [2]int32{int32(math.Floor(p.x / bucket)), int32(math.Floor(p.y / bucket))}
		cell[key] = append(cell[key], int32(k))
	}
	reached := make([][]int32, len(pts)) // per point, the candidates reaching it (ascending)
	for j := range reach {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		r := &reach[j]
		if !r.ok {
			continue
		}
		b := r.bound
		for cx := int32(math.Floor(b.Min[0] / bucket)); cx <= int32(math.Floor(b.Max[0]/bucket)); cx++ {
			for cy := int32(math.Floor(b.Min[1] / bucket)); cy <= int32(math.Floor(b.Max[1]/bucket)); cy++ {
				for _, k := range cell[[2]int32{cx, cy}] {
					if r.covers(orb.Point{pts[k].x, pts[k].y}, st) {
						reached[k] = append(reached[k], int32(j))
					}
				}
			}
		}
	}
	// Merge the points reached by the same candidates; drop those no candidate reaches.
	elem := map[string]int32{}
	inst := &maxcover.Instance{}
	sets := make([][]int32, len(reach))
	for k, js := range reached {
		if len(js) == 0 {
			continue
		}
		e, ok := elem[idKey(js)]
		if !ok {
			e = int32(len(inst.Weights))
			elem[idKey(js)] = e
			inst.Weights = append(inst.Weights, 0)
			for _, j := range js {
				sets[j] = append(sets[j], e)
			}
		}
		inst.Weights[e] += pts[k].w
	}
	// Keep one of identical candidates (the first) and drop those reaching nothing.
	seen := map[string]bool{}
	var setOf []int
	for j, s := range sets {
		if len(s) == 0 {
			continue
		}
		if seen[idKey(s)] {
			continue
		}
		seen[idKey(s)] = true
		inst.Sets = append(inst.Sets, s)
		setOf = append(setOf, j)
	}
	return inst, setOf, nil
}

// segmentGrid finds the segments of lines near a point: each segment is filed under every
// cell (of the tolerance's size) its box meets.
type segmentGrid struct {
	cell  float64
	cells map[[2]int32][][2]orb.Point
}

func newSegmentGrid(lines []orb.LineString, cell float64) segmentGrid {
	g := segmentGrid{cell: max(cell, 1), cells: map[[2]int32][][2]orb.Point{}}
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			a, c := l[i-1], l[i]
			x0, x1 := int32(math.Floor(min(a[0], c[0])/g.cell)), int32(math.Floor(max(a[0], c[0])/g.cell))
			y0, y1 := int32(math.Floor(min(a[1], c[1])/g.cell)), int32(math.Floor(max(a[1], c[1])/g.cell))
			for x := x0; x <= x1; x++ {
				for y := y0; y <= y1; y++ {
					g.cells[[2]int32{x, y}] = append(g.cells[[2]int32{x, y}], [2]orb.Point{a, c})
				}
			}
		}
	}
	return g
}

// within reports whether a segment lies within d (≤ the cell) of pt.
func (g segmentGrid) within(pt orb.Point, d float64) bool {
	cx, cy := int32(math.Floor(pt[0]/g.cell)), int32(math.Floor(pt[1]/g.cell))
	for x := cx - 1; x <= cx+1; x++ {
		for y := cy - 1; y <= cy+1; y++ {
			for _, s := range g.cells[[2]int32{x, y}] {
				if planar.DistanceFromSegmentSquared(s[0], s[1], pt) <= d*d {
					return true
				}
			}
		}
	}
	return false
}

// withinBox reports whether a segment lies within d (≤ the cell) of the box b: the
// distance between a segment and a box it does not meet is attained at an end of the
// segment or a corner of the box.
func (g segmentGrid) withinBox(b box, d float64) bool {
	x0, x1 := int32(math.Floor((b.minX-d)/g.cell)), int32(math.Floor((b.maxX+d)/g.cell))
	y0, y1 := int32(math.Floor((b.minY-d)/g.cell)), int32(math.Floor((b.maxY+d)/g.cell))
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for _, s := range g.cells[[2]int32{x, y}] {
				if segmentBoxDist2(s[0], s[1], b) <= d*d {
					return true
				}
			}
		}
	}
	return false
}

// segmentBoxDist2 is the squared distance between the segment a–c and the box b.
func segmentBoxDist2(a, c orb.Point, b box) float64 {
	if segmentMeetsBox(a, c, b) {
		return 0
	}
	pointBox := func(p orb.Point) float64 {
		dx := max(b.minX-p[0], 0, p[0]-b.maxX)
		dy := max(b.minY-p[1], 0, p[1]-b.maxY)
		return dx*dx + dy*dy
	}
	d := min(pointBox(a), pointBox(c))
	for _, q := range [4]orb.Point{{b.minX, b.minY}, {b.maxX, b.minY}, {b.maxX, b.maxY}, {b.minX, b.maxY}} {
		d = min(d, planar.DistanceFromSegmentSquared(a, c, q))
	}
	return d
}

// meetsBox reports whether a segment meets the box b (its boundary or inside).
func (g segmentGrid) meetsBox(b box) bool {
	x0, x1 := int32(math.Floor(b.minX/g.cell)), int32(math.Floor(b.maxX/g.cell))
	y0, y1 := int32(math.Floor(b.minY/g.cell)), int32(math.Floor(b.maxY/g.cell))
	if int64(x1-x0+1)*int64(y1-y0+1) > int64(len(g.cells)) {
		for _, segs := range g.cells {
			for _, s := range segs {
				if segmentMeetsBox(s[0], s[1], b) {
					return true
				}
			}
		}
		return false
	}
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for _, s := range g.cells[[2]int32{x, y}] {
				if segmentMeetsBox(s[0], s[1], b) {
					return true
				}
			}
		}
	}
	return false
}

// segmentMeetsBox reports whether the segment a–c meets the box b (Liang–Barsky clipping).
func segmentMeetsBox(a, c orb.Point, b box) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := c[0]-a[0], c[1]-a[1]
	for _, q := range [4][2]float64{{-dx, a[0] - b.minX}, {dx, b.maxX - a[0]}, {-dy, a[1] - b.minY}, {dy, b.maxY - a[1]}} {
		p, r := q[0], q[1]
		if p == 0 {
			if r < 0 {
				return false
			}
			continue
		}
		t := r / p
		if p < 0 {
			t0 = max(t0, t)
		} else {
			t1 = min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// idKey is a map key of a list of indexes.
func idKey(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.Itoa(int(id)))
		b.WriteByte(',')
	}
	return b.String()
}

// evaluate adds the chosen candidates as parks one by one (Result.Apply) and fills ch's
// sites and Predicted.
func evaluate(ctx context.Context, res *Result, cands []SitingSite, chosen []int, w weigher, ch *SitingChoice) error {
	cur := res
	ch.Sites = make([]SitingSite, 0, len(chosen))
	ch.Predicted = ratio(w.covered(res), w.total)
	for rank, j := range chosen {
		s := cands[j]
		next, _, err := cur.Apply(ctx, Changes{AddParks: []Park{s.park(-int64(rank + 1))}})
		if err != nil {
			return err
		}
		s.Rank, s.candidate = rank+1, j
		s.GainM2, s.GainPopulation = next.CoveredM2-cur.CoveredM2, next.CoveredPopulation-cur.CoveredPopulation
		s.CoverageAfter, s.PopulationShareAfter = next.Ratio(), next.PopulationShare()
		s.WeightShareAfter = ratio(w.covered(next), w.total)
		ch.Sites = append(ch.Sites, s)
		ch.Predicted = s.WeightShareAfter
		cur = next
	}
	return nil
}

// keptMargin is how far below the greedy answer's share the chosen sites' share, figured
// with all of them added at once, must lie for the greedy answer to be kept without
// figuring them one by one: far above the rounding by which one Apply of all the parks and
// one Apply per park can differ (both are the full computation to ~1e-12).
const keptMargin = 1e-9

// evaluateTogether is the share of the weight covered once every chosen candidate is
// built: one Apply adding them all, the figure evaluate's last site gets.
func evaluateTogether(ctx context.Context, res *Result, cands []SitingSite, chosen []int, w weigher) (float64, error) {
	parks := make([]Park, len(chosen))
	for rank, j := range chosen {
		parks[rank] = cands[j].park(-int64(rank + 1))
	}
	next, _, err := res.Apply(ctx, Changes{AddParks: parks})
	if err != nil {
		return 0, err
	}
	return ratio(w.covered(next), w.total), nil
}

// greedySites is today's greedy answer for generated candidates: Sites on st (its
// candidates at, what each reaches), each site's figures from the Apply that added it, as
// evaluate figures them; taken from o.greedy when it holds it. note is SiteModel's.
func greedySites(ctx context.Context, st *siter, o SitingOptions, note string, at []orb.Point, reach []candReach, w weigher) (*SitingChoice, error) {
	out := &SitingChoice{K: o.K}
	plan, steps, ok := o.greedy.get(o.SiteAreaM2, o.K)
	if !ok {
		var after []*Result
		var err error
		plan, after, err = st.greedy(ctx, note, at, reach, o.K)
		if err != nil {
			return nil, err
		}
		steps = make([]greedyStep, len(after))
		for k, r := range after {
			steps[k] = greedyStep{coveredM2: r.CoveredM2, coveredPop: r.CoveredPopulation, covered: r.Covered}
		}
		o.greedy.put(o.SiteAreaM2, &greedyRun{plan: plan, steps: steps, asked: o.K})
	}
	// Sites added each site as evaluate would (the same park, Result.Apply on the result
	// with the earlier sites): its figures are evaluate's, without a second Apply per site.
	out.Sites = make([]SitingSite, len(plan.Sites))
	out.Predicted = ratio(w.covered(st.res), w.total)
	for k, s := range plan.Sites {
		out.Sites[k] = SitingSite{Name: fmt.Sprintf("Pocket park site %d", k+1), Park: plan.Park, Site: s, Geom: square(s.At, plan.Park.SideM/2), candidate: k}
		out.Sites[k].WeightShareAfter = ratio(w.coveredBy(steps[k]), w.total)
		out.Predicted = out.Sites[k].WeightShareAfter
	}
	return out, nil
}

// SitingFault turns an error of Optimize into the Invalid fault naming the parameter at
// fault, or leaves it as it is.
func SitingFault(err error) error {
	detail := func() string { return strings.TrimPrefix(err.Error(), "coverage: ") }
	switch {
	case errors.Is(err, ErrSitingWeight):
		return badParam("weight", detail())
	case errors.Is(err, ErrSitingK):
		return badParam("k", detail())
	case errors.Is(err, ErrSitingTarget):
		return badParam("targets", detail())
	case errors.Is(err, ErrDrawnArea), errors.Is(err, ErrNoSiteSize) && strings.Contains(err.Error(), "candidate"):
		return badParam("candidates", detail())
	}
	return SitesFault(err)
}

// SitingGeometries fills the EPSG:4326 geometry of generated sites (drawn ones keep theirs).
func (s Store) SitingGeometries(ctx context.Context, srid int, sites []SitingSite) error {
	var idx []int
	plan := &SitePlan{}
	for k := range sites {
		if sites[k].Geometry == nil {
			idx = append(idx, k)
			plan.Sites = append(plan.Sites, Site{At: sites[k].At})
			plan.Park.SideM = sites[k].Park.SideM
		}
	}
	geoms, err := s.SitePolygons(ctx, srid, plan)
	if err != nil {
		return err
	}
	for n, k := range idx {
		sites[k].Geometry = geoms[n].Geometry
	}
	return nil
}
