package coverage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/problem"
)

// Service answers the indicator for the API and the CLI, so a number is computed in one
// place: it resolves the caliber, checks the data version, serves a stored run when one
// matches, and otherwise loads the snapshot, computes, and stores the run.
type Service struct {
	Store    Store
	Calibers *caliber.Registry
	Log      *slog.Logger

	mu      sync.Mutex
	snaps   map[string]*Snapshot  // by city slug + data hash; one per city
	flights map[string]*runFlight // current runs being computed, see CurrentRun
}

// Query names one figure.
type Query struct {
	City    string
	Caliber string
	Method  string // empty: the caliber's own
	Level   string // empty: city
}

// Report is the indicator as served.
type Report struct {
	City    string          `json:"city"`
	Caliber caliber.Caliber `json:"caliber"`
	Method  string          `json:"method"`
	// CaliberFrom and MethodFrom say where the caliber and the method came from: the
	// request, the city's default caliber, the caliber's default method.
	CaliberFrom string         `json:"caliber_from"`
	MethodFrom  string         `json:"method_from"`
	Level       string         `json:"level"`
	Run         Run            `json:"run"`
	Reused      bool           `json:"reused"`
	Headline    string         `json:"headline"`
	Targets     []TargetStatus `json:"targets,omitempty"`
	City1       *AreaFigure    `json:"city_figure"`
	Areas       []AreaFigure   `json:"areas"`
}

// TargetStatus compares the city figure with one target of the caliber.
type TargetStatus struct {
	caliber.Target
	Met bool `json:"met"`
}

func badParam(name, detail string) error {
	return problem.BadRequest(detail).With("parameter", name)
}

// caliber returns the caliber called id, or the error every caliber parameter gives.
func (s *Service) caliber(id string) (caliber.Caliber, error) {
	cal, err := s.Calibers.Get(id)
	if err != nil {
		return cal, fmt.Errorf("unknown caliber %q; GET /api/v1/calibers lists them", id)
	}
	return cal, nil
}

// checkMethod is the check of every method parameter.
func checkMethod(v string) error {
	if v != caliber.Buffer && v != caliber.Network {
		return fmt.Errorf("method must be buffer or network, not %q", v)
	}
	return nil
}

// Validate checks q and fills defaults: the city's default caliber (cities.default_caliber)
// when q names none, then that caliber's method. Its errors are 400 problems naming the
// parameter.
func (s *Service) Validate(ctx context.Context, q *Query) (caliber.Caliber, error) {
	if q.City == "" {
		return caliber.Caliber{}, badParam("city", "city is required (a city slug, e.g. baotou)")
	}
	if q.Caliber == "" {
		id, err := s.DefaultCaliber(ctx, q.City)
		if err != nil {
			return caliber.Caliber{}, err
		}
		q.Caliber = id
	}
	cal, err := s.caliber(q.Caliber)
	if err != nil {
		return cal, badParam("caliber", err.Error())
	}
	if q.Method == "" {
		q.Method = cal.Method
	} else if err := checkMethod(q.Method); err != nil {
		return cal, badParam("method", err.Error())
	}
	switch q.Level {
	case "":
		q.Level = LevelCity
	case LevelCity, LevelDistrict, LevelSubdistrict, LevelCommunity:
	default:
		return cal, badParam("level", fmt.Sprintf("level must be city, district, subdistrict or community, not %q", q.Level))
	}
	return cal, nil
}

// Indicator returns the figures of q, computing and storing them unless a run with the same
// caliber, method and data version is stored.
func (s *Service) Indicator(ctx context.Context, q Query) (*Report, error) {
	calFrom, methodFrom := From(q.Caliber, FromCityDefault), From(q.Method, FromCaliberDefault)
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	run, res, _, err := s.run(ctx, q, cal)
	if err != nil {
		return nil, err
	}
	rep := &Report{City: q.City, Caliber: cal, Method: q.Method, Level: q.Level, Headline: cal.Headline,
		CaliberFrom: calFrom, MethodFrom: methodFrom}
	if res == nil {
		rep.Reused = true
		rep.Run = *run
		cityFigs, err := s.Store.Areas(ctx, run.ID, LevelCity)
		if err != nil {
			return nil, err
		}
		if rep.Areas, err = s.Store.Areas(ctx, run.ID, q.Level); err != nil {
			return nil, err
		}
		if len(cityFigs) == 1 {
			rep.City1 = &cityFigs[0]
		}
	} else {
		rep.Run = *run
		cityFigs, _ := res.ByLevel(LevelCity)
		rep.City1 = &cityFigs[0]
		if rep.Areas, err = res.ByLevel(q.Level); err != nil {
			return nil, err
		}
	}
	if rep.City1 != nil {
		for _, t := range cal.Targets {
			v := rep.City1.Ratio
			if cal.Headline == caliber.ByPopulation {
				v = rep.City1.PopulationShare
			}
			rep.Targets = append(rep.Targets, TargetStatus{Target: t, Met: v >= t.Ratio})
		}
	}
	return rep, nil
}

// run returns the stored run for q, or computes (with gaps) and stores one; res is nil
// when the stored run was reused.
func (s *Service) run(ctx context.Context, q Query, cal caliber.Caliber) (*Run, *Result, DataVersion, error) {
	cityID, _, _, err := s.Store.City(ctx, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return nil, nil, DataVersion{}, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return nil, nil, DataVersion{}, err
	}
	dv, err := s.Store.DataVersion(ctx, cityID)
	if err != nil {
		return nil, nil, dv, err
	}
	if run, err := s.Store.Latest(ctx, cityID, cal, q.Method, dv.Hash, true); err != nil || run != nil {
		return run, nil, dv, err
	}
	res, err := s.compute(ctx, q, cal, dv)
	if err != nil {
		return nil, nil, dv, err
	}
	id, err := s.Store.Save(ctx, res, dv)
	if err != nil {
		return nil, nil, dv, err
	}
	run, err := s.Store.Latest(ctx, cityID, cal, q.Method, dv.Hash, false)
	if err == nil && run != nil && run.ID != id {
		err = fmt.Errorf("coverage: stored run %d, read back %d", id, run.ID)
	}
	return run, res, dv, err
}

func (s *Service) compute(ctx context.Context, q Query, cal caliber.Caliber, dv DataVersion) (*Result, error) {
	snap, err := s.snapshot(ctx, q.City, dv.Hash)
	if err != nil {
		return nil, err
	}
	res, err := Compute(ctx, snap, cal, Options{Method: q.Method, Gaps: true})
	if errors.Is(err, ErrNoNetwork) {
		return nil, badParam("method", fmt.Sprintf("city %q has no walking network; use method=buffer", q.City))
	}
	if err != nil {
		return nil, err
	}
	if s.Log != nil {
		s.Log.Info("park coverage computed", "city", q.City, "caliber", cal.ID, "method", q.Method,
			"ratio", res.Ratio(), "ms", float64(res.Duration.Microseconds())/1000)
	}
	return res, nil
}

// snapshot returns the city's snapshot at data version hash, loading it when needed.
func (s *Service) snapshot(ctx context.Context, city, hash string) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snaps == nil {
		s.snaps = map[string]*Snapshot{}
	}
	if sn, ok := s.snaps[city+"@"+hash]; ok {
		return sn, nil
	}
	t := time.Now()
	sn, err := s.Store.Load(ctx, city)
	if err != nil {
		return nil, err
	}
	for k := range s.snaps {
		if len(k) > len(city) && k[:len(city)+1] == city+"@" {
			delete(s.snaps, k)
		}
	}
	s.snaps[city+"@"+hash] = sn
	if s.Log != nil {
		s.Log.Info("coverage snapshot loaded", "city", city, "parcels", len(sn.Parcels), "parks", len(sn.Parks), "ms", time.Since(t).Milliseconds())
	}
	return sn, nil
}

// Result computes q afresh (no stored run), for the sites and for callers that need the
// per-parcel figures.
func (s *Service) Result(ctx context.Context, q Query) (*Result, error) {
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	cityID, _, _, err := s.Store.City(ctx, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return nil, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return nil, err
	}
	dv, err := s.Store.DataVersion(ctx, cityID)
	if err != nil {
		return nil, err
	}
	return s.compute(ctx, q, cal, dv)
}

// Gaps returns the gap layer of q as GeoJSON (EPSG:4326), computing the run when needed.
func (s *Service) Gaps(ctx context.Context, q Query, limit int) ([]byte, *Run, error) {
	run, err := s.CurrentRun(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Store.GapsGeoJSON(ctx, run.ID, limit)
	return b, run, err
}
