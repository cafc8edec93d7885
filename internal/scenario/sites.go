package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/problem"
)

// SitesRequest asks for a scenario of the top N pocket-park sites.
type SitesRequest struct {
	City, Caliber string
	N             int
	SiteAreaM2    float64
	Name, Owner   string
}

// FromSites creates a scenario whose changes add, as parks, the top N sites the
// park-coverage siting proposes (coverage.Sites on the cached baseline, buffer method):
// squares of the site area centred on each site, of the class the siting chose. Each is
// added through AddChange, so it is validated like any change.
func (s *Service) FromSites(ctx context.Context, r SitesRequest) (*Scenario, error) {
	q := coverage.Query{City: r.City, Caliber: r.Caliber, Method: caliber.Buffer}
	cal, err := s.Coverage.Validate(&q)
	if err != nil {
		return nil, err
	}
	b, err := s.baseline(ctx, q.City, cal, caliber.Buffer)
	if err != nil {
		if _, _, _, cerr := s.Coverage.Store.City(ctx, q.City); cerr != nil {
			return nil, problem.BadRequest(fmt.Sprintf("no city %q", clip(q.City))).With("parameter", "city")
		}
		return nil, err
	}
	plan, err := coverage.Sites(ctx, b.Res, r.N, r.SiteAreaM2)
	if err != nil {
		return nil, problem.BadRequest(err.Error()).With("parameter", "caliber")
	}
	if len(plan.Sites) == 0 {
		return nil, problem.Unprocessable(fmt.Sprintf("the siting finds no site that covers uncovered residential land (%d candidates)", plan.Candidates))
	}
	name := r.Name
	if name == "" {
		name = fmt.Sprintf("Top %d pocket-park sites (%s)", r.N, cal.ID)
	}
	sc, err := s.Store.Create(ctx, q.City, name, fmt.Sprintf("Created from GET /indicators/park-coverage/sites?caliber=%s&n=%d&site_area=%.0f", cal.ID, r.N, plan.SiteAreaM2), r.Owner)
	if err != nil {
		return nil, err
	}
	half := math.Sqrt(plan.SiteAreaM2) / 2
	for _, site := range plan.Sites {
		ring, err := s.Store.squareLonLat(ctx, b.Snap.MetricSRID, site.At[0]-half, site.At[1]-half, site.At[0]+half, site.At[1]+half)
		if err != nil {
			return nil, err
		}
		feature, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(ring), "properties": map[string]any{
			"name": fmt.Sprintf("Pocket park site %d", site.Rank), "park_class": plan.SiteClass,
			"pocket": plan.SiteClass == caliber.Garden && cal.PocketParks, "open_status": "open"}})
		if _, err := s.Store.AddChange(ctx, sc, ChangeInput{Layer: "parks", Op: OpAdd, Feature: feature}); err != nil {
			_ = s.Store.Delete(ctx, sc.ID)
			return nil, err
		}
	}
	return s.Store.Get(ctx, sc.ID, true)
}

// squareLonLat returns the metric box as a GeoJSON polygon in EPSG:4326.
func (s *Store) squareLonLat(ctx context.Context, srid int, x0, y0, x1, y1 float64) (json.RawMessage, error) {
	var b []byte
	err := s.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, $5::int), 4326), 9)::bytea`, x0, y0, x1, y1, srid).Scan(&b)
	return b, err
}
