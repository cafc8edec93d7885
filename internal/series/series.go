// Package series draws an indicator across a city's published data editions and now,
// with the target path the city's plan sets (indicator_targets, migration 0019): the
// 城市体检 view of this year against last year and against the line to 2027 and 2030.
// Every point is the indicator's own answer as of that edition (coverage.Service.Indicator
// and walk.Service.LivingCircleAsOf with as_of=), so a value of the series is the value
// the indicator gives when asked for that edition alone.
package series

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/walk"
)

// The indicators with a series.
const (
	ParkCoverage = "park-coverage"
	LivingCircle = "living-circle"
)

// Indicators lists them.
var Indicators = []string{ParkCoverage, LivingCircle}

// Source computes the points.
type Source struct {
	Editions edition.Store
	Coverage *coverage.Service
	Walk     *walk.Service
}

// Query names a series. Unit, when not 0, keeps only that unit (an id at Level).
type Query struct {
	Indicator string
	City      string
	Level     string // "" = city
	Unit      int64
	// Caliber and Method of park coverage ("" = the city's default and the caliber's).
	Caliber, Method string
}

// Series is an indicator over time with its target path.
type Series struct {
	Indicator string `json:"indicator"`
	City      string `json:"city"`
	Level     string `json:"level"`
	Unit      *int64 `json:"unit,omitempty"`
	// Headline says what Point.Headline and the targets measure; Value what Value.Value does.
	Headline string `json:"headline"`
	Value    string `json:"value"`
	Caliber  string `json:"caliber,omitempty"`
	Method   string `json:"method,omitempty"`
	// Points are the published editions, oldest first, then now.
	Points  []Point  `json:"points"`
	Targets []Target `json:"targets"`
}

// Point is the indicator at one edition (or now, Edition empty).
type Point struct {
	Edition string    `json:"edition,omitempty"`
	Now     bool      `json:"now"`
	AsOf    time.Time `json:"as_of"`
	// Headline is the city's figure: the coverage ratio under the caliber's headline, or
	// the number of complete 15-minute living circles (communities).
	Headline float64 `json:"headline"`
	Values   []Value `json:"values"`
}

// Value is one unit's figure at a point.
type Value struct {
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// Complete is the living circle's verdict for the unit.
	Complete *bool `json:"complete,omitempty"`
}

// Target is one year of the plan's path.
type Target struct {
	Year   int     `json:"year"`
	Value  float64 `json:"value"`
	Source string  `json:"source"`
}

// Series computes q: the indicator now, then at each published edition of the city.
func (s Source) Series(ctx context.Context, q Query) (*Series, error) {
	cityID, err := s.Editions.CityID(ctx, q.City)
	if err != nil {
		return nil, err
	}
	eds, err := s.Editions.List(ctx, q.City, true)
	if err != nil {
		return nil, err
	}
	out := &Series{Indicator: q.Indicator, City: q.City, Level: q.Level}
	if q.Unit != 0 {
		out.Unit = &q.Unit
	}
	var point func(ctx context.Context, asOf string) (Point, error)
	switch q.Indicator {
	case ParkCoverage:
		point = s.coveragePoint(out, &q)
	case LivingCircle:
		point = s.livingPoint(out, &q)
	default:
		return nil, fault.Invalid(fmt.Sprintf("no series of indicator %q: park-coverage or living-circle", fault.Clip(q.Indicator))).With("parameter", "indicator")
	}
	// Now first: it settles the caliber and method every edition is then computed with.
	now, err := point(ctx, "")
	if err != nil {
		return nil, err
	}
	now.Now, now.AsOf = true, time.Now().UTC()
	for _, e := range eds {
		p, err := point(ctx, e.Name)
		if err != nil {
			return nil, fmt.Errorf("edition %s: %w", e.Name, err)
		}
		p.Edition, p.AsOf = e.Name, e.AsOf
		out.Points = append(out.Points, p)
	}
	out.Points = append(out.Points, now)
	if out.Targets, err = s.targets(ctx, cityID, q.Indicator); err != nil {
		return nil, err
	}
	if out.Level == "" {
		out.Level = coverage.LevelCity
	}
	return out, nil
}

// keep says whether unit id is in the series.
func (q Query) keep(id int64) bool { return q.Unit == 0 || q.Unit == id }

func (s Source) coveragePoint(out *Series, q *Query) func(context.Context, string) (Point, error) {
	return func(ctx context.Context, asOf string) (Point, error) {
		rep, err := s.Coverage.Indicator(ctx, coverage.Query{City: q.City, Caliber: q.Caliber, Method: q.Method, Level: q.Level, AsOf: asOf})
		if err != nil {
			return Point{}, err
		}
		q.Caliber, q.Method, q.Level = rep.Caliber.ID, rep.Method, rep.Level
		out.Caliber, out.Method = rep.Caliber.ID, rep.Method
		byPop := rep.Headline == caliber.ByPopulation
		out.Headline, out.Value = "coverage ratio of the city (area of residential land)", "coverage ratio of the unit (area)"
		if byPop {
			out.Headline, out.Value = "coverage ratio of the city (residents)", "coverage ratio of the unit (residents)"
		}
		pick := func(f coverage.AreaFigure) float64 {
			if byPop {
				return f.PopulationShare
			}
			return f.Ratio
		}
		p := Point{Values: []Value{}}
		if rep.City1 != nil {
			p.Headline = pick(*rep.City1)
		}
		for _, f := range rep.Areas {
			if q.keep(f.ID) {
				p.Values = append(p.Values, Value{ID: f.ID, Name: f.Name, Value: pick(f)})
			}
		}
		return p, nil
	}
}

func (s Source) livingPoint(out *Series, q *Query) func(context.Context, string) (Point, error) {
	return func(ctx context.Context, asOf string) (Point, error) {
		opt := walk.Options{Level: q.Level}
		var rep *walk.Report
		var err error
		if asOf == "" {
			rep, err = s.Walk.LivingCircle(ctx, q.City, opt)
		} else {
			rep, err = s.Walk.LivingCircleAsOf(ctx, q.City, opt, asOf)
		}
		if err != nil {
			return Point{}, err
		}
		q.Level = rep.Level
		out.Headline = "complete 15-minute living circles (communities)"
		out.Value = "share of the basic categories the unit reaches"
		basic := 0
		for _, c := range rep.Categories {
			if c.Basic {
				basic++
			}
		}
		p := Point{Headline: float64(rep.CompleteCommunities), Values: []Value{}}
		for _, a := range rep.Areas {
			if !q.keep(a.ID) {
				continue
			}
			v := Value{ID: a.ID, Name: a.Name, Complete: &a.Complete}
			if basic > 0 {
				v.Value = float64(basic-len(a.Missing)) / float64(basic)
			}
			p.Values = append(p.Values, v)
		}
		return p, nil
	}
}

// targets reads the city's path for indicator, by year.
func (s Source) targets(ctx context.Context, cityID int, indicator string) ([]Target, error) {
	rows, err := s.Editions.Pool.Query(ctx, `SELECT year, value, source FROM indicator_targets WHERE city_id = $1 AND indicator = $2 ORDER BY year`, cityID, indicator)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Target])
	if out == nil {
		out = []Target{}
	}
	return out, err
}
