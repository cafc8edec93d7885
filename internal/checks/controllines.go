package checks

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
)

// The three control lines (standards §4): 生态保护红线 (eco_redlines), 永久基本农田
// (basic_farmland) and 城镇开发边界 (growth_boundaries, one edition) must not overlap.
const (
	LayerGrowthBoundary = "growth_boundary"
	LayerRedline        = "eco_redline"
	LayerFarmland       = "basic_farmland"
)

// ControlLinesReport lists every overlap between two of the three control lines.
type ControlLinesReport struct {
	City City `json:"city"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf       *edition.AsOf `json:"as_of,omitempty"`
	Edition    *EditionInfo  `json:"growth_boundary_edition"` // nil when the city has no boundary
	MinOverlap float64       `json:"min_overlap_m2"`
	Conforms   bool          `json:"conforms"` // no overlap at all
	TotalArea  float64       `json:"total_overlap_m2"`
	Pairs      []PairSummary `json:"pairs"`
	Overlaps   []Overlap     `json:"overlaps"`
	Expansion  *Expansion    `json:"expansion,omitempty"`
}

// EditionInfo describes the growth-boundary edition a check used.
type EditionInfo struct {
	ID        int64   `json:"id"`
	Edition   string  `json:"edition"`
	ValidFrom string  `json:"valid_from"`
	ValidTo   *string `json:"valid_to"`
	Area      float64 `json:"area_m2"`
}

// PairSummary totals the overlaps of two layers.
type PairSummary struct {
	A     string  `json:"a"`
	B     string  `json:"b"`
	Count int     `json:"count"`
	Area  float64 `json:"area_m2"`
}

// Overlap is one overlap polygon between a feature of layer A and one of layer B.
type Overlap struct {
	A     string  `json:"a"`
	AID   int64   `json:"a_id"`
	AName string  `json:"a_name"`
	B     string  `json:"b"`
	BID   int64   `json:"b_id"`
	BName string  `json:"b_name"`
	Area  float64 `json:"area_m2"`

	geom *geos.Geom
}

// EditionQuery picks a growth-boundary edition: by name, else the one in force on Date,
// else the one in force on Today (else the latest).
type EditionQuery struct {
	Edition string
	Date    *time.Time
	Today   time.Time
}

// ControlLinesNeed is what CheckControlLines reads.
const ControlLinesNeed = NeedRedlines | NeedFarmland | NeedBoundaries | NeedResidential

// named is a polygon feature of one control-line layer.
type named struct {
	layer string
	id    int64
	name  string
	geom  *geos.Geom
}

// CheckControlLines intersects every pair of features of the three control lines.
func CheckControlLines(ctx context.Context, l *Layers, q EditionQuery, cfg Config) (*ControlLinesReport, error) {
	rep := &ControlLinesReport{City: l.City, MinOverlap: cfg.ControlLines.MinOverlap, Overlaps: []Overlap{}}
	var ugb []named
	if len(l.Boundaries) > 0 {
		b, err := selectEdition(l.Boundaries, q)
		if err != nil {
			return nil, err
		}
		rep.Edition = editionInfo(b)
		ugb = []named{{LayerGrowthBoundary, b.ID, b.Edition, b.Geom}}
		rep.Expansion = expansion(l, b, cfg.Growth)
	}
	red := make([]named, len(l.Redlines))
	for i, a := range l.Redlines {
		red[i] = named{LayerRedline, a.ID, a.Name, a.Geom}
	}
	farm := make([]named, len(l.Farmland))
	for i, a := range l.Farmland {
		farm[i] = named{LayerFarmland, a.ID, a.Name, a.Geom}
	}
	pairs := []struct {
		a, b   string
		as, bs []named
	}{
		{LayerGrowthBoundary, LayerRedline, ugb, red},
		{LayerGrowthBoundary, LayerFarmland, ugb, farm},
		{LayerRedline, LayerFarmland, red, farm},
	}
	for _, p := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum := PairSummary{A: p.a, B: p.b}
		for _, a := range p.as {
			for _, b := range p.bs {
				for _, o := range overlapsOf(a, b, cfg.ControlLines.MinOverlap) {
					sum.Count++
					sum.Area += o.Area
					rep.Overlaps = append(rep.Overlaps, o)
				}
			}
		}
		rep.TotalArea += sum.Area
		rep.Pairs = append(rep.Pairs, sum)
	}
	sortOverlaps(rep.Overlaps)
	rep.Conforms = len(rep.Overlaps) == 0
	return rep, nil
}

// overlapsOf returns each polygon of a ∩ b whose area is at least min m².
func overlapsOf(a, b named, min float64) []Overlap {
	if !a.geom.Bounds().Intersects(b.geom.Bounds()) || !a.geom.Intersects(b.geom) {
		return nil
	}
	var out []Overlap
	forEachPolygon(a.geom.Intersection(b.geom), func(p *geos.Geom) {
		if ar := p.Area(); ar > 0 && ar >= min {
			out = append(out, Overlap{A: a.layer, AID: a.id, AName: a.name, B: b.layer, BID: b.id, BName: b.name, Area: ar, geom: p.Clone()})
		}
	})
	return out
}

// selectEdition applies q to the editions of a city.
func selectEdition(bs []Boundary, q EditionQuery) (*Boundary, error) {
	if q.Edition != "" {
		for i := range bs {
			if bs[i].Edition == q.Edition {
				return &bs[i], nil
			}
		}
		return nil, fault.Invalid(fmt.Sprintf("no growth-boundary edition %q", q.Edition)).With("parameter", "edition")
	}
	day := q.Today
	if q.Date != nil {
		day = *q.Date
	}
	for i := range bs {
		if bs[i].ValidOn(day) {
			return &bs[i], nil
		}
	}
	if q.Date != nil {
		return nil, fault.Invalid("no growth-boundary edition in force on "+q.Date.Format(time.DateOnly)).With("parameter", "date")
	}
	latest := &bs[0]
	for i := range bs {
		if bs[i].ValidFrom.After(latest.ValidFrom) {
			latest = &bs[i]
		}
	}
	return latest, nil
}

func editionInfo(b *Boundary) *EditionInfo {
	e := &EditionInfo{ID: b.ID, Edition: b.Edition, ValidFrom: b.ValidFrom.Format(time.DateOnly), Area: b.Geom.Area()}
	if b.ValidTo != nil {
		s := b.ValidTo.Format(time.DateOnly)
		e.ValidTo = &s
	}
	return e
}

// Features returns each overlap polygon.
func (r *ControlLinesReport) Features() []Feature {
	out := make([]Feature, 0, len(r.Overlaps))
	for _, o := range r.Overlaps {
		out = append(out, Feature{Geom: o.geom, Props: map[string]any{"kind": "overlap", "a": o.A, "a_id": o.AID, "a_name": o.AName, "b": o.B, "b_id": o.BID, "b_name": o.BName, "area_m2": round2(o.Area)}})
	}
	return out
}

func sortOverlaps(os []Overlap) {
	sort.SliceStable(os, func(i, j int) bool { return os[i].Area > os[j].Area })
}

func errNoBoundary(c City) error {
	return fault.NotFound("city " + c.Slug + " has no growth boundary")
}
