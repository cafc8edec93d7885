package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
)

// Indicator ids of a comparison.
const (
	IndicatorParkCoverage        = "park-coverage"
	IndicatorCompleteCommunities = "complete-communities"
	IndicatorLivingCircle        = "living-circle"
)

// CompareQuery says what to compare: the park-coverage caliber and method (defaults as the
// indicator's), one level or all ("" = city, district, subdistrict and community), and the
// indicators (nil = all).
type CompareQuery struct {
	Caliber, Method, Level string
	Indicators             []string
}

// Comparison is GET /scenarios/{id}/compare.
type Comparison struct {
	Scenario   *Scenario        `json:"scenario"`
	Indicators []IndicatorDelta `json:"indicators"`
	// NewlyCovered and NewlyUncovered are the residential land whose park coverage the
	// scenario gains or loses: GeoJSON FeatureCollections in EPSG:4326, one feature per
	// parcel, with parcel_id, area_m2 and residents (the parcel's residents per m² × area).
	NewlyCovered   json.RawMessage `json:"newly_covered"`
	NewlyUncovered json.RawMessage `json:"newly_uncovered"`
	// Changes judges every park the scenario adds or modifies under the park-coverage
	// caliber: counted or not, and why it cannot add coverage (parkVerdicts). Present when
	// park coverage is compared.
	Changes    []ParkVerdict `json:"changes,omitempty"`
	DurationMS float64       `json:"duration_ms"`
}

// IndicatorDelta is one indicator on the baseline and on the scenario.
type IndicatorDelta struct {
	ID      string `json:"id"`
	Caliber string `json:"caliber,omitempty"`
	Method  string `json:"method,omitempty"`
	// Status is what StatusChanges compares, e.g. "ratio ≥ 0.8" or "complete".
	Status        string         `json:"status"`
	Levels        []LevelDelta   `json:"levels"`
	StatusChanges []StatusChange `json:"status_changes"`
	// Recomputed is the number of parcels recomputed (park coverage, living circle);
	// RecomputedPairs the (parcel, facility category) pairs (living circle); Full is set
	// when the change was too large and everything was recomputed.
	Recomputed      int     `json:"recomputed,omitempty"`
	RecomputedPairs int     `json:"recomputed_pairs,omitempty"`
	Full            bool    `json:"full_recomputation,omitempty"`
	ComputeMS       float64 `json:"compute_ms"`
}

// LevelDelta holds the areas of one level.
type LevelDelta struct {
	Level string      `json:"level"`
	Areas []AreaDelta `json:"areas"`
}

// AreaDelta is one area's figures: baseline, scenario and scenario − baseline, by name
// (ratio, covered_m2, … for park coverage; score, met, complete for the scorecard).
type AreaDelta struct {
	ID       int64              `json:"id"`
	Name     string             `json:"name"`
	Baseline map[string]float64 `json:"baseline"`
	Scenario map[string]float64 `json:"scenario"`
	Delta    map[string]float64 `json:"delta"`
}

// StatusChange is an area whose status flips.
type StatusChange struct {
	Level string  `json:"level"`
	ID    int64   `json:"id"`
	Name  string  `json:"name"`
	From  bool    `json:"from"`
	To    bool    `json:"to"`
	Value float64 `json:"value"` // the scenario's figure
}

func (q CompareQuery) wants(id string) bool {
	if len(q.Indicators) == 0 {
		return true
	}
	for _, x := range q.Indicators {
		if x == id {
			return true
		}
	}
	return false
}

// Compare computes every indicator on the baseline and on scenario id.
func (s *Service) Compare(ctx context.Context, id int64, q CompareQuery) (*Comparison, error) {
	start := time.Now()
	sc, err := s.Scenario(ctx, id)
	if err != nil {
		return nil, err
	}
	levels := coverage.Levels
	if q.Level != "" {
		levels = []string{q.Level}
	}
	for _, ind := range q.Indicators {
		if ind != IndicatorParkCoverage && ind != IndicatorCompleteCommunities && ind != IndicatorLivingCircle {
			return nil, fault.Invalid("indicators are park-coverage, complete-communities, living-circle").With("parameter", "indicators")
		}
	}
	out := &Comparison{Scenario: sc, Indicators: []IndicatorDelta{}}
	empty := json.RawMessage(`{"type":"FeatureCollection","features":[]}`)
	out.NewlyCovered, out.NewlyUncovered = empty, empty
	if q.wants(IndicatorParkCoverage) {
		d, b, inc, err := s.coverageDelta(ctx, sc, q, levels)
		if err != nil {
			return nil, err
		}
		out.Indicators = append(out.Indicators, *d)
		out.Changes = parkVerdicts(b.Res.Caliber, inc.Res.Snapshot(), sc.Changes)
		if out.NewlyCovered, out.NewlyUncovered, err = s.landChanges(ctx, sc, b, inc); err != nil {
			return nil, err
		}
	}
	if q.wants(IndicatorCompleteCommunities) && s.Checks != nil {
		d, err := s.scorecardDelta(ctx, sc)
		if err != nil {
			return nil, err
		}
		out.Indicators = append(out.Indicators, *d)
	}
	if q.wants(IndicatorLivingCircle) && s.LivingCircle != nil {
		d, err := s.LivingCircle.Compare(ctx, sc, q.Level)
		if err != nil {
			return nil, err
		}
		out.Indicators = append(out.Indicators, *d)
	}
	out.DurationMS = ms(time.Since(start))
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func coverageValues(f coverage.AreaFigure) map[string]float64 {
	return map[string]float64{"ratio": f.Ratio, "population_share": f.PopulationShare, "covered_m2": f.CoveredM2,
		"total_m2": f.TotalM2, "population": f.Population, "covered_population": f.CoveredPopulation}
}

func delta(b, s map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range s {
		d[k] = v - b[k]
	}
	for k, v := range b {
		if _, ok := s[k]; !ok {
			d[k] = -v
		}
	}
	return d
}

func (s *Service) coverageDelta(ctx context.Context, sc *Scenario, q CompareQuery, levels []string) (*IndicatorDelta, *Baseline, *Incremental, error) {
	cq := coverage.Query{City: sc.City, Caliber: q.Caliber, Method: q.Method, Level: q.Level}
	b, inc, err := s.ParkCoverage(ctx, sc, cq)
	if err != nil {
		return nil, nil, nil, err
	}
	cal := b.Res.Caliber
	d := &IndicatorDelta{ID: IndicatorParkCoverage, Caliber: cal.ID, Method: b.Res.Method, Recomputed: len(inc.Recomputed),
		ComputeMS: ms(inc.Duration), StatusChanges: []StatusChange{}}
	threshold := math.NaN()
	if len(cal.Targets) > 0 {
		threshold = cal.Targets[0].Ratio
		d.Status = fmt.Sprintf("%s ≥ %g", cal.Headline, threshold)
	}
	for _, level := range levels {
		bf, err := b.Res.ByLevel(level)
		if err != nil {
			return nil, nil, nil, fault.Invalid("level must be city, district, subdistrict or community").With("parameter", "level")
		}
		sf, _ := inc.Res.ByLevel(level)
		byID := map[int64]coverage.AreaFigure{}
		for _, f := range bf {
			byID[f.ID] = f
		}
		ld := LevelDelta{Level: level}
		seen := map[int64]bool{}
		add := func(id int64, name string, bv, sv map[string]float64) {
			ld.Areas = append(ld.Areas, AreaDelta{ID: id, Name: name, Baseline: bv, Scenario: sv, Delta: delta(bv, sv)})
		}
		for _, f := range sf {
			seen[f.ID] = true
			bfig, ok := byID[f.ID]
			bv := map[string]float64{}
			if ok {
				bv = coverageValues(bfig)
			}
			add(f.ID, f.Name, bv, coverageValues(f))
			if ok && !math.IsNaN(threshold) && level != coverage.LevelCity {
				was, is := headline(cal, bfig) >= threshold, headline(cal, f) >= threshold
				if was != is {
					d.StatusChanges = append(d.StatusChanges, StatusChange{Level: level, ID: f.ID, Name: f.Name, From: was, To: is, Value: headline(cal, f)})
				}
			}
		}
		for _, f := range bf {
			if !seen[f.ID] {
				add(f.ID, f.Name, coverageValues(f), map[string]float64{})
			}
		}
		sort.Slice(ld.Areas, func(i, j int) bool { return ld.Areas[i].ID < ld.Areas[j].ID })
		d.Levels = append(d.Levels, ld)
	}
	return d, b, inc, nil
}

// landChanges returns the residential land newly covered and newly uncovered. For a parcel
// present before and after, they are the baseline gap minus the scenario gap and the other
// way round; for an added or modified parcel, its baseline is the part of its footprint the
// baseline covered (nothing, for a new development).
func (s *Service) landChanges(ctx context.Context, sc *Scenario, b *Baseline, inc *Incremental) (json.RawMessage, json.RawMessage, error) {
	snap := inc.Res.Snapshot()
	added := map[int64]bool{}
	for _, c := range sc.Changes {
		if c.Layer == "residential_land" && c.Op != OpDelete {
			added[c.FeatureID()] = true
		}
	}
	c := geos.NewContext()
	toG := func(mp orb.MultiPolygon) *geos.Geom {
		if len(mp) == 0 {
			return c.NewEmptyPolygon()
		}
		bb, _ := wkb.Marshal(mp)
		g, err := c.NewGeomFromWKB(bb)
		if err != nil {
			return c.NewEmptyPolygon()
		}
		return g
	}
	var gained, lost []landPiece
	for _, i := range inc.Recomputed {
		p := &snap.Parcels[i]
		k, existed := b.index[p.ID]
		var baseUnc *geos.Geom
		switch {
		case existed && !added[p.ID]:
			baseUnc = toG(b.Res.Gaps[k])
		case existed:
			old := toG(b.Snap.Parcels[k].Geom)
			oldGap := toG(b.Res.Gaps[k])
			oldCov := old.Difference(oldGap)
			baseUnc = toG(p.Geom).Difference(oldCov)
		default:
			baseUnc = toG(p.Geom)
		}
		scenGap := toG(inc.Res.Gaps[i])
		density := 0.0
		if p.AreaM2 > 0 {
			density = p.Population / p.AreaM2
		}
		for _, x := range []struct {
			g   *geos.Geom
			out *[]landPiece
		}{{baseUnc.Difference(scenGap), &gained}, {scenGap.Difference(baseUnc), &lost}} {
			if a := x.g.Area(); a >= 0.01 {
				*x.out = append(*x.out, landPiece{parcel: p.ID, area: a, residents: a * density, wkb: x.g.ToWKB()})
			}
		}
	}
	g, err := s.Store.piecesGeoJSON(ctx, sc.MetricSRID, gained)
	if err != nil {
		return nil, nil, err
	}
	l, err := s.Store.piecesGeoJSON(ctx, sc.MetricSRID, lost)
	return g, l, err
}

type landPiece struct {
	parcel    int64
	area      float64
	residents float64
	wkb       []byte
}

// piecesGeoJSON turns metric pieces into a FeatureCollection in EPSG:4326, 7 decimals.
func (s *Store) piecesGeoJSON(ctx context.Context, srid int, ps []landPiece) (json.RawMessage, error) {
	if len(ps) == 0 {
		return json.RawMessage(`{"type":"FeatureCollection","features":[]}`), nil
	}
	ws := make([][]byte, len(ps))
	ids := make([]int64, len(ps))
	areas := make([]float64, len(ps))
	res := make([]float64, len(ps))
	for i, p := range ps {
		ws[i], ids[i], areas[i], res[i] = p.wkb, p.parcel, p.area, p.residents
	}
	var b []byte
	err := s.Pool.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
			'type', 'Feature',
			'geometry', ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromWKB(w), $2::int), 4326), 7)::json,
			'properties', json_build_object('parcel_id', id, 'area_m2', round(a::numeric, 2), 'residents', round(r::numeric, 1))) ORDER BY ord), '[]'::json))
		FROM unnest($1::bytea[], $3::bigint[], $4::float8[], $5::float8[]) WITH ORDINALITY AS u(w, id, a, r, ord)`,
		ws, srid, ids, areas, res).Scan(&b)
	return b, err
}

// scorecardDelta compares the complete-community scorecard on the baseline and on sc.
func (s *Service) scorecardDelta(ctx context.Context, sc *Scenario) (*IndicatorDelta, error) {
	start := time.Now()
	reach := s.Checks.Reach
	if reach == nil {
		reach = checks.BufferReach{}
	}
	base, err := s.Checks.Store.Load(ctx, sc.City, checks.ScorecardNeed)
	if err != nil {
		return nil, err
	}
	scen, err := ChecksLayers(base, sc.Changes)
	if err != nil {
		return nil, err
	}
	br, err := checks.CheckScorecard(ctx, base, reach, s.Checks.Config.Scorecard)
	if err != nil {
		return nil, err
	}
	sr, err := checks.CheckScorecard(ctx, scen, reach, s.Checks.Config.Scorecard)
	if err != nil {
		return nil, err
	}
	d := &IndicatorDelta{ID: IndicatorCompleteCommunities, Status: "complete", StatusChanges: []StatusChange{}}
	cityB := map[string]float64{"complete": float64(br.Complete), "target": float64(br.Target)}
	cityS := map[string]float64{"complete": float64(sr.Complete), "target": float64(sr.Target)}
	d.Levels = append(d.Levels, LevelDelta{Level: coverage.LevelCity, Areas: []AreaDelta{{ID: int64(sc.CityID), Name: br.City.Name, Baseline: cityB, Scenario: cityS, Delta: delta(cityB, cityS)}}})
	vals := func(c checks.CommunityScore) map[string]float64 {
		v := map[string]float64{"score": c.Score, "met": float64(c.Met), "complete": 0}
		if c.Complete {
			v["complete"] = 1
		}
		return v
	}
	byID := map[int64]checks.CommunityScore{}
	for _, c := range br.Scores {
		byID[c.ID] = c
	}
	ld := LevelDelta{Level: coverage.LevelCommunity}
	for _, c := range sr.Scores {
		bc := byID[c.ID]
		ld.Areas = append(ld.Areas, AreaDelta{ID: c.ID, Name: c.Name, Baseline: vals(bc), Scenario: vals(c), Delta: delta(vals(bc), vals(c))})
		if bc.Complete != c.Complete {
			d.StatusChanges = append(d.StatusChanges, StatusChange{Level: coverage.LevelCommunity, ID: c.ID, Name: c.Name, From: bc.Complete, To: c.Complete, Value: c.Score})
		}
	}
	d.Levels = append(d.Levels, ld)
	d.ComputeMS = ms(time.Since(start))
	return d, nil
}
