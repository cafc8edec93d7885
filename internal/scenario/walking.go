package scenario

import (
	"context"
	"sync"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/walk"
)

// walkChanges reads scenario id of city ("" for any) and what it changes on the walking
// network and its inputs.
func (s *Service) walkChanges(ctx context.Context, id int64, city, what string) (*Scenario, walk.Changes, error) {
	if s.LivingCircle == nil || s.Walk == nil {
		return nil, walk.Changes{}, fault.Invalid(what+" are not available on scenarios here").With("parameter", "scenario")
	}
	sc, err := s.scenarioOfCity(ctx, id, city)
	if err != nil {
		return nil, walk.Changes{}, err
	}
	ch, err := s.LivingCircle.Changes(ctx, sc)
	return sc, ch, err
}

// Isochrone serves GET /api/v1/isochrones?scenario=: the isochrones on the scenario's
// walking network (edges added and closed), with the facilities it leaves (added, moved,
// deleted; parks' access points as the living circle derives them). req.City may be
// empty (the scenario's city); another city is a 400.
func (s *Service) Isochrone(ctx context.Context, id int64, req walk.IsochroneRequest) (*walk.IsochroneResult, error) {
	sc, ch, err := s.walkChanges(ctx, id, req.City, "isochrones")
	if err != nil {
		return nil, err
	}
	req.City, req.Changes = sc.City, &ch
	return s.Walk.Isochrone(ctx, req)
}

// ChecksWalk is scenario id's walking network and parcels for the checks' network reach
// (checks.WithScenario); nil when this service has no walking service, so the checks
// walk on the baseline.
func (s *Service) ChecksWalk(id int64) checks.WalkSource {
	if s.LivingCircle == nil || s.Walk == nil {
		return nil
	}
	return &scenarioWalk{s: s, id: id}
}

// scenarioWalk computes a scenario's network and inputs once per request.
type scenarioWalk struct {
	s    *Service
	id   int64
	once sync.Once
	n    *walk.Network
	in   *walk.Inputs
	err  error
}

func (w *scenarioWalk) load(ctx context.Context, city walk.City) {
	w.once.Do(func() {
		var ch walk.Changes
		if _, ch, w.err = w.s.walkChanges(ctx, w.id, city.Slug, "the checks"); w.err == nil {
			w.n, w.in, w.err = w.s.Walk.Scenario(ctx, city, ch)
		}
	})
}

// Network is the scenario's walking network of city.
func (w *scenarioWalk) Network(ctx context.Context, city walk.City) (*walk.Network, error) {
	w.load(ctx, city)
	return w.n, w.err
}

// Inputs are the scenario's parcels and facilities of city.
func (w *scenarioWalk) Inputs(ctx context.Context, city walk.City) (*walk.Inputs, error) {
	w.load(ctx, city)
	return w.in, w.err
}
