package walk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/fault"
)

// MaxParcelPage is the most parcels one page of the per-parcel living circle holds.
const MaxParcelPage = 5000

// ParcelQuery selects a page of the per-parcel living circle: the parcels of the city with
// an id above *After (nil: from the first; a scenario's added parcels have negative ids), in
// id order, at most Limit of them (0: MaxParcelPage), for the
// categories listed (empty: every category).
type ParcelQuery struct {
	Categories []string
	After      *int64
	Limit      int
}

// ParcelReach is one residential parcel's walking distance to the nearest facility of
// every category asked for.
type ParcelReach struct {
	ID         int64           `json:"id"`
	AreaM2     float64         `json:"area_m2"`
	Population float64         `json:"population"`
	Attached   bool            `json:"attached"`
	Categories []ParcelNearest `json:"categories"`
	// X, Y are the parcel's point on surface in the metric CRS (where the walk starts).
	X, Y float64 `json:"-"`
}

// ParcelNearest is a parcel's nearest facility of one category: the walking distance (nil
// when none is within the search cutoff or the parcel has no walkable edge within
// MaxSnap), whether it is within the category's tier, and the facility (for park_square the
// park, reached at one of its access points).
type ParcelNearest struct {
	Category     string   `json:"category"`
	ReachM       float64  `json:"reach_m"`
	DistanceM    *float64 `json:"distance_m"`
	Within       bool     `json:"within"`
	FacilityID   *int64   `json:"facility_id"`
	FacilityName *string  `json:"facility_name"`
}

// ParcelPage is one page of ParcelReach rows, with the number of parcels in the city
// (Matched) and the id to continue after (Next, 0 on the last page).
type ParcelPage struct {
	City    City    `json:"city"`
	Version string  `json:"version,omitempty"`
	Cutoff  float64 `json:"cutoff_m"`
	Matched int     `json:"matched"`
	// Categories are the codes asked for, in the order of every row's Categories.
	Categories []string      `json:"-"`
	Parcels    []ParcelReach `json:"parcels"`
	Next       int64         `json:"next,omitempty"`
}

// Parcels returns a page of the per-parcel figures of the reach r on in: exactly the
// distances Indicator aggregates (a parcel counts for a category when its distance is
// within the tier). opt's Reach and Profile set the tiers as for the indicator.
func Parcels(in *Inputs, r *Reach, opt Options, q ParcelQuery) (*ParcelPage, error) {
	if err := opt.normalise(in); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = MaxParcelPage
	}
	if q.Limit < 0 || q.Limit > MaxParcelPage {
		return nil, fault.Invalid(fmt.Sprintf("limit must be from 1 to %d", MaxParcelPage)).With("parameter", "limit")
	}
	var ks []int
	for _, code := range q.Categories {
		k := -1
		for j, c := range r.Categories {
			if c.Code == code {
				k = j
			}
		}
		if k < 0 {
			return nil, fault.Invalid(fmt.Sprintf("unknown facility category %q", code)).With("parameter", "category")
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		for k := range r.Categories {
			ks = append(ks, k)
		}
	}
	tiers := make([]float64, len(r.Categories))
	for k, c := range r.Categories {
		tiers[k] = c.ReachM
		if m, ok := opt.Reach[c.Code]; ok {
			tiers[k] = m
		}
		if tiers[k] > r.Cutoff {
			return nil, fmt.Errorf("walk: tier %g m of %s exceeds the reach cutoff %g m", tiers[k], c.Code, r.Cutoff)
		}
	}
	// Parcels in id order (the loader reads them so, a scenario appends its own).
	order := make([]int, len(in.Parcels))
	for p := range order {
		order[p] = p
	}
	sort.SliceStable(order, func(a, b int) bool { return in.Parcels[order[a]].ID < in.Parcels[order[b]].ID })
	start := 0
	if q.After != nil {
		start = sort.Search(len(order), func(i int) bool { return in.Parcels[order[i]].ID > *q.After })
	}
	page := &ParcelPage{City: in.City, Version: in.Version, Cutoff: r.Cutoff, Matched: len(in.Parcels)}
	for _, k := range ks {
		page.Categories = append(page.Categories, r.Categories[k].Code)
	}
	for _, p := range order[start:] {
		if len(page.Parcels) == q.Limit {
			page.Next = page.Parcels[len(page.Parcels)-1].ID
			break
		}
		pc := &in.Parcels[p]
		row := ParcelReach{ID: pc.ID, AreaM2: pc.AreaM2, Population: pc.Population, Attached: r.Attached[p],
			X: pc.Point[0], Y: pc.Point[1], Categories: make([]ParcelNearest, 0, len(ks))}
		for _, k := range ks {
			n := ParcelNearest{Category: r.Categories[k].Code, ReachM: tiers[k]}
			if d := r.Dist[k][p]; !math.IsInf(d, 0) {
				n.DistanceM = &d
				n.Within = d <= tiers[k]
			}
			if i := r.Nearest[k][p]; i >= 0 {
				f := &in.Facilities[i]
				id, name := f.ID, f.Name
				n.FacilityID, n.FacilityName = &id, &name
			}
			row.Categories = append(row.Categories, n)
		}
		page.Parcels = append(page.Parcels, row)
	}
	return page, nil
}

// LivingCircleParcels is Parcels on the city's current baseline (the reach the indicator
// reads); tiers beyond its cutoff are searched afresh, as the indicator does.
func (s *Service) LivingCircleParcels(ctx context.Context, slug string, opt Options, q ParcelQuery) (*ParcelPage, error) {
	city, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	n, in, r, err := s.Baseline(ctx, city)
	if err != nil {
		return nil, err
	}
	if _, in, r, err = s.reachFor(ctx, n, in, r, &opt); err != nil {
		return nil, err
	}
	return Parcels(in, r, opt, q)
}

// Properties flattens a parcel's row for GeoJSON, the OGC collection and the report sheet:
// id, area_m2, population, attached, then per category <code>_m (null: not reached within
// the cutoff), <code>_within, <code>_facility_id and <code>_facility_name.
func (p *ParcelReach) Properties() map[string]any {
	m := map[string]any{"id": p.ID, "area_m2": p.AreaM2, "population": p.Population, "attached": p.Attached}
	for _, c := range p.Categories {
		m[c.Category+"_m"] = c.DistanceM
		m[c.Category+"_within"] = c.Within
		m[c.Category+"_facility_id"] = c.FacilityID
		m[c.Category+"_facility_name"] = c.FacilityName
	}
	return m
}

// CategoryProperties are the properties of a row of one category (the OGC collection's):
// id, area_m2, population, attached, category, reach_m, distance_m, within, facility_id
// and facility_name.
func (p *ParcelReach) CategoryProperties() map[string]any {
	m := map[string]any{"id": p.ID, "area_m2": p.AreaM2, "population": p.Population, "attached": p.Attached}
	if len(p.Categories) > 0 {
		c := p.Categories[0]
		m["category"], m["reach_m"], m["distance_m"], m["within"] = c.Category, c.ReachM, c.DistanceM, c.Within
		m["facility_id"], m["facility_name"] = c.FacilityID, c.FacilityName
	}
	return m
}

// ParcelsGeoJSON renders a page as a GeoJSON FeatureCollection in EPSG:4326: one feature per
// parcel at its point on surface (where its walk starts), with the properties props gives
// (nil: Properties), and the foreign members numberMatched, numberReturned, cutoff_m and
// next (the after= of the next page, absent on the last).
func (s *Service) ParcelsGeoJSON(ctx context.Context, page *ParcelPage, props func(*ParcelReach) map[string]any) (json.RawMessage, error) {
	if props == nil {
		props = (*ParcelReach).Properties
	}
	pts := make([]orb.Geometry, len(page.Parcels))
	for i, p := range page.Parcels {
		pts[i] = orb.Point{p.X, p.Y}
	}
	geoms, err := s.Store.ToLonLat(ctx, page.City.MetricSRID, pts)
	if err != nil {
		return nil, err
	}
	fc := struct {
		Type     string       `json:"type"`
		Features []geoFeature `json:"features"`
		Matched  int          `json:"numberMatched"`
		Returned int          `json:"numberReturned"`
		Cutoff   float64      `json:"cutoff_m"`
		Next     *int64       `json:"next,omitempty"`
	}{Type: "FeatureCollection", Features: make([]geoFeature, len(page.Parcels)), Matched: page.Matched,
		Returned: len(page.Parcels), Cutoff: page.Cutoff}
	if page.Next != 0 {
		fc.Next = &page.Next
	}
	for i := range page.Parcels {
		p := &page.Parcels[i]
		fc.Features[i] = geoFeature{Type: "Feature", ID: p.ID, Geometry: geoms[i], Properties: props(p)}
	}
	return json.Marshal(fc)
}
