package scenario

import (
	"context"
	"fmt"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/problem"
)

// CoverageResult serves the gap layer and the pocket-park sites of
// GET /indicators/park-coverage/{gaps,sites}?scenario=: the whole result of q on baseline
// plus the scenario's changes (recomputed incrementally), with every parcel's gap.
func (s *Service) CoverageResult(ctx context.Context, id int64, q coverage.Query) (*coverage.Result, error) {
	sc, err := s.Scenario(ctx, id)
	if err != nil {
		return nil, err
	}
	if q.City != "" && q.City != sc.City {
		return nil, problem.BadRequest(fmt.Sprintf("scenario %d is of city %s, not %s", id, sc.City, clip(q.City))).With("parameter", "city")
	}
	_, inc, err := s.ParkCoverage(ctx, sc, q)
	if err != nil {
		return nil, err
	}
	return inc.Res, nil
}
