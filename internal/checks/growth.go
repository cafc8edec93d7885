package checks

import (
	"context"
	"sort"

	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/edition"
)

// Expansion compares a growth-boundary edition with the base-year urban construction land
// (standards §4: the UGB is capped by an expansion multiplier, ⚠ configurable). BaseArea
// comes from the configuration (growth.base_urban_area_m2 for the city, or the
// base_area_m2 parameter) or, when growth.base_urban_layer is "residential_land", from the
// union of residential land, a proxy labelled as such. Without either, Ratio is nil.
type Expansion struct {
	Edition   string   `json:"edition"`
	Area      float64  `json:"boundary_area_m2"`
	BaseArea  *float64 `json:"base_urban_area_m2"`
	Source    string   `json:"base_source"`
	Ratio     *float64 `json:"ratio"`
	Cap       float64  `json:"cap"`
	WithinCap *bool    `json:"within_cap"`
}

func expansion(l *Layers, b *Boundary, cfg GrowthConfig) *Expansion {
	e := &Expansion{Edition: b.Edition, Area: b.Geom.Area(), Cap: cfg.ExpansionCap, Source: "not configured"}
	if v, ok := cfg.BaseArea[l.City.Slug]; ok && v > 0 {
		e.BaseArea, e.Source = &v, "configured"
	} else if cfg.BaseLayer == "residential_land" && len(l.Residential) > 0 {
		gs := make([]*geos.Geom, len(l.Residential))
		for i, r := range l.Residential {
			gs[i] = r.Geom
		}
		v := geos.NewCollection(geos.TypeIDGeometryCollection, cloneAll(gs)).UnaryUnion().Area()
		e.BaseArea, e.Source = &v, "residential_land (proxy: residential land only, not all urban construction land)"
	}
	if e.BaseArea != nil {
		r := e.Area / *e.BaseArea
		w := r <= e.Cap
		e.Ratio, e.WithinCap = &r, &w
	}
	return e
}

// cloneAll clones geometries that are about to be owned by a new collection.
func cloneAll(gs []*geos.Geom) []*geos.Geom {
	out := make([]*geos.Geom, len(gs))
	for i, g := range gs {
		out[i] = g.Clone()
	}
	return out
}

// DiffReport is what changed between two growth-boundary editions: Added = To − From,
// Removed = From − To, each as polygons with their areas (m²).
type DiffReport struct {
	City City `json:"city"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf        *edition.AsOf `json:"as_of,omitempty"`
	From        *EditionInfo  `json:"from"`
	To          *EditionInfo  `json:"to"`
	AddedArea   float64       `json:"added_area_m2"`
	RemovedArea float64       `json:"removed_area_m2"`
	NetChange   float64       `json:"net_change_m2"`
	Added       []DiffPiece   `json:"added"`
	Removed     []DiffPiece   `json:"removed"`
	Expansion   *Expansion    `json:"expansion"` // of the To edition
}

// DiffPiece is one polygon of a diff.
type DiffPiece struct {
	Area float64 `json:"area_m2"`

	geom *geos.Geom
}

// GrowthNeed is what the growth-boundary checks read.
const GrowthNeed = NeedBoundaries | NeedResidential | NeedFacilities

// DiffEditions compares the editions chosen by from and to.
func DiffEditions(_ context.Context, l *Layers, from, to EditionQuery, cfg GrowthConfig) (*DiffReport, error) {
	if len(l.Boundaries) == 0 {
		return nil, errNoBoundary(l.City)
	}
	a, err := selectEdition(l.Boundaries, from)
	if err != nil {
		return nil, err
	}
	b, err := selectEdition(l.Boundaries, to)
	if err != nil {
		return nil, err
	}
	rep := &DiffReport{City: l.City, From: editionInfo(a), To: editionInfo(b), Added: []DiffPiece{}, Removed: []DiffPiece{}}
	rep.Added, rep.AddedArea = pieces(b.Geom.Difference(a.Geom), cfg.MinArea)
	rep.Removed, rep.RemovedArea = pieces(a.Geom.Difference(b.Geom), cfg.MinArea)
	rep.NetChange = rep.AddedArea - rep.RemovedArea
	rep.Expansion = expansion(l, b, cfg)
	return rep, nil
}

func pieces(g *geos.Geom, min float64) ([]DiffPiece, float64) {
	out := []DiffPiece{}
	total := 0.0
	forEachPolygon(g, func(p *geos.Geom) {
		if a := p.Area(); a > 0 && a >= min {
			out = append(out, DiffPiece{Area: a, geom: p.Clone()})
			total += a
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Area > out[j].Area })
	return out, total
}

// Features returns the added and removed polygons.
func (r *DiffReport) Features() []Feature {
	var out []Feature
	for _, p := range r.Added {
		out = append(out, Feature{Geom: p.geom, Props: map[string]any{"kind": "added", "from": r.From.Edition, "to": r.To.Edition, "area_m2": round2(p.Area)}})
	}
	for _, p := range r.Removed {
		out = append(out, Feature{Geom: p.geom, Props: map[string]any{"kind": "removed", "from": r.From.Edition, "to": r.To.Edition, "area_m2": round2(p.Area)}})
	}
	return out
}

// OutsideReport lists residential land and facilities outside a growth-boundary edition
// (standards §4: no concentrated urban construction outside the UGB).
type OutsideReport struct {
	City City `json:"city"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf               *edition.AsOf     `json:"as_of,omitempty"`
	Edition            *EditionInfo      `json:"growth_boundary_edition"`
	ResidentialOutside float64           `json:"residential_outside_m2"`
	PopulationOutside  float64           `json:"population_outside"` // pro rata by area
	Residential        []OutsideLand     `json:"residential"`
	Facilities         []OutsideFacility `json:"facilities"`
}

// OutsideLand is a residential parcel that lies wholly or partly outside the boundary.
type OutsideLand struct {
	ID          int64   `json:"id"`
	Area        float64 `json:"area_m2"`
	OutsideArea float64 `json:"outside_area_m2"`
	Population  int     `json:"population"`

	geom *geos.Geom // the part outside
}

// OutsideFacility is a facility outside the boundary.
type OutsideFacility struct {
	ID       int64  `json:"id"`
	Category string `json:"category"`
	Name     string `json:"name"`

	geom *geos.Geom
}

// CheckOutside finds residential land and facilities outside the chosen edition.
func CheckOutside(ctx context.Context, l *Layers, q EditionQuery, cfg GrowthConfig) (*OutsideReport, error) {
	if len(l.Boundaries) == 0 {
		return nil, errNoBoundary(l.City)
	}
	b, err := selectEdition(l.Boundaries, q)
	if err != nil {
		return nil, err
	}
	rep := &OutsideReport{City: l.City, Edition: editionInfo(b), Residential: []OutsideLand{}, Facilities: []OutsideFacility{}}
	pg := b.Geom.Prepare()
	for i, r := range l.Residential {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if pg.Covers(r.Geom) {
			continue
		}
		out := r.Geom.Difference(b.Geom)
		a := out.Area()
		if a == 0 || a < cfg.MinArea {
			continue
		}
		total := r.Geom.Area()
		rep.Residential = append(rep.Residential, OutsideLand{ID: r.ID, Area: total, OutsideArea: a, Population: r.Population, geom: out})
		rep.ResidentialOutside += a
		if total > 0 {
			rep.PopulationOutside += float64(r.Population) * a / total
		}
	}
	for _, f := range l.Facilities {
		if !pg.Covers(f.Geom) {
			rep.Facilities = append(rep.Facilities, OutsideFacility{ID: f.ID, Category: f.Category, Name: f.Name, geom: f.Geom})
		}
	}
	sort.SliceStable(rep.Residential, func(i, j int) bool { return rep.Residential[i].OutsideArea > rep.Residential[j].OutsideArea })
	return rep, nil
}

// Features returns the outside parts of residential land and the outside facilities.
func (r *OutsideReport) Features() []Feature {
	var out []Feature
	for _, x := range r.Residential {
		out = append(out, Feature{Geom: x.geom, Props: map[string]any{"kind": "residential_outside", "id": x.ID, "area_m2": round2(x.Area), "outside_area_m2": round2(x.OutsideArea), "population": x.Population}})
	}
	for _, f := range r.Facilities {
		out = append(out, Feature{Geom: f.geom, Props: map[string]any{"kind": "facility_outside", "id": f.ID, "category": f.Category, "name": f.Name}})
	}
	return out
}
