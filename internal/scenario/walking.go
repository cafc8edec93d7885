package scenario

import (
	"context"
	"fmt"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cityreach/cityreach/internal/capacity"
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

// CapacityReport serves GET /api/v1/indicators/capacity?scenario=: the capacity
// indicator on the scenario's walking network, parcels (demand) and facilities (supply,
// with the capacity each added or modified facility has once the change applies).
func (s *Service) CapacityReport(ctx context.Context, id int64, city string, opt capacity.Options) (*capacity.Report, error) {
	if s.Capacity == nil {
		return nil, fault.Invalid("the capacity indicator is not available on scenarios here").With("parameter", "scenario")
	}
	sc, ch, err := s.walkChanges(ctx, id, city, "capacity figures")
	if err != nil {
		return nil, err
	}
	opt.Changes = &capacity.Changes{Walk: ch, Supply: map[string][]capacity.Supply{}}
	for fid, c := range resolve(sc.Changes)["facilities"] {
		if fid > 0 {
			opt.Changes.Gone = append(opt.Changes.Gone, fid)
		}
		if c == nil {
			continue
		}
		p, ok := c.GeomM.(orb.Point)
		if !ok {
			continue
		}
		f := capacity.Supply{ID: fid, Name: str(c.Resolved, "name"), Point: p}
		if c.Resolved["capacity"] != nil {
			v := number(c.Resolved, "capacity")
			f.Capacity = &v
		}
		cat := str(c.Resolved, "category")
		opt.Changes.Supply[cat] = append(opt.Changes.Supply[cat], f)
	}
	// The parks it adds or modifies weigh their own area (that of the metric geometry, as
	// parks.area_m2 is), the parks it deletes none; which are open is the walk's.
	opt.Changes.ParkAreas = map[int64]float64{}
	for pid, c := range resolve(sc.Changes)["parks"] {
		if pid > 0 {
			opt.Changes.ParksGone = append(opt.Changes.ParksGone, pid)
		}
		if c == nil {
			continue
		}
		if mp := multiPolygon(c.GeomM); mp != nil {
			opt.Changes.ParkAreas[pid] = planar.Area(mp)
		}
	}
	rep, err := s.Capacity.Capacity(ctx, sc.City, opt)
	if err != nil {
		return nil, err
	}
	rep.DataVersion = fmt.Sprintf("scenario:%d", sc.ID) // not a version of the tables
	return rep, nil
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
