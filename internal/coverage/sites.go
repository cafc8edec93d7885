package coverage

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
)

// Pocket-park sizes. The 2022 口袋公园 notice (docs/standards.md §6) calls parks of
// 400–10,000 m² pocket parks and asks for them where coverage is short; a site is never
// smaller or larger.
const (
	MinSiteAreaM2     = 400
	MaxSiteAreaM2     = 10000
	DefaultSiteAreaM2 = MinSiteAreaM2
	// siteMarginM lengthens the side of a site's square by 1 mm over √area, so that the
	// area PostGIS measures once the site is stored in longitude/latitude (SitePolygons
	// writes 12 decimals, about 1e-7 m) is still at least the area asked: the caliber's
	// size bands compare with ≥, and a 2000 m² site must not come back as 1999.99 m².
	siteMarginM = 0.001
)

// SitePark is the park every proposed site stands for: exactly the park a planner adds
// (a scenario change) to get the site's predicted figures. It is a square of AreaM2
// (side SideM) in the city's metric CRS centred on the site, of class Class with the pocket
// flag Pocket (only a 游园 can be a pocket park: parks_pocket_is_garden), open, without
// recorded entrances (the network method gives it the access points of any park drawn
// without entrances: walkgraph.ParkAccessPoints). RadiusM is the radius
// the caliber gives it.
type SitePark struct {
	Class      string  `json:"park_class"`
	Pocket     bool    `json:"pocket"`
	OpenStatus string  `json:"open_status"`
	AreaM2     float64 `json:"area_m2"`
	SideM      float64 `json:"side_m"`
	RadiusM    float64 `json:"radius_m"`
}

// Park returns the park of the site at (metric CRS).
func (sp SitePark) Park(id int64, name string, at orb.Point) Park {
	h := sp.SideM / 2
	return Park{ID: id, Name: name, Class: sp.Class, Pocket: sp.Pocket, OpenStatus: sp.OpenStatus,
		Geom: orb.MultiPolygon{square(at, h)}, AreaM2: sp.SideM * sp.SideM}
}

func square(at orb.Point, h float64) orb.Polygon {
	x0, y0, x1, y1 := at[0]-h, at[1]-h, at[0]+h, at[1]+h
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// Site is a proposed pocket park.
type Site struct {
	Rank int       `json:"rank"`
	At   orb.Point `json:"-"` // metric CRS; the centre of the site's square
	// GainM2 and GainPopulation are the residential land and residents the site covers
	// that the city (with every earlier site) did not.
	GainM2         float64 `json:"gain_m2"`
	GainPopulation float64 `json:"gain_population"`
	// CoverageAfter is the city's coverage (area ratio) once this and every earlier site
	// is built; PopulationShareAfter likewise.
	CoverageAfter        float64 `json:"coverage_after"`
	PopulationShareAfter float64 `json:"population_share_after"`
}

// SitePlan is the outcome of Sites.
type SitePlan struct {
	Caliber string   `json:"caliber"`
	Method  string   `json:"method"`
	Park    SitePark `json:"park"`
	// Note explains the choice of park when it is not a pocket park of the area asked.
	Note       string `json:"note,omitempty"`
	Candidates int    `json:"candidates"`
	// CoverageNow and PopulationShareNow are the figures before any site.
	CoverageNow        float64 `json:"coverage_now"`
	PopulationShareNow float64 `json:"population_share_now"`
	Sites              []Site  `json:"sites"`
}

// ErrNoSiteSize is returned when the caliber counts no pocket-park-sized park.
var ErrNoSiteSize = errors.New("coverage: the caliber counts no garden or community park of 400–10,000 m²")

// ErrSiteArea is returned for a site area outside the pocket-park sizes.
var ErrSiteArea = fmt.Errorf("coverage: a site's area must be from %d to %d m² (pocket parks, 2022 notice)", MinSiteAreaM2, MaxSiteAreaM2)

// SiteModel returns the park a site of about area m² is under cal: the first of a pocket
// 游园, a 游园, a 社区公园 that cal counts at that size; when cal counts none of them the
// area is raised to the smallest size cal counts, if that is still a pocket park's size.
// note says why the park is not a pocket park of the area asked, when it is not.
func SiteModel(cal caliber.Caliber, area float64) (SitePark, string, error) {
	if !(area >= MinSiteAreaM2 && area <= MaxSiteAreaM2) {
		return SitePark{}, "", ErrSiteArea
	}
	try := func(a float64) (SitePark, bool) {
		side := math.Sqrt(a) + siteMarginM
		sp, ok := countedPark(cal, side*side)
		sp.SideM = side
		return sp, ok
	}
	sp, ok := try(area)
	if !ok {
		m, has := cal.MinCountedArea()
		if !has || m <= area || m > MaxSiteAreaM2 {
			return SitePark{}, "", ErrNoSiteSize
		}
		if sp, ok = try(math.Ceil(m)); !ok {
			return SitePark{}, "", ErrNoSiteSize
		}
	}
	var note string
	switch {
	case sp.Class != caliber.Garden:
		note = fmt.Sprintf("%s does not count 游园 (pocket parks are 游园) of this size; each site is a %s park of %.0f m², which it counts at %.0f m",
			cal.ID, sp.Class, sp.AreaM2, sp.RadiusM)
	case !sp.Pocket:
		note = fmt.Sprintf("%s does not count pocket parks; each site is a 游园 (garden, not pocket) of %.0f m²", cal.ID, sp.AreaM2)
	}
	if math.Round(sp.AreaM2) > area+1 {
		note = fmt.Sprintf("%s counts no park of %.0f m²; sites are sized %.0f m², the smallest it counts", cal.ID, area, math.Round(sp.AreaM2)) +
			map[bool]string{true: "", false: "; " + note}[note == ""]
	}
	return sp, note, nil
}

// countedPark is the park a site of areaM2 is under cal: the first of a pocket 游园, a 游园,
// a 社区公园 of that area that cal counts (SideM left 0), if any.
func countedPark(cal caliber.Caliber, areaM2 float64) (SitePark, bool) {
	for _, f := range []caliber.ParkFacts{
		{Class: caliber.Garden, Pocket: true, OpenStatus: "open"},
		{Class: caliber.Garden, OpenStatus: "open"},
		{Class: caliber.Community, OpenStatus: "open"},
	} {
		f.AreaM2 = areaM2
		if r, ok := cal.Radius(f); ok {
			return SitePark{Class: f.Class, Pocket: f.Pocket, OpenStatus: f.OpenStatus, AreaM2: areaM2, RadiusM: r}, true
		}
	}
	return SitePark{}, false
}

// Sites proposes up to n pocket-park sites on res (which must hold gaps), under res's
// caliber and method, chosen greedily.
//
// Candidates are the points on surface of the gap pieces, thinned to the one of the largest
// piece per cell of half the radius; for the network method a candidate farther from the
// streets is moved towards the nearest one, so its park has access points (nearStreet). A
// candidate is scored by the uncovered land its own park would cover: gap ∩ its service area (buffer method), or gap ∩ its service area ∩ its
// reached network grown by the tolerance (network method: a walk from its generated access
// points, as Compute does). Scores only fall as sites are added (the gap shrinks), so the
// lazy evaluation is exact for them; for the network method two upper bounds worked out in
// Go come first, and a candidate's region is built in GEOS only when its bound reaches the
// top of the queue (docs/siting.md).
//
// The chosen site's figures are not the score: the site is added as a park and the
// coverage recomputed where it can reach (Result.Apply, the incremental recomputation of
// scenarios), so CoverageAfter is what a scenario holding the sites gives. Under the
// network method a park can also make land count that its own walk does not reach (land
// within the tolerance of its network inside an older park's service area, or the other
// way round), so a gain can exceed the score; the next choice is made on the recomputed
// gap.
func Sites(ctx context.Context, res *Result, n int, siteArea float64) (*SitePlan, error) {
	plan, _, err := sites(ctx, res, n, siteArea)
	return plan, err
}

// sites is Sites returning also, per site, the result once it and every earlier site is
// built (the Apply that gave its figures), so Optimize's never-worse check weighs the
// greedy answer without adding its sites again.
func sites(ctx context.Context, res *Result, n int, siteArea float64) (*SitePlan, []*Result, error) {
	if res.Gaps == nil {
		return nil, nil, errors.New("coverage: Sites needs a result computed with Options.Gaps")
	}
	if siteArea == 0 {
		siteArea = DefaultSiteAreaM2
	}
	sp, note, err := SiteModel(res.Caliber, siteArea)
	if err != nil {
		return nil, nil, err
	}
	st, err := newSiter(res, sp)
	if err != nil {
		return nil, nil, err
	}
	defer st.close()
	at := st.candidates()
	reach, err := st.reaches(ctx, st.siteParks(at))
	if err != nil {
		return nil, nil, err
	}
	return st.greedy(ctx, note, at, reach, n)
}

// greedy is sites on st's result with its candidates at (the siter's park at each) and what
// each reaches (st.reaches of their parks); note is SiteModel's for the siter's park.
func (st *siter) greedy(ctx context.Context, note string, at []orb.Point, reach []candReach, n int) (*SitePlan, []*Result, error) {
	res, sp := st.res, st.sp
	plan := &SitePlan{Caliber: res.Caliber.ID, Method: res.Method, Park: sp, Note: note,
		CoverageNow: res.Ratio(), PopulationShareNow: res.PopulationShare(), Sites: []Site{}}
	h := &candHeap{}
	if err := st.firstScores(ctx, h, at, reach); err != nil {
		return nil, nil, err
	}
	plan.Candidates = len(h.items)
	heap.Init(h)
	cur := res
	var after []*Result
	round := 0
	defer func() {
		for i := range h.items {
			h.items[i].release()
		}
	}()
	for len(plan.Sites) < n && h.Len() > 0 {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if h.items[0].level != levelExact {
			// A bound at the top: make it (and the next bounds in the queue's order) one
			// level exacter on the workers; the queue is then ordered again.
			if err := st.advance(ctx, h, reach, round); err != nil {
				return nil, nil, err
			}
			continue
		}
		top := heap.Pop(h).(candItem)
		if top.round != round {
			// Stale: score against the current gap; scores only fall, so if it still
			// beats every other (upper-bound) score it is the best.
			if top.region == nil && st.net == nil {
				top.region = toGEOS(st.c, reach[top.k].sa) // the buffer method's region
			}
			st.rescore(&top, round)
			if top.score > minScoreM2 {
				top.round = round
				heap.Push(h, top)
			} else {
				top.release()
			}
			continue
		}
		rank := len(plan.Sites) + 1
		next, recomputed, err := cur.Apply(ctx, Changes{AddParks: []Park{sp.Park(-int64(rank), fmt.Sprintf("site %d", rank), top.at)}})
		if err != nil {
			top.release()
			return nil, nil, err
		}
		if err := st.update(next, recomputed); err != nil {
			top.release()
			return nil, nil, err
		}
		plan.Sites = append(plan.Sites, Site{Rank: rank, At: top.at,
			GainM2: next.CoveredM2 - cur.CoveredM2, GainPopulation: next.CoveredPopulation - cur.CoveredPopulation,
			CoverageAfter: next.Ratio(), PopulationShareAfter: next.PopulationShare()})
		top.release()
		cur = next
		after = append(after, next)
		round++
	}
	return plan, after, nil
}

// minScoreM2 is the least score a candidate keeps its place with: below it, what is left
// is rounding noise of the score updates.
const minScoreM2 = 1e-3

// How exact a candidate's score in the greedy's queue is. Each level is an upper bound of
// the next, and gaps only shrink, so a bound stays one as sites are added.
const (
	// levelExact: the gain of the candidate's own cover on the gap of round candItem.round.
	levelExact = iota
	// levelBound (network method): the straight-line gain counted only over the parcels
	// whose box lies within the tolerance (+ 1 m) of the network the candidate reaches.
	levelBound
	// levelCoarse (network method): the whole gap of those parcels, where their box meets
	// the service area's (no GEOS).
	levelCoarse
)

// rescore brings a stale exact score to the current gap: the land covered since its last
// score (the gap pieces each chosen site took, kept per round) is taken off: the gap only
// shrinks, so score(now) = score(then) − area(own cover ∩ land covered since).
func (st *siter) rescore(it *candItem, round int) {
	reg := it.region
	if reg == nil || reg.IsEmpty() {
		it.score = 0
		return
	}
	b := reg.Bounds()
	rb := box{b.MinX, b.MinY, b.MaxX, b.MaxY}
	var prep *geos.PrepGeom
	for _, taken := range st.taken[it.round:round] {
		for _, tp := range taken {
			if !tp.box.intersects(rb) {
				continue
			}
			if prep == nil {
				prep = reg.Prepare()
				defer prep.Destroy()
			}
			switch {
			case prep.Contains(tp.g):
				it.score -= tp.area
			case prep.Intersects(tp.g):
				ig := tp.g.Intersection(reg)
				it.score -= ig.Area()
				ig.Destroy()
			}
		}
	}
}

// takenPiece is land a chosen site covered: a recomputed parcel's old gap minus its new one.
type takenPiece struct {
	g    *geos.Geom
	box  box
	area float64
}

// siter holds the gap, per parcel, as GEOS geometries for scoring candidates.
type siter struct {
	res   *Result
	sp    SitePark
	c     *geos.Context
	gaps  []*geos.Geom // per parcel; nil when covered
	areas []float64
	boxes []box // the parcel's box: it holds every later gap of the parcel
	tree  *strTree
	hits  []int32
	// net is the walking network of the network method (nil for the buffer method).
	net *walkNet
	tol float64
	// taken[k] is the land the site chosen in round k covered.
	taken [][]takenPiece
	// cur is the gap per parcel the gaps were made from (the result of the last round).
	cur []orb.MultiPolygon
	// workers score candidates in parallel (main siter only); a worker has its own GEOS
	// context and its gaps, made from src's cur when first needed (have) and dropped when
	// a round changes them.
	workers []*siter
	src     *siter
	have    []bool
}

func newSiter(res *Result, sp SitePark) (*siter, error) {
	snap := res.snapshot
	st := &siter{res: res, sp: sp, c: geos.NewContext(), gaps: make([]*geos.Geom, len(snap.Parcels)),
		areas: make([]float64, len(snap.Parcels)), boxes: make([]box, len(snap.Parcels))}
	for i := range snap.Parcels {
		st.boxes[i] = boxOf(snap.Parcels[i].Geom.Bound())
		st.setGap(i, res.Gaps[i])
	}
	st.tree = newSTRTree(st.boxes)
	st.cur = res.Gaps
	if res.Method == caliber.Network {
		wn, err := snap.walkNet()
		if err != nil {
			return nil, err
		}
		st.net, st.tol = wn, res.Parameters.ToleranceM
		if st.tol == 0 {
			st.tol = DefaultTolerance
		}
	}
	for range runtime.GOMAXPROCS(0) {
		w := *st
		w.c, w.gaps, w.have, w.hits, w.taken, w.src, w.workers = geos.NewContext(), make([]*geos.Geom, len(st.gaps)), make([]bool, len(st.gaps)), nil, nil, st, nil
		st.workers = append(st.workers, &w)
	}
	return st, nil
}

// gapAt is parcel i's gap now (nil when covered), in st's context.
func (st *siter) gapAt(i int32) *geos.Geom {
	if st.src != nil && !st.have[i] {
		st.have[i] = true
		if st.areas[i] > 0 { // src's areas: the same slice
			st.gaps[i] = toGEOS(st.c, st.src.cur[i])
		}
	}
	return st.gaps[i]
}

// forEach runs do(w, k) for k in [0, n) on the workers, each call on one worker at a time.
func (st *siter) forEach(ctx context.Context, n, chunk int, do func(w *siter, k int) error) error {
	pool := make(chan *siter, len(st.workers))
	for _, w := range st.workers {
		pool <- w
	}
	return parallel(ctx, len(st.workers), n, chunk, func() (func(int) error, func()) {
		w := <-pool
		return func(k int) error { return do(w, k) }, func() { pool <- w }
	})
}

// candReach is what a candidate's park reaches on its own: its straight-line service area
// (its square or drawn polygon buffered by the radius, cut by the barriers) and, with the
// network method, the walking network its access points reach within the radius, with a
// grid of its segments. ok is false when it covers nothing (no service area, or no access
// point with the network method).
type candReach struct {
	sa    orb.MultiPolygon
	bound orb.Bound
	lines []orb.LineString
	near  segmentGrid
	ok    bool
}

// covers reports whether pt lies in the land the candidate covers on its own: its service
// area and, with the network method, within the tolerance of its reached network.
func (r *candReach) covers(pt orb.Point, st *siter) bool {
	if !r.bound.Contains(pt) {
		return false
	}
	if st.net != nil && !r.near.within(pt, st.tol) {
		return false
	}
	return planar.MultiPolygonContains(r.sa, pt)
}

// siteParks are the parks of the siter's generated sites at.
func (st *siter) siteParks(at []orb.Point) []Park {
	out := make([]Park, len(at))
	for k, p := range at {
		out[k] = st.sp.Park(0, "", p)
	}
	return out
}

// reaches works out on the workers what each park reaches (candReach) counted at its
// radius (radius[k], or the siter's park's when radius is nil). The instance of Optimize
// and the greedy both read it, so each candidate is walked once.
func (st *siter) reaches(ctx context.Context, parks []Park, radius ...float64) ([]candReach, error) {
	out := make([]candReach, len(parks))
	err := st.forEach(ctx, len(parks), 8, func(w *siter, k int) error {
		r := w.sp.RadiusM
		if radius != nil {
			r = radius[k]
		}
		sa := w.parkServiceArea(&parks[k], r)
		mp, err := fromGEOS(sa)
		sa.Destroy()
		if err != nil || len(mp) == 0 {
			return err
		}
		cr := candReach{sa: mp, bound: mp.Bound(), ok: true}
		if w.net != nil {
			ls, err := w.reached(&parks[k], r)
			if err != nil {
				return err
			}
			if len(ls) == 0 {
				return nil
			}
			cr.lines, cr.near = ls, newSegmentGrid(ls, w.tol)
		}
		out[k] = cr
		return nil
	})
	return out, err
}

// firstScores fills h with the candidates that can gain, in the candidates' order, each
// with its first score: exact (round 0, the straight-line gain) for the buffer method; for
// the network method the coarse bound (levelCoarse), worked out in Go without GEOS: the
// whole gap of the parcels whose box meets the service area's and lies within the
// tolerance (+ 1 m) of the reached network. The scores are worked out on the workers, each
// as one goroutine would, so they do not depend on scheduling.
func (st *siter) firstScores(ctx context.Context, h *candHeap, at []orb.Point, reach []candReach) error {
	items := make([]candItem, len(at))
	err := st.forEach(ctx, len(at), 8, func(w *siter, k int) error {
		r := &reach[k]
		it := candItem{k: k, at: at[k]}
		if !r.ok {
			items[k] = it
			return nil
		}
		if w.net == nil {
			sa := toGEOS(w.c, r.sa)
			it.score, _ = w.gain(sa)
			sa.Destroy()
			it.level, it.round = levelExact, 0
			items[k] = it
			return nil
		}
		w.hits = w.tree.query(boxOf(r.bound), w.boxes, w.hits[:0])
		for _, i := range w.hits {
			if w.areas[i] > 0 && r.near.meetsBox(w.boxes[i].expand(w.tol+1)) {
				it.parts = append(it.parts, i)
				it.score += w.areas[i]
			}
		}
		it.level = levelCoarse
		items[k] = it
		return nil
	})
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.score > minScoreM2 {
			h.items = append(h.items, it)
		}
	}
	return nil
}

// advance makes the bound at the top of h, and the next bounds in h's order (two per
// worker in all), one level exacter on the workers: a coarse bound becomes the bound
// (the straight-line gain of each of its parcels now, summed over those that gain), a
// bound becomes the exact score of this round (the candidate's region built in GEOS, kept
// on the candidate, and its gain on the gap now). Each figure is worked out as one
// goroutine would. The candidates left with nothing to gain are dropped and h is ordered
// again: the greedy picks the candidate of the highest exact score whatever bounds it
// passed through.
func (st *siter) advance(ctx context.Context, h *candHeap, reach []candReach, round int) error {
	var next []int
	for j := range h.items {
		if h.items[j].level != levelExact {
			next = append(next, j)
		}
	}
	slices.SortFunc(next, func(a, b int) int {
		switch {
		case h.Less(a, b):
			return -1
		case h.Less(b, a):
			return 1
		}
		return 0
	})
	batch := next[:min(len(next), 2*len(st.workers))]
	err := st.forEach(ctx, len(batch), 1, func(w *siter, n int) error {
		it := &h.items[batch[n]]
		r := &reach[it.k]
		if it.level == levelCoarse {
			parts, bound := w.cellBound(r, it.parts)
			it.parts, it.score, it.level = parts, bound, levelBound
			return nil
		}
		reg := w.regionOf(r, it.parts)
		prep := reg.Prepare()
		var g float64
		for _, i := range it.parts {
			g += w.gapIn(i, reg, prep)
		}
		prep.Destroy()
		it.region = st.c.Clone(reg)
		reg.Destroy()
		it.score, it.level, it.round = g, levelExact, round
		return nil
	})
	if err != nil {
		return err
	}
	kept := h.items[:0]
	for _, it := range h.items {
		if it.score > minScoreM2 {
			kept = append(kept, it)
		} else {
			it.release()
		}
	}
	h.items = kept
	heap.Init(h)
	return nil
}

// gapIn is the area of parcel i's gap now inside reg (prep: reg prepared).
func (st *siter) gapIn(i int32, reg *geos.Geom, prep *geos.PrepGeom) float64 {
	g := st.gapAt(i)
	switch {
	case g == nil:
		return 0
	case prep.Contains(g):
		return st.areas[i]
	case prep.Intersects(g):
		ig := g.Intersection(reg)
		defer ig.Destroy()
		return ig.Area()
	}
	return 0
}

// cellBound is levelBound, in Go: the gap now of each of parcels (ascending) cut into the
// squares of a grid of a quarter of the tolerance, counted where a square lies within the
// tolerance of the reached network (the exact distance between square and segment). The
// region lies inside the reached network grown by the tolerance (GEOS's buffer inscribes
// its round caps), so no other part of a gap can meet it. It returns the parcels with a
// positive count, and their sum.
func (st *siter) cellBound(r *candReach, parcels []int32) ([]int32, float64) {
	s := st.tol / 4
	var parts []int32
	var sum float64
	near := map[[2]int32]bool{}
	var buf [2][]orb.Point
	var rings []ringBox
	for _, i := range parcels {
		gap := st.curGap(i)
		if len(gap) == 0 {
			continue
		}
		rings = ringBoxes(gap, rings[:0])
		b := gap.Bound()
		var x float64
		for cx := int32(math.Floor(b.Min[0] / s)); float64(cx)*s < b.Max[0]; cx++ {
			for cy := int32(math.Floor(b.Min[1] / s)); float64(cy)*s < b.Max[1]; cy++ {
				c := box{float64(cx) * s, float64(cy) * s, float64(cx+1) * s, float64(cy+1) * s}
				ok, seen := near[[2]int32{cx, cy}]
				if !seen {
					ok = r.near.withinBox(c, st.tol)
					near[[2]int32{cx, cy}] = ok
				}
				if ok {
					sq := orb.Ring{{c.minX, c.minY}, {c.maxX, c.minY}, {c.maxX, c.maxY}, {c.minX, c.maxY}, {c.minX, c.minY}}
					x += clippedArea(rings, sq, c, &buf)
				}
			}
		}
		if x > 0 {
			parts = append(parts, i)
			sum += x
		}
	}
	return parts, sum
}

// curGap is parcel i's gap now (orb).
func (st *siter) curGap(i int32) orb.MultiPolygon {
	if st.src != nil {
		return st.src.cur[i]
	}
	return st.cur[i]
}

func (st *siter) setGap(i int, mp orb.MultiPolygon) {
	if st.gaps[i] != nil {
		st.gaps[i].Destroy()
		st.gaps[i] = nil
	}
	st.areas[i] = 0
	if a := area(mp); a >= 1e-6 {
		st.gaps[i], st.areas[i] = toGEOS(st.c, mp), a
	}
}

func (st *siter) close() {
	for _, w := range st.workers {
		w.close()
	}
	for _, g := range st.gaps {
		if g != nil {
			g.Destroy()
		}
	}
	for _, taken := range st.taken {
		for _, tp := range taken {
			tp.g.Destroy()
		}
	}
}

// candidates returns the point on surface of every gap piece of at least 1 m², the one of
// the largest piece per cell of half the radius, in a fixed order.
func (st *siter) candidates() []orb.Point {
	cell := st.sp.RadiusM / 2
	type cand struct {
		at    orb.Point
		score float64
	}
	best := map[[2]int64]cand{}
	var keys [][2]int64
	for _, mp := range st.res.Gaps {
		for _, poly := range mp {
			a := area(orb.MultiPolygon{poly})
			if a < 1 {
				continue
			}
			pt, ok := pointOnSurface(orb.MultiPolygon{poly})
			if !ok {
				continue
			}
			key := [2]int64{int64(math.Floor(pt[0] / cell)), int64(math.Floor(pt[1] / cell))}
			b, seen := best[key]
			if !seen {
				keys = append(keys, key)
			}
			if !seen || a > b.score {
				best[key] = cand{pt, a}
			}
		}
	}
	out := make([]orb.Point, len(keys))
	for i, k := range keys {
		out[i] = st.nearStreet(best[k].at)
	}
	return out
}

// siteStreetGapM is how far from the nearest walkable edge the network method puts a site
// that lies farther away: well within EntranceSnapM, so the site gets access points.
const siteStreetGapM = 10

// nearStreet moves a candidate of the network method towards the nearest walkable edge
// until its square is siteStreetGapM from it: a park deep inside a block, more than
// EntranceSnapM from every street, has no access point and so serves nothing on foot. The
// square's distance to a straight street through the nearest point q with unit normal n is
// |p − q| − h(|nₓ| + |n_y|), h its half side. The buffer method keeps the candidate.
func (st *siter) nearStreet(p orb.Point) orb.Point {
	if st.net == nil {
		return p
	}
	a, ok := st.net.ix.Attach(p, math.Inf(1))
	if !ok || a.Access == 0 {
		return p
	}
	nx, ny := (p[0]-a.Point[0])/a.Access, (p[1]-a.Point[1])/a.Access
	d := siteStreetGapM + st.sp.SideM/2*(math.Abs(nx)+math.Abs(ny))
	if a.Access <= d {
		return p
	}
	return orb.Point{a.Point[0] + nx*d, a.Point[1] + ny*d}
}

// parkServiceArea is the straight-line service area of park p at radius.
func (st *siter) parkServiceArea(p *Park, radius float64) *geos.Geom {
	g := toGEOS(st.c, p.Geom)
	defer g.Destroy()
	return cutBuffer(st.c, st.res.snapshot, st.res.Caliber.Barriers, g, p.Geom.Bound(), radius)
}

// regionOf returns the land a candidate covers on its own, from what it reaches: its
// service area, and with the network method that area ∩ its reached network (merged
// straight, mergeStraight) grown by the tolerance — as far as the gaps of the parcels parts
// can meet it. Of each merged line only the runs of segments that meet the box of one of
// those parcels grown by the tolerance and a metre are grown: a dropped segment lies
// farther than that from every one of them, so neither it nor the round cap that now ends
// a run at its vertex (a disc of the tolerance about a point of the dropped segment)
// reaches into their boxes, where the region is then the one every reached line gives.
func (st *siter) regionOf(r *candReach, parts []int32) *geos.Geom {
	sa := toGEOS(st.c, r.sa)
	if st.net == nil {
		return sa
	}
	boxes := make([]box, len(parts))
	for k, i := range parts {
		boxes[k] = st.boxes[i].expand(st.tol + 1)
	}
	var keep []orb.LineString
	for _, l := range mergeStraight(r.lines) {
		keep = appendRuns(keep, l, boxes)
	}
	if len(keep) == 0 {
		sa.Destroy()
		return st.c.NewEmptyPolygon()
	}
	return st.grown(keep, sa)
}

// appendRuns appends to dst the runs of consecutive segments of l that meet one of boxes.
func appendRuns(dst []orb.LineString, l orb.LineString, boxes []box) []orb.LineString {
	lb := boxOf(l.Bound())
	var near []box
	for _, b := range boxes {
		if b.intersects(lb) {
			near = append(near, b)
		}
	}
	if len(near) == 0 {
		return dst
	}
	start := -1 // the first vertex of the current run
	for k := 1; k < len(l); k++ {
		meets := false
		sb := boxOf(orb.LineString{l[k-1], l[k]}.Bound())
		for _, b := range near {
			if b.intersects(sb) && segmentMeetsBox(l[k-1], l[k], b) {
				meets = true
				break
			}
		}
		switch {
		case meets && start < 0:
			start = k - 1
		case !meets && start >= 0:
			dst = append(dst, l[start:k])
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, l[start:])
	}
	return dst
}

// grown is lines grown by the tolerance ∩ sa (which it takes). A score only orders the
// candidates (a chosen site's figures come from Apply), so the lines are grown with coarse
// round caps: two segments per quarter circle.
func (st *siter) grown(lines []orb.LineString, sa *geos.Geom) *geos.Geom {
	gs := make([]*geos.Geom, 0, len(lines))
	for _, l := range lines {
		gs = append(gs, lineToGEOS(st.c, l))
	}
	coll := st.c.NewCollection(geos.TypeIDMultiLineString, gs)
	reach := coll.Buffer(st.tol, 2)
	coll.Destroy()
	reg := reach.Intersection(sa)
	reach.Destroy()
	sa.Destroy()
	return reg
}

// reached returns the walking network park p's access points reach within radius, as
// Compute walks it (nil: the park has no access point).
func (st *siter) reached(p *Park, radius float64) ([]orb.LineString, error) {
	src, _ := accessPoints(st.c, st.net, p, openness.AnyTime)
	if len(src) == 0 {
		return nil, nil
	}
	se := network.NewSearcher(st.net.g)
	if err := se.Run(src, radius); err != nil {
		return nil, fmt.Errorf("coverage: walking search: %w", err)
	}
	segs, err := se.Segments(radius, nil)
	if err != nil {
		return nil, err
	}
	ls := make([]orb.LineString, len(segs))
	for i, s := range segs {
		ls[i] = s.Geom
	}
	return ls, nil
}

// gain returns the uncovered area and residents inside reg now.
func (st *siter) gain(reg *geos.Geom) (float64, float64) {
	if reg.IsEmpty() {
		return 0, 0
	}
	prep := reg.Prepare()
	defer prep.Destroy()
	b := reg.Bounds()
	st.hits = st.tree.query(box{b.MinX, b.MinY, b.MaxX, b.MaxY}, st.boxes, st.hits[:0])
	snap := st.res.snapshot
	var a, pop float64
	for _, i := range st.hits {
		x := st.gapIn(i, reg, prep)
		a += x
		pop += x * ratio(snap.Parcels[i].Population, snap.Parcels[i].AreaM2)
	}
	return a, pop
}

// update takes the recomputed parcels' gaps of next (whose parcels are res's, in order:
// sites only add parks).
func (st *siter) update(next *Result, recomputed []int) error {
	if len(next.Gaps) != len(st.gaps) {
		return errors.New("coverage: sites: the parcels changed")
	}
	st.cur = next.Gaps
	for _, w := range st.workers {
		for _, i := range recomputed {
			if w.gaps[i] != nil {
				w.gaps[i].Destroy()
				w.gaps[i] = nil
			}
			w.have[i] = false
		}
	}
	var taken []takenPiece
	for _, i := range recomputed {
		old := st.gaps[i]
		st.gaps[i] = nil // kept as old
		st.setGap(i, next.Gaps[i])
		if old == nil {
			continue
		}
		d := old
		if st.gaps[i] != nil {
			d = old.Difference(st.gaps[i])
			old.Destroy()
		}
		if a := d.Area(); a > 1e-9 {
			b := d.Bounds()
			taken = append(taken, takenPiece{g: d, box: box{b.MinX, b.MinY, b.MaxX, b.MaxY}, area: a})
		} else {
			d.Destroy()
		}
	}
	st.taken = append(st.taken, taken)
	return nil
}

type candItem struct {
	k     int // the candidate's index
	at    orb.Point
	score float64
	level int
	round int // the round an exact score is for
	// parts are the parcels whose gap it can gain (ascending): those counted by its bound.
	parts  []int32
	region *geos.Geom // the candidate's own cover, once built (levelExact)
}

func (it *candItem) release() {
	if it.region != nil {
		it.region.Destroy()
		it.region = nil
	}
}

type candHeap struct{ items []candItem }

func (h *candHeap) Len() int { return len(h.items) }
func (h *candHeap) Less(i, j int) bool {
	if h.items[i].score != h.items[j].score {
		return h.items[i].score > h.items[j].score
	}
	a, b := h.items[i].at, h.items[j].at
	return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
}
func (h *candHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *candHeap) Push(x any)    { h.items = append(h.items, x.(candItem)) }
func (h *candHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// SiteGeometry is a site's square in EPSG:4326 and its centre.
type SiteGeometry struct {
	Lon      float64         `json:"lon"`
	Lat      float64         `json:"lat"`
	Geometry json.RawMessage `json:"geometry"`
}

// SitePolygons returns the squares of the sites of plan in EPSG:4326 (GeoJSON, 12
// decimals: the scenario change of a site is this polygon, and PostGIS projects it back
// onto the square to about 1e-7 m) with their centres, in srid's metric CRS.
func (s Store) SitePolygons(ctx context.Context, srid int, plan *SitePlan) ([]SiteGeometry, error) {
	if len(plan.Sites) == 0 {
		return nil, nil
	}
	xs, ys := make([]float64, len(plan.Sites)), make([]float64, len(plan.Sites))
	for i, site := range plan.Sites {
		xs[i], ys[i] = site.At[0], site.At[1]
	}
	h := plan.Park.SideM / 2
	rows, err := s.Pool.Query(ctx, `
		SELECT ST_X(c), ST_Y(c), ST_AsGeoJSON(sq, 12)::bytea
		FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, k),
		     LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $4::int), 4326) AS c,
		                     ST_Transform(ST_MakeEnvelope(x - $3, y - $3, x + $3, y + $3, $4::int), 4326) AS sq) g
		ORDER BY k`, xs, ys, h, srid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SiteGeometry
	for rows.Next() {
		var g SiteGeometry
		var b []byte
		if err := rows.Scan(&g.Lon, &g.Lat, &b); err != nil {
			return nil, err
		}
		g.Geometry = b
		out = append(out, g)
	}
	return out, rows.Err()
}

// SitesFault turns an error of Sites into the Invalid fault naming the parameter at fault,
// or leaves it as it is.
func SitesFault(err error) error {
	switch {
	case errors.Is(err, ErrSiteArea):
		return badParam("site_area", strings.TrimPrefix(err.Error(), "coverage: "))
	case errors.Is(err, ErrNoSiteSize):
		return badParam("caliber", strings.TrimPrefix(err.Error(), "coverage: "))
	}
	return err
}
