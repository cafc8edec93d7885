package scenario

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
)

// SitesRequest asks for a scenario of the top N pocket-park sites. Empty Caliber and Method
// are the city's default caliber and its method.
type SitesRequest struct {
	City, Caliber, Method string
	N                     int
	SiteAreaM2            float64
	Name, Owner           string
}

// FromSites creates a scenario whose changes add, as parks, the top N sites the
// park-coverage siting proposes (coverage.Sites on the cached baseline under the caliber
// and method asked): each site's park (coverage.SitePark: its square in EPSG:4326, its
// class and pocket flag) is added through AddChange, so it is validated like any change,
// and the scenario's coverage under the same caliber and method is each site's predicted
// CoverageAfter. It returns the scenario and the plan.
func (s *Service) FromSites(ctx context.Context, r SitesRequest) (*Scenario, *coverage.SitePlan, error) {
	q := coverage.Query{City: r.City, Caliber: r.Caliber, Method: r.Method}
	cal, err := s.Coverage.Validate(ctx, &q)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.baseline(ctx, q.City, cal, q.Method)
	if err != nil {
		if _, _, _, cerr := s.Coverage.Store.City(ctx, q.City); cerr != nil {
			return nil, nil, fault.Invalid(fmt.Sprintf("no city %q", Clip(q.City))).With("parameter", "city")
		}
		return nil, nil, err
	}
	plan, err := coverage.Sites(ctx, b.Res, r.N, r.SiteAreaM2)
	if err != nil {
		return nil, nil, coverage.SitesFault(err)
	}
	if len(plan.Sites) == 0 {
		return nil, nil, fault.Unprocessable(fmt.Sprintf("the siting finds no site that covers uncovered residential land (%d candidates)", plan.Candidates))
	}
	geoms, err := s.Coverage.Store.SitePolygons(ctx, b.Snap.MetricSRID, plan)
	if err != nil {
		return nil, nil, err
	}
	name := r.Name
	if name == "" {
		name = fmt.Sprintf("Top %d pocket-park sites (%s, %s)", len(plan.Sites), cal.ID, q.Method)
	}
	desc := fmt.Sprintf("Created from GET /indicators/park-coverage/sites?caliber=%s&method=%s&n=%d&site_area=%.0f: %s parks (pocket %v) of %.0f m²",
		cal.ID, q.Method, r.N, r.SiteAreaM2, plan.Park.Class, plan.Park.Pocket, plan.Park.AreaM2)
	sc, err := s.Store.Create(ctx, q.City, name, desc, r.Owner)
	if err != nil {
		return nil, nil, err
	}
	for i, site := range plan.Sites {
		feature, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": geoms[i].Geometry, "properties": map[string]any{
			"name": fmt.Sprintf("Pocket park site %d", site.Rank), "park_class": plan.Park.Class,
			"pocket": plan.Park.Pocket, "open_status": plan.Park.OpenStatus}})
		if _, err := s.Store.AddChange(ctx, sc, ChangeInput{Layer: "parks", Op: OpAdd, Feature: feature}); err != nil {
			_ = s.Store.Delete(ctx, sc.ID)
			return nil, nil, err
		}
	}
	sc, err = s.Store.Get(ctx, sc.ID, true)
	return sc, plan, err
}
