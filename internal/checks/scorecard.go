package checks

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/edition"
)

// Reach decides which facilities serve a community: those inside it or within the walking
// tier of it. The walking-network implementation (internal/walk, when it lands) answers
// with network distances from the community's homes; BufferReach is the straight-line
// fallback. Reached returns, for each community (same order), the indices into sites of
// the facilities that serve it.
type Reach interface {
	Method() string
	Reached(ctx context.Context, city City, communities []Community, sites []Facility, tier float64) ([][]int, error)
}

// BufferReach is the straight-line fallback, method "buffer": a facility serves a
// community when it lies within tier metres of the community polygon (ST_DWithin on
// geom_m), inside it included. It overstates reach where barriers (rivers, railways,
// walls) lengthen the walk.
type BufferReach struct{}

// Method names the method in every report.
func (BufferReach) Method() string { return "buffer" }

// Reached implements Reach with a grid of the sites and GEOS distance tests.
func (BufferReach) Reached(ctx context.Context, _ City, cs []Community, sites []Facility, tier float64) ([][]int, error) {
	const cell = 500.0
	type key struct{ x, y int }
	grid := map[key][]int{}
	for i, s := range sites {
		k := key{int(math.Floor(s.Geom.X() / cell)), int(math.Floor(s.Geom.Y() / cell))}
		grid[k] = append(grid[k], i)
	}
	out := make([][]int, len(cs))
	for ci, c := range cs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b := c.Geom.Bounds()
		pg := c.Geom.Prepare()
		for gx := int(math.Floor((b.MinX - tier) / cell)); gx <= int(math.Floor((b.MaxX+tier)/cell)); gx++ {
			for gy := int(math.Floor((b.MinY - tier) / cell)); gy <= int(math.Floor((b.MaxY+tier)/cell)); gy++ {
				for _, i := range grid[key{gx, gy}] {
					if pg.DistanceWithin(sites[i].Geom, tier) {
						out[ci] = append(out[ci], i)
					}
				}
			}
		}
		sort.Ints(out[ci])
	}
	return out, nil
}

// ScorecardReport scores every community against the complete-community checklist
// (standards §3).
type ScorecardReport struct {
	City     City             `json:"city"`
	Method   string           `json:"method"` // how "within the walking tier" was decided
	Tier     float64          `json:"tier_m"`
	Items    []Item           `json:"items"`
	Complete int              `json:"complete"`
	Target   int              `json:"target"`
	Meets    bool             `json:"meets_target"`
	Scores   []CommunityScore `json:"communities"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf *edition.AsOf `json:"as_of,omitempty"`
}

// CommunityScore is one community's result. Score = Met / Items; Complete when all are met.
// Flagged lists items counted as met only thanks to a facility whose floor area is unknown
// ("present, area unknown").
type CommunityScore struct {
	ID       int64        `json:"id"`
	Code     string       `json:"code"`
	Name     string       `json:"name"`
	Met      int          `json:"met"`
	Total    int          `json:"items"`
	Score    float64      `json:"score"`
	Complete bool         `json:"complete"`
	Missing  []string     `json:"missing"`
	Flagged  []string     `json:"area_unknown"`
	Details  []ItemResult `json:"details"`

	geom *geos.Geom
}

// ItemResult is one checklist item of one community.
type ItemResult struct {
	Key         string  `json:"key"`
	Met         bool    `json:"met"`
	AreaUnknown bool    `json:"area_unknown,omitempty"`
	Count       int     `json:"count"`            // qualifying facilities or parks found
	Detail      string  `json:"detail,omitempty"` // why it is missing
	Value       float64 `json:"value,omitempty"`  // floor area per 100 households, largest park…
}

// ScorecardNeed is what CheckScorecard reads.
const ScorecardNeed = NeedCommunities | NeedFacilities | NeedParks

// CheckScorecard scores every community of l with reach deciding which facilities serve
// which community.
func CheckScorecard(ctx context.Context, l *Layers, reach Reach, cfg ScorecardConfig) (*ScorecardReport, error) {
	rep := &ScorecardReport{City: l.City, Method: reach.Method(), Tier: cfg.Tier, Items: cfg.Items, Target: cfg.TargetComplete, Scores: []CommunityScore{}}
	// One reach query for every facility of a category the checklist names.
	var wanted []string
	for _, it := range cfg.Items {
		wanted = append(wanted, it.Categories...)
	}
	var sites []Facility
	for _, f := range l.Facilities {
		if slices.Contains(wanted, f.Category) {
			sites = append(sites, f)
		}
	}
	reached, err := reach.Reached(ctx, l.City, l.Communities, sites, cfg.Tier)
	if err != nil {
		return nil, err
	}
	for ci, c := range l.Communities {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s := CommunityScore{ID: c.ID, Code: c.Code, Name: c.Name, Total: len(cfg.Items), Missing: []string{}, Flagged: []string{}, geom: c.Geom}
		pc := c.Geom.Prepare()
		var near []Facility
		for _, i := range reached[ci] {
			near = append(near, sites[i])
		}
		for _, it := range cfg.Items {
			var r ItemResult
			switch it.Kind {
			case "all_of":
				r = scoreAllOf(it, near)
			case "park":
				r = scorePark(it, c, l.Parks, cfg.Tier)
			case "floor_per_households":
				r = scoreFloor(it, c, pc, near)
			default:
				r = scoreFacility(it, near)
			}
			r.Key = it.Key
			if r.Met {
				s.Met++
				if r.AreaUnknown {
					s.Flagged = append(s.Flagged, it.Key)
				}
			} else {
				s.Missing = append(s.Missing, it.Key)
			}
			s.Details = append(s.Details, r)
		}
		s.Score = ratio(float64(s.Met), float64(s.Total))
		s.Complete = s.Met == s.Total
		if s.Complete {
			rep.Complete++
		}
		rep.Scores = append(rep.Scores, s)
	}
	rep.Meets = rep.Complete >= rep.Target
	return rep, nil
}

// scoreFacility: at least MinCount facilities with floor area ≥ MinFloor; unknown floor
// areas count, flagged.
func scoreFacility(it Item, near []Facility) ItemResult {
	need := max(it.MinCount, 1)
	known, unknown, largest, any := 0, 0, 0.0, 0
	for _, f := range near {
		if !slices.Contains(it.Categories, f.Category) {
			continue
		}
		any++
		switch {
		case it.MinFloor <= 0:
			known++ // no floor requirement: presence is enough
		case f.FloorArea == nil:
			unknown++
		case *f.FloorArea >= it.MinFloor:
			known++
		}
		if f.FloorArea != nil && *f.FloorArea > largest {
			largest = *f.FloorArea
		}
	}
	r := ItemResult{Count: known + unknown}
	switch {
	case known >= need:
		r.Met = true
	case known+unknown >= need:
		r.Met, r.AreaUnknown = true, true
	case any == 0:
		r.Detail = "none within reach"
	case it.MinFloor > 0 && known+unknown == 0:
		r.Detail = fmt.Sprintf("largest %.0f m² < %.0f m²", largest, it.MinFloor)
		r.Value = largest
	default:
		r.Detail = fmt.Sprintf("%d found, %d needed", known+unknown, need)
	}
	return r
}

// scoreAllOf: one facility of each category.
func scoreAllOf(it Item, near []Facility) ItemResult {
	var lacking []string
	found := 0
	for _, cat := range it.Categories {
		ok := false
		for _, f := range near {
			if f.Category == cat {
				ok = true
				break
			}
		}
		if ok {
			found++
		} else {
			lacking = append(lacking, cat)
		}
	}
	r := ItemResult{Met: len(lacking) == 0, Count: found}
	if !r.Met {
		r.Detail = fmt.Sprintf("lacking %v", lacking)
	}
	return r
}

// scorePark: an open park of the listed classes with an area ≥ MinArea within the tier of
// the community (straight-line distance between the polygons).
func scorePark(it Item, c Community, parks []Park, tier float64) ItemResult {
	r := ItemResult{}
	largest := 0.0
	pc := c.Geom.Prepare()
	b := c.Geom.Bounds()
	for _, p := range parks {
		if p.OpenStatus == "closed" || (len(it.ParkClasses) > 0 && !slices.Contains(it.ParkClasses, p.Class)) {
			continue
		}
		pb := p.Geom.Bounds()
		if pb.MinX > b.MaxX+tier || pb.MaxX < b.MinX-tier || pb.MinY > b.MaxY+tier || pb.MaxY < b.MinY-tier {
			continue
		}
		if !pc.DistanceWithin(p.Geom, tier) {
			continue
		}
		largest = math.Max(largest, p.Area)
		if p.Area >= it.MinArea {
			r.Count++
		}
	}
	r.Met = r.Count > 0
	r.Value = largest
	if !r.Met {
		if largest > 0 {
			r.Detail = fmt.Sprintf("largest park within reach %.0f m² < %.0f m²", largest, it.MinArea)
		} else {
			r.Detail = "no park within reach"
		}
	}
	return r
}

// scoreFloor: the floor area of the listed categories inside the community, per 100
// households, against PerHundred. Facilities only within the tier are shared with
// neighbours and are not counted here.
func scoreFloor(it Item, c Community, pc *geos.PrepGeom, near []Facility) ItemResult {
	sum, unknown := 0.0, 0
	for _, f := range near {
		if !slices.Contains(it.Categories, f.Category) || !pc.Covers(f.Geom) {
			continue
		}
		if f.FloorArea == nil {
			unknown++
		} else {
			sum += *f.FloorArea
		}
	}
	need := it.PerHundred * float64(c.Households) / 100
	r := ItemResult{Count: unknown}
	if c.Households > 0 {
		r.Value = sum / float64(c.Households) * 100
	}
	switch {
	case sum >= need:
		r.Met = true
	case unknown > 0:
		r.Met, r.AreaUnknown = true, true
	default:
		r.Detail = fmt.Sprintf("%.0f m² < %.0f m² for %d households", sum, need, c.Households)
	}
	return r
}

// Features returns each community with its score.
func (r *ScorecardReport) Features() []Feature {
	out := make([]Feature, 0, len(r.Scores))
	for _, s := range r.Scores {
		out = append(out, Feature{Geom: s.geom, Props: map[string]any{"kind": "community", "id": s.ID, "code": s.Code, "name": s.Name, "met": s.Met, "items": s.Total, "score": round4(s.Score), "complete": s.Complete, "missing": s.Missing, "area_unknown": s.Flagged}})
	}
	return out
}
