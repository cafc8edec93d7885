package scenario

import (
	"context"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
)

// CoverageResult serves the gap layer and the pocket-park sites of
// GET /indicators/park-coverage/{gaps,sites}?scenario=: the whole result of q on baseline
// plus the scenario's changes (recomputed incrementally), with every parcel's gap.
func (s *Service) CoverageResult(ctx context.Context, id int64, q coverage.Query) (*coverage.Result, error) {
	if len(q.Bands) > 0 {
		// As the living circle refuses it (walk.Indicator): a scenario's residents have no
		// age bands yet.
		return nil, fault.Invalid("band is not available with scenario yet").With("parameter", "band")
	}
	sc, err := s.scenarioOfCity(ctx, id, q.City)
	if err != nil {
		return nil, err
	}
	_, inc, err := s.ParkCoverage(ctx, sc, q)
	if err != nil {
		return nil, err
	}
	return inc.Res, nil
}
