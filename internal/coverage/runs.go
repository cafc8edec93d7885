package coverage

import (
	"context"
	"fmt"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
)

// GapLayer is the name of the gap layer as a tile source and as a collection.
const GapLayer = "park_coverage_gaps"

// CurrentRun returns the stored run of q on the city's current data, computing and storing
// it (with its gap layer) when there is none. It is never older than an edit committed
// before the call; concurrent callers share one computation (see currentRun).
func (s *Service) CurrentRun(ctx context.Context, q Query) (*Run, error) {
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	if q.AsOf != "" {
		// The run of the data as it was then; its gaps are stored with it.
		run, _, _, err := s.runAsOf(ctx, q, cal)
		return run, err
	}
	c, err := s.currentRunGaps(ctx, q, cal)
	if err != nil || c.gaps == nil {
		return c.run, err
	}
	// Computed just now: its gap layer is stored after the figures.
	select {
	case <-c.gaps.done:
		return c.run, c.gaps.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// citySlugs resolves a city given as a slug or an id to its slug; "" stands for every city
// with residential land (and, for the network method, a walking network).
func (s *Service) citySlugs(ctx context.Context, city, method string) ([]string, error) {
	if city != "" {
		c, err := citydata.Resolve(ctx, s.Store.Pool, city)
		if fault.KindOf(err) == fault.KindNotFound {
			return nil, badParam("city", fmt.Sprintf("no city %q", city))
		}
		return []string{c.Slug}, err
	}
	tables := []string{"residential_land"}
	if method == "network" {
		tables = append(tables, "network_edges")
	}
	cities, err := citydata.Having(ctx, s.Store.Pool, tables...)
	slugs := make([]string, len(cities))
	for i, c := range cities {
		slugs[i] = c.Slug
	}
	return slugs, err
}

// CurrentRuns returns the current runs of caliber and method for city ("" for every city
// with residential land), computing the missing ones. An empty caliber or method is each
// city's default, as in Validate.
func (s *Service) CurrentRuns(ctx context.Context, city, cal, method, asOf string) ([]*Run, error) {
	if cal != "" {
		if _, err := s.caliber(cal); err != nil {
			return nil, badParam("caliber", err.Error())
		}
	}
	if method != "" {
		if err := CheckMethod(method); err != nil {
			return nil, badParam("method", err.Error())
		}
	}
	slugs, err := s.citySlugs(ctx, city, method)
	if err != nil {
		return nil, err
	}
	out := make([]*Run, 0, len(slugs))
	for _, slug := range slugs {
		run, err := s.CurrentRun(ctx, Query{City: slug, Caliber: cal, Method: method, AsOf: asOf})
		if err != nil {
			return nil, err
		}
		out = append(out, run)
	}
	return out, nil
}
