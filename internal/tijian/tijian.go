package tijian

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/walk"
)

// DefaultCaliber is the park-coverage caliber of the tables: 公园绿化活动场地服务半径覆盖率,
// sites from 400 m² (internal/caliber's builtin.json, docs/tijian.md).
const DefaultCaliber = "tijian2023-site400"

// Levels are the unit levels of the tables, from the city down.
var Levels = []string{coverage.LevelCity, coverage.LevelDistrict, coverage.LevelSubdistrict, coverage.LevelCommunity}

// Scenarios computes the indicators on a city's baseline plus a what-if scenario's changes
// (internal/scenario's Service).
type Scenarios interface {
	CoverageReport(ctx context.Context, scenario int64, q coverage.Query) (*coverage.Report, error)
	LivingCircleReport(ctx context.Context, scenario int64, city string, opt walk.Options) (*walk.Report, error)
	checks.ScenarioLayers
}

// Source holds the domain services every value comes from.
type Source struct {
	Pool     *pgxpool.Pool
	Coverage *coverage.Service
	Walk     *walk.Service
	Checks   *checks.Service
	// Scenarios answers Query.Scenario; nil refuses it.
	Scenarios Scenarios
}

// Query names the tables.
type Query struct {
	City string
	// Level keeps the units of one level; "" keeps every level.
	Level string
	// AsOf is a data edition of the city, an RFC 3339 time or a date (docs/editions.md).
	AsOf string
	// Scenario is a what-if scenario id: the baseline plus its changes.
	Scenario int64
	// Caliber and Method of park coverage: "" is DefaultCaliber and its method.
	Caliber, Method string
}

// Progress is told how far the computation is (0…1) and what it is doing; it may be nil.
type Progress func(done float64, step string)

// Tables are the 体检 tables of a city: the units with their values, the indicators (the
// columns) and the dimensions that group them.
type Tables struct {
	City     string        `json:"city"`
	CityName string        `json:"city_name"`
	Adcode   string        `json:"adcode"`
	Level    string        `json:"level,omitempty"`
	AsOf     *edition.AsOf `json:"as_of,omitempty"`
	Scenario int64         `json:"scenario,omitempty"`
	Data     DataVersion   `json:"data"`
	// Caliber and Method are park coverage's; ScorecardMethod is how the complete-community
	// check decided reach (network or buffer); LivingCircleShare the share of residents
	// that makes a category reached.
	Caliber           string      `json:"caliber"`
	Method            string      `json:"method"`
	ScorecardMethod   string      `json:"scorecard_method"`
	LivingCircleShare float64     `json:"living_circle_share"`
	Dimensions        []Dimension `json:"dimensions"`
	Indicators        []Indicator `json:"indicators"`
	Units             []Unit      `json:"units"`
}

// DataVersion identifies the data the tables were computed on (internal/citydata's hash of
// the unit and input tables, as of the edition when one was asked for).
type DataVersion struct {
	Hash    string    `json:"hash"`
	Updated time.Time `json:"updated"`
}

// Indicator is one column of the tables.
type Indicator struct {
	Key       string `json:"key"`
	Dimension string `json:"dimension"`
	NameZH    string `json:"name_zh"`
	NameEN    string `json:"name_en"`
	// Unit is "%", "m²/人" or "个" (a count); Decimals the places every value is rounded to.
	Unit     string `json:"unit"`
	Decimals int    `json:"decimals"`
	// Source names the computation the value is read from.
	Source string `json:"source"`
	// limit is a threshold a value below it is never rounded up to (report.Round).
	limit float64
}

// Name is the indicator's header in lang.
func (in Indicator) Name(lang string) string {
	if lang == "en" {
		return in.NameEN
	}
	return in.NameZH
}

// Unit is one row: a community, 街道, district or the city.
type Unit struct {
	Level string `json:"level"`
	ID    int64  `json:"id"`
	// Code is the administrative code: the adcode of the city and of a district, the code
	// of a 街道 or a community; ParentCode is its parent's ("" for the city).
	Code       string `json:"code"`
	Name       string `json:"name"`
	ParentCode string `json:"parent_code,omitempty"`
	// Values are by indicator key, rounded to the indicator's decimals; null where the
	// indicator does not apply (no residential land; per-capita park area below districts).
	Values map[string]*float64 `json:"values"`
	geom   json.RawMessage     // GeoJSON (EPSG:4326), for the data package
	parent *Unit               // nil for the city
	// complete-community and living-circle tallies of the communities under the unit.
	tally tally
}

// tally counts a unit's communities.
type tally struct {
	scored, complete int
	fail             map[string]int
	lcUnits          int // communities with residential land (living circle)
	lcComplete       int
	lcPop, lcPopDone float64
}

func badParam(name, detail string) error { return fault.Invalid(detail).With("parameter", name) }

// check validates q and fills its defaults.
func (s Source) check(q *Query) error {
	if q.City == "" {
		return badParam("city", "city is required (a city slug, e.g. baotou)")
	}
	if q.Level != "" && !slices.Contains(Levels, q.Level) {
		return badParam("level", fmt.Sprintf("level must be city, district, subdistrict or community, not %q", fault.Clip(q.Level)))
	}
	if q.Scenario != 0 {
		if q.AsOf != "" {
			return badParam("as_of", "give scenario or as_of, not both: a scenario changes the current data")
		}
		if s.Scenarios == nil {
			return badParam("scenario", "scenarios are not computed here")
		}
	}
	if q.Caliber == "" {
		q.Caliber = DefaultCaliber
	}
	return nil
}

// Compute computes the tables of q, of the data committed before they were asked for (the
// walking inputs are checked for edits on every call).
func (s Source) Compute(ctx context.Context, q Query, progress Progress) (*Tables, error) {
	if progress == nil {
		progress = func(float64, string) {}
	}
	if err := s.check(&q); err != nil {
		return nil, err
	}
	progress(0, "units")
	us, err := loadUnits(ctx, s.Pool, q.City, q.AsOf)
	if err != nil {
		return nil, err
	}
	out := &Tables{City: us.city.Slug, CityName: us.city.Name, Adcode: us.city.Adcode, Level: q.Level, AsOf: us.at, Scenario: q.Scenario,
		Data: us.version, Dimensions: Dimensions()}

	// Park coverage and per-capita park area, at every level from one run.
	cov := map[string]map[int64]coverage.AreaFigure{}
	for i, level := range Levels {
		progress(0.05+0.1*float64(i), "park coverage: "+level)
		cq := coverage.Query{City: q.City, Caliber: q.Caliber, Method: q.Method, Level: level, AsOf: q.AsOf}
		var rep *coverage.Report
		if q.Scenario != 0 {
			rep, err = s.Scenarios.CoverageReport(ctx, q.Scenario, cq)
		} else {
			rep, err = s.Coverage.Indicator(ctx, cq)
		}
		if err != nil {
			return nil, err
		}
		out.Caliber, out.Method = rep.Caliber.ID, rep.Method
		cov[level] = map[int64]coverage.AreaFigure{}
		for _, f := range rep.Areas {
			cov[level][f.ID] = f
		}
	}

	// The 15-minute living circle and the facility service-radius shares.
	progress(0.45, "living circle")
	var lc []*walk.Report
	if q.Scenario != 0 {
		for _, level := range Levels {
			rep, err := s.Scenarios.LivingCircleReport(ctx, q.Scenario, q.City, walk.Options{Level: level})
			if err != nil {
				return nil, err
			}
			lc = append(lc, rep)
		}
	} else if lc, err = s.Walk.LivingCircleLevels(ctx, q.City, walk.Options{}, q.AsOf, Levels); err != nil {
		return nil, err
	}
	out.LivingCircleShare = lc[0].Share

	// The complete-community scorecard.
	progress(0.75, "complete communities")
	cctx := ctx
	if q.Scenario != 0 {
		cctx = checks.WithScenario(ctx, s.Scenarios, q.Scenario)
	}
	sc, err := s.Checks.CompleteCommunities(cctx, checks.Request{City: q.City, AsOf: q.AsOf})
	if err != nil {
		return nil, err
	}
	out.ScorecardMethod = sc.Method

	progress(0.95, "tables")
	if out.Indicators, err = indicators(out, sc, lc[0]); err != nil {
		return nil, err
	}
	us.tallyCommunities(sc, lc[len(lc)-1])
	for _, u := range us.all() {
		if q.Level != "" && u.Level != q.Level {
			continue
		}
		u.Values = values(u, out.Indicators, cov[u.Level], lc[slices.Index(Levels, u.Level)])
		out.Units = append(out.Units, *u)
	}
	if out.Units == nil {
		out.Units = []Unit{}
	}
	progress(1, "done")
	return out, nil
}

// indicators lists the columns: park coverage and per-capita park area, the
// complete-community counts (an item of the scorecard each), the living circle and a
// service-radius share per facility category.
func indicators(t *Tables, sc *checks.ScorecardReport, lc *walk.Report) ([]Indicator, error) {
	covSrc := fmt.Sprintf("coverage: caliber %s, method %s (ratio of residential land)", t.Caliber, t.Method)
	scSrc := fmt.Sprintf("checks: complete-community scorecard, %s reach within %.0f m", sc.Method, sc.Tier)
	lcSrc := fmt.Sprintf("walk: living circle, a category reached by ≥ %.0f %% of residents", 100*lc.Share)
	out := []Indicator{
		{Key: "park_site_coverage", NameZH: zh("park_site_coverage"), NameEN: en("park_site_coverage"), Unit: "%", Decimals: 2, Source: covSrc, limit: 100},
		{Key: "park_per_capita", NameZH: zh("park_per_capita"), NameEN: en("park_per_capita"), Unit: "m²/人", Decimals: 2,
			Source: "coverage: per-capita park area (GB 55014), districts and the city only", limit: report.ParkPerCapitaTarget},
		{Key: "communities", NameZH: zh("communities"), NameEN: en("communities"), Unit: "个", Source: scSrc, limit: math.Inf(1)},
		{Key: "complete_communities", NameZH: zh("complete_communities"), NameEN: en("complete_communities"), Unit: "个", Source: scSrc, limit: math.Inf(1)},
	}
	for _, it := range sc.Items {
		name := itemEN[it.Key]
		if name == "" {
			name = it.Key
		}
		out = append(out, Indicator{Key: "fail_" + it.Key, NameZH: fmt.Sprintf(zh("fail"), it.Label), NameEN: fmt.Sprintf(en("fail"), name),
			Unit: "个", Source: scSrc, limit: math.Inf(1)})
	}
	out = append(out,
		Indicator{Key: "lc_complete", NameZH: zh("lc_complete"), NameEN: en("lc_complete"), Unit: "个", Source: lcSrc, limit: math.Inf(1)},
		Indicator{Key: "lc_population_share", NameZH: zh("lc_population_share"), NameEN: en("lc_population_share"), Unit: "%", Decimals: 2, Source: lcSrc, limit: 100})
	for _, c := range lc.Categories {
		out = append(out, Indicator{Key: "svc_" + c.Code, NameZH: fmt.Sprintf(zh("svc"), c.NameZh, c.ReachM), NameEN: fmt.Sprintf(en("svc"), c.NameEn, c.ReachM),
			Unit: "%", Decimals: 2, Source: "walk: share of residential land within the category's walking tier", limit: 100})
	}
	g, err := group(t.Dimensions, out)
	if err != nil {
		return nil, err
	}
	var sorted []Indicator
	for _, d := range t.Dimensions {
		for _, in := range g[d.ID] {
			in.Dimension = d.ID
			sorted = append(sorted, in)
		}
	}
	return sorted, nil
}

func zh(key string) string { return label("zh", key) }
func en(key string) string { return label("en", key) }

// values are a unit's figures, each read from the computation that gives it.
func values(u *Unit, inds []Indicator, cov map[int64]coverage.AreaFigure, lc *walk.Report) map[string]*float64 {
	v := map[string]*float64{}
	set := func(in Indicator, x float64, ok bool) {
		if ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
			r := report.Round(x, in.Decimals, in.limit)
			v[in.Key] = &r
		} else {
			v[in.Key] = nil
		}
	}
	var area *walk.AreaReport
	for i := range lc.Areas {
		if lc.Areas[i].ID == u.ID {
			area = &lc.Areas[i]
		}
	}
	f, hasCov := cov[u.ID]
	for _, in := range inds {
		switch key := in.Key; {
		case key == "park_site_coverage":
			set(in, 100*f.Ratio, hasCov && f.TotalM2 > 0)
		case key == "park_per_capita":
			ok := hasCov && f.PerCapita != nil && f.Population > 0
			if ok {
				set(in, f.PerCapita.ParkPerCapita, true)
			} else {
				set(in, 0, false)
			}
		case key == "communities":
			set(in, float64(u.tally.scored), true)
		case key == "complete_communities":
			set(in, float64(u.tally.complete), true)
		case len(key) > 5 && key[:5] == "fail_":
			set(in, float64(u.tally.fail[key[5:]]), true)
		case key == "lc_complete":
			set(in, float64(u.tally.lcComplete), true)
		case key == "lc_population_share":
			set(in, 100*u.tally.lcPopDone/u.tally.lcPop, u.tally.lcPop > 0)
		case len(key) > 4 && key[:4] == "svc_":
			ok := area != nil && area.ResidentialM2 > 0
			x := 0.0
			if ok {
				ok = false
				for _, c := range area.Coverage {
					if c.Code == key[4:] {
						x, ok = 100*c.AreaShare, true
					}
				}
			}
			set(in, x, ok)
		}
	}
	return v
}
