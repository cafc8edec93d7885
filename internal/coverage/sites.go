package coverage

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/caliber"
)

// DefaultSiteAreaM2 is the size of the pocket park proposed at each site.
const DefaultSiteAreaM2 = 400

// Site is a proposed pocket park.
type Site struct {
	Rank int       `json:"rank"`
	At   orb.Point `json:"-"` // metric CRS
	// GainM2 and GainPopulation are the uncovered residential land and residents the site
	// covers that no earlier site covers.
	GainM2         float64 `json:"gain_m2"`
	GainPopulation float64 `json:"gain_population"`
	// CoverageAfter is the city's coverage (area ratio) once this and every earlier site
	// is built; PopulationShareAfter likewise.
	CoverageAfter        float64 `json:"coverage_after"`
	PopulationShareAfter float64 `json:"population_share_after"`
}

// SitePlan is the outcome of Sites.
type SitePlan struct {
	SiteAreaM2 float64 `json:"site_area_m2"`
	SiteClass  string  `json:"site_class"`
	RadiusM    float64 `json:"radius_m"`
	// Note explains an adjustment, e.g. a site area raised to what the caliber counts.
	Note       string `json:"note,omitempty"`
	Candidates int    `json:"candidates"`
	Sites      []Site `json:"sites"`
}

// ErrNoSiteSize is returned when the caliber counts no park a pocket park could be.
var ErrNoSiteSize = errors.New("coverage: the caliber counts no garden or community park of any size")

// siteRadius picks the class and radius of a proposed park of about area m² under cal:
// a pocket garden, else a garden, else a community park; when cal counts none of these at
// that size the area is raised to the smallest size cal counts.
func siteRadius(cal caliber.Caliber, area float64) (class string, a, r float64, note string, err error) {
	try := func(a float64) (string, float64, bool) {
		for _, f := range []caliber.ParkFacts{
			{Class: caliber.Garden, Pocket: true, OpenStatus: "open", AreaM2: a},
			{Class: caliber.Garden, OpenStatus: "open", AreaM2: a},
			{Class: caliber.Community, OpenStatus: "open", AreaM2: a},
		} {
			if r, ok := cal.Radius(f); ok {
				return f.Class, r, true
			}
		}
		return "", 0, false
	}
	if c, r, ok := try(area); ok {
		return c, area, r, "", nil
	}
	if m, ok := cal.MinCountedArea(); ok && m > area {
		if c, r, ok := try(m); ok {
			return c, m, r, fmt.Sprintf("%s counts no park of %.0f m²; sites are sized %.0f m², the smallest it counts", cal.ID, area, m), nil
		}
	}
	return "", 0, 0, "", ErrNoSiteSize
}

// Sites proposes up to n pocket-park sites, chosen greedily: each is the candidate that
// covers the most still-uncovered residential land, and the land it covers is removed from
// the gap before the next choice, so gains never double-count. Candidates are the points
// on surface of the gap pieces, thinned to the best one per cell of half the radius. The
// proposed park is a square of siteArea m² centred on the site; its service area is that
// square buffered by the caliber's radius (the buffer method). res must hold gaps.
func Sites(ctx context.Context, res *Result, n int, siteArea float64) (*SitePlan, error) {
	if res.Gaps == nil {
		return nil, errors.New("coverage: Sites needs a result computed with Options.Gaps")
	}
	if siteArea <= 0 {
		siteArea = DefaultSiteAreaM2
	}
	class, siteArea, radius, note, err := siteRadius(res.Caliber, siteArea)
	if err != nil {
		return nil, err
	}
	plan := &SitePlan{SiteAreaM2: siteArea, SiteClass: class, RadiusM: radius, Note: note}
	snap := res.snapshot
	c := geos.NewContext()
	// Gap pieces with their residents per m².
	type piece struct {
		g       *geos.Geom
		area    float64
		density float64
	}
	var pieces []piece
	var boxes []box
	for i, mp := range res.Gaps {
		p := &snap.Parcels[i]
		for _, poly := range mp {
			a := area(orb.MultiPolygon{poly})
			if a < 1 {
				continue
			}
			pieces = append(pieces, piece{g: polyToGEOS(c, poly), area: a, density: ratio(p.Population, p.AreaM2)})
			boxes = append(boxes, boxOf(poly.Bound()))
		}
	}
	defer func() {
		for _, p := range pieces {
			p.g.Destroy()
		}
	}()
	tree := newSTRTree(boxes)
	// Candidates: best point per cell.
	cell := radius / 2
	type cand struct {
		at    orb.Point
		score float64
	}
	best := map[[2]int64]cand{}
	for k, p := range pieces {
		pt, ok := pointOnSurface(orb.MultiPolygon{mustPoly(p.g)})
		if !ok {
			continue
		}
		key := [2]int64{int64(math.Floor(pt[0] / cell)), int64(math.Floor(pt[1] / cell))}
		if b, ok := best[key]; !ok || pieces[k].area > b.score {
			best[key] = cand{pt, pieces[k].area}
		}
	}
	half := math.Sqrt(siteArea) / 2
	service := func(pt orb.Point) *geos.Geom {
		sq := c.NewGeomFromBounds(pt[0]-half, pt[1]-half, pt[0]+half, pt[1]+half)
		defer sq.Destroy()
		return sq.Buffer(radius, QuadSegs)
	}
	var hits []int32
	// gain returns the uncovered area and residents the site at pt would cover now.
	gain := func(pt orb.Point) (float64, float64) {
		sa := service(pt)
		defer sa.Destroy()
		prep := sa.Prepare()
		defer prep.Destroy()
		q := box{pt[0] - half - radius, pt[1] - half - radius, pt[0] + half + radius, pt[1] + half + radius}
		hits = tree.query(q, boxes, hits[:0])
		var a, pop float64
		for _, h := range hits {
			p := &pieces[h]
			if p.area <= 0 {
				continue
			}
			var x float64
			switch {
			case prep.Contains(p.g):
				x = p.area
			case prep.Intersects(p.g):
				ig := p.g.Intersection(sa)
				x = ig.Area()
				ig.Destroy()
			}
			a += x
			pop += x * p.density
		}
		return a, pop
	}
	h := &candHeap{}
	for _, cd := range best {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a, _ := gain(cd.at)
		if a > 0 {
			h.items = append(h.items, candItem{at: cd.at, score: a, round: 0})
		}
	}
	plan.Candidates = len(h.items)
	heap.Init(h)
	covered, coveredPop := res.CoveredM2, res.CoveredPopulation
	round := 0
	for len(plan.Sites) < n && h.Len() > 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		top := heap.Pop(h).(candItem)
		if top.round != round {
			// Stale: rescore against the current gap; scores only fall, so if it still
			// beats every other (upper-bound) score it is the true best.
			a, _ := gain(top.at)
			if a > 0 {
				top.score, top.round = a, round
				heap.Push(h, top)
			}
			continue
		}
		a, pop := gain(top.at)
		sa := service(top.at)
		for _, hh := range hits {
			p := &pieces[hh]
			if p.area <= 0 || !p.g.Intersects(sa) {
				continue
			}
			d := p.g.Difference(sa)
			p.g.Destroy()
			p.g, p.area = d, d.Area()
		}
		sa.Destroy()
		round++
		covered += a
		coveredPop += pop
		plan.Sites = append(plan.Sites, Site{Rank: len(plan.Sites) + 1, At: top.at, GainM2: a, GainPopulation: pop,
			CoverageAfter: ratio(covered, res.TotalM2), PopulationShareAfter: ratio(coveredPop, res.Population)})
	}
	return plan, nil
}

func mustPoly(g *geos.Geom) orb.Polygon {
	mp, err := fromGEOS(g)
	if err != nil || len(mp) == 0 {
		return nil
	}
	return mp[0]
}

type candItem struct {
	at    orb.Point
	score float64
	round int
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
