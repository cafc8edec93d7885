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
	parks := make([]siteChange, len(plan.Sites))
	for i, site := range plan.Sites {
		parks[i] = siteChange{name: fmt.Sprintf("Pocket park site %d", site.Rank), park: plan.Park, geometry: geoms[i].Geometry}
	}
	sc, err := s.parkScenario(ctx, q.City, name, desc, r.Owner, parks)
	return sc, plan, err
}

// siteChange is a park a siting proposes: its name, model and EPSG:4326 polygon.
type siteChange struct {
	name     string
	park     coverage.SitePark
	geometry json.RawMessage
}

// parkScenario creates a scenario adding parks, each through AddChange (validated like any
// change); it deletes the scenario again when a change is refused.
func (s *Service) parkScenario(ctx context.Context, city, name, desc, owner string, parks []siteChange) (*Scenario, error) {
	sc, err := s.Store.Create(ctx, city, name, desc, owner)
	if err != nil {
		return nil, err
	}
	for _, p := range parks {
		feature, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": p.geometry, "properties": map[string]any{
			"name": p.name, "park_class": p.park.Class, "pocket": p.park.Pocket, "open_status": p.park.OpenStatus}})
		if _, err := s.Store.AddChange(ctx, sc, ChangeInput{Layer: "parks", Op: OpAdd, Feature: feature}); err != nil {
			_ = s.Store.Delete(ctx, sc.ID)
			return nil, err
		}
	}
	return s.Store.Get(ctx, sc.ID, true)
}

// SitingRequest asks for a scenario of the best K parks of the optimal siting
// (coverage.Service.Siting); Options.K must be at least 1.
type SitingRequest struct {
	Query       coverage.Query
	Options     coverage.SitingOptions
	Drawn       []coverage.DrawnInput
	Name, Owner string
}

// FromSiting creates a scenario whose changes add the best K sites of the optimal siting as
// parks (in the order of Best.Sites), so the scenario's coverage under the same caliber and
// method is Best.Predicted (and each prefix the site's figures after). It returns the
// scenario and the siting.
func (s *Service) FromSiting(ctx context.Context, r SitingRequest) (*Scenario, *coverage.Siting, error) {
	if r.Options.K < 1 {
		return nil, nil, fault.Invalid("k must be at least 1 to make a scenario").With("parameter", "k")
	}
	out, _, err := s.Coverage.Siting(ctx, r.Query, r.Options, r.Drawn)
	if err != nil {
		return nil, nil, err
	}
	best := out.Best
	if len(best.Sites) == 0 {
		return nil, nil, fault.Unprocessable(fmt.Sprintf("the siting finds no site that covers uncovered residential land (%d candidates)", out.Candidates))
	}
	parks := make([]siteChange, len(best.Sites))
	for i, site := range best.Sites {
		parks[i] = siteChange{name: site.Name, park: site.Park, geometry: site.Geometry}
	}
	name := r.Name
	if name == "" {
		name = fmt.Sprintf("Best %d pocket parks (%s, %s, by %s)", len(best.Sites), out.Caliber, out.Method, out.Weight)
	}
	desc := fmt.Sprintf("Created from the optimal siting (%s candidates): predicted %.4f of the %s weight (greedy %.4f); bound %.4f, optimal %v",
		out.Source, best.Predicted, out.Weight, best.Greedy, best.Bound, best.Optimal)
	sc, err := s.parkScenario(ctx, r.Query.City, name, desc, r.Owner, parks)
	return sc, out, err
}
