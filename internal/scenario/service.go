package scenario

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/walk"
)

// Service computes indicators on baseline + a scenario's changes, for the API, the CLI and
// the other packages' scenario= parameter. It keeps, per city and data version, the
// baseline snapshot and, per caliber and method, the baseline coverage with its per-parcel
// areas and gaps, so a scenario costs only what its changes can reach. The cache is
// dropped when the baseline's data version changes (any edit, including a promotion).
type Service struct {
	Store    *Store
	Coverage *coverage.Service
	Checks   *checks.Service
	Log      *slog.Logger

	mu    sync.Mutex
	hash  map[string]string             // city → data hash of the cached entries
	snaps map[string]*coverage.Snapshot // city → baseline snapshot
	bases map[string]*Baseline          // city|caliber|method → baseline coverage
	// LivingCircle computes the living circle on baseline + changes (WalkLivingCircle);
	// when set, Compare adds the living-circle indicator and the living-circle endpoint
	// takes scenario= (see docs/scenarios.md).
	LivingCircle LivingCircle
	// Walk and Capacity, with LivingCircle, give isochrones and the capacity indicator
	// their scenario= parameter (walking.go); nil refuses it.
	Walk     *walk.Service
	Capacity *capacity.Service
}

// LivingCircle computes the 15-minute living-circle figures of a city on baseline plus a
// scenario's changes: the comparison with the baseline at one level ("" = every level),
// the indicator's report under opt and its per-parcel figures. WalkLivingCircle implements it on internal/walk.
type LivingCircle interface {
	Compare(ctx context.Context, sc *Scenario, level string) (*IndicatorDelta, error)
	Report(ctx context.Context, sc *Scenario, opt walk.Options) (*walk.Report, error)
	// Changes is what sc changes on the walking network and its inputs (isochrones and
	// the capacity indicator on a scenario).
	Changes(ctx context.Context, sc *Scenario) (walk.Changes, error)
	Parcels(ctx context.Context, sc *Scenario, opt walk.Options, q walk.ParcelQuery) (*walk.ParcelPage, error)
}

// Scenario returns scenario id with its changes.
func (s *Service) Scenario(ctx context.Context, id int64) (*Scenario, error) {
	return s.Store.Get(ctx, id, true)
}

// baseline returns the cached baseline coverage of city under cal and method.
func (s *Service) baseline(ctx context.Context, city string, cal caliber.Caliber, method string) (*Baseline, error) {
	cityID, _, _, err := s.Coverage.Store.City(ctx, city)
	if err != nil {
		return nil, err
	}
	dv, err := s.Coverage.Store.DataVersion(ctx, cityID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hash == nil {
		s.hash, s.snaps, s.bases = map[string]string{}, map[string]*coverage.Snapshot{}, map[string]*Baseline{}
	}
	if s.hash[city] != dv.Hash {
		snap, err := s.Coverage.Store.Load(ctx, city)
		if err != nil {
			return nil, err
		}
		for k, b := range s.bases {
			if b.Snap.City == city {
				delete(s.bases, k)
			}
		}
		s.hash[city], s.snaps[city] = dv.Hash, snap
	}
	key := city + "|" + cal.ID + "|" + method
	if b := s.bases[key]; b != nil && sameCaliber(b.Res.Caliber, cal) {
		return b, nil
	}
	b, err := NewBaseline(ctx, s.snaps[city], cal, method)
	if errors.Is(err, coverage.ErrNoNetwork) {
		return nil, fault.Invalid(fmt.Sprintf("city %q has no walking network; use method=buffer", city)).With("parameter", "method")
	}
	if err != nil {
		return nil, err
	}
	s.bases[key] = b
	return b, nil
}

func sameCaliber(a, b caliber.Caliber) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// ParkCoverage computes park coverage on sc's city plus its changes, incrementally.
func (s *Service) ParkCoverage(ctx context.Context, sc *Scenario, q coverage.Query) (*Baseline, *Incremental, error) {
	q.City = sc.City
	cal, err := s.Coverage.Validate(ctx, &q)
	if err != nil {
		return nil, nil, err
	}
	// A scenario's baseline is kept per caliber and method only (baseline below).
	if q.Profile != "" {
		return nil, nil, fault.Invalid("profile is not available with scenario yet").With("parameter", "profile")
	}
	if q.At != "" {
		return nil, nil, fault.Invalid("at is not available with scenario yet").With("parameter", "at")
	}
	b, err := s.baseline(ctx, sc.City, cal, q.Method)
	if err != nil {
		return nil, nil, err
	}
	inc, err := b.Apply(ctx, CoverageChanges(b.Snap, sc.Changes))
	if err != nil {
		return nil, nil, err
	}
	if s.Log != nil {
		s.Log.Info("scenario park coverage", "scenario", sc.ID, "caliber", cal.ID, "method", q.Method,
			"recomputed", len(inc.Recomputed), "ms", float64(inc.Duration.Microseconds())/1000)
	}
	return b, inc, nil
}

// CoverageReport serves GET /indicators/park-coverage?scenario=: the figures of q on the
// scenario, in the report the baseline endpoint gives (no stored run: scenario results are
// never written to coverage_runs).
func (s *Service) CoverageReport(ctx context.Context, id int64, q coverage.Query) (*coverage.Report, error) {
	calFrom, methodFrom := coverage.From(q.Caliber, coverage.FromCityDefault), coverage.From(q.Method, coverage.FromCaliberDefault)
	res, err := s.CoverageResult(ctx, id, q)
	if err != nil {
		return nil, err
	}
	q.City = res.Snapshot().City
	cal, err := s.Coverage.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	rep := &coverage.Report{City: q.City, Caliber: cal, Method: q.Method, CaliberFrom: calFrom, MethodFrom: methodFrom,
		Level: q.Level, Headline: cal.Headline}
	city, _ := res.ByLevel(coverage.LevelCity)
	rep.City1 = &city[0]
	if rep.Areas, err = res.ByLevel(q.Level); err != nil {
		return nil, err
	}
	for _, t := range cal.Targets {
		rep.Targets = append(rep.Targets, coverage.TargetStatus{Target: t, Met: headline(cal, *rep.City1) >= t.Ratio})
	}
	return rep, nil
}

func headline(cal caliber.Caliber, f coverage.AreaFigure) float64 {
	if cal.Headline == caliber.ByPopulation {
		return f.PopulationShare
	}
	return f.Ratio
}

// ChecksLayers loads the layers of need for scenario id's city and overlays its changes:
// the checks' scenario= parameter.
func (s *Service) ChecksLayers(ctx context.Context, id int64, city string, need checks.Need) (*checks.Layers, error) {
	sc, err := s.scenarioOfCity(ctx, id, city)
	if err != nil {
		return nil, err
	}
	base, err := s.Checks.Store.Load(ctx, sc.City, need)
	if err != nil {
		return nil, err
	}
	return ChecksLayers(base, sc.Changes)
}
