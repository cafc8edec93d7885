package problems

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/walk"
)

// Source derives the ledger from the indicators.
type Source struct {
	Pool     *pgxpool.Pool
	Coverage *coverage.Service
	Walk     *walk.Service
	// Checks scores the complete communities; nil leaves that indicator out of the
	// default list and refuses it when asked for.
	Checks *checks.Service
}

// MaxSites bounds Query.Sites.
const MaxSites = 200

// Query asks for a city's ledger between two editions.
type Query struct {
	City string
	// From and To are as-of references (an edition name, an RFC 3339 time, a date): the
	// earlier and the later state. To "" is the current data; From "" is the latest
	// published edition before To, and no comparison when there is none.
	From, To string
	// Indicators keeps these indicators (empty: all). Status, District (a district's
	// adcode) and Unit (a community's code) filter the listed problems; the rates count
	// every problem of the indicators kept.
	Indicators      []string
	Status          string
	District, Unit  string
	Caliber, Method string
	// MinCoverage is the park-coverage ratio a community must reach; 0: the caliber's
	// first target (0.8 under GB/T 50563-2010), or 1 when the caliber sets none.
	MinCoverage float64
	// Sites is how many candidate pocket-park sites (coverage.Sites, city-wide) to compute
	// at To for the park-coverage remedies; 0: none.
	Sites int
	// Progress, when set, is told the share of the work done and the step begun.
	Progress func(done float64, step string)
}

// Ledger is the problem list of a city between two editions with the 整治率.
type Ledger struct {
	City     string `json:"city"`
	CityName string `json:"city_name"`
	// From is the earlier state compared with (nil: none); To the later one.
	From       *edition.AsOf `json:"from"`
	To         edition.AsOf  `json:"to"`
	ToNow      bool          `json:"to_now"`
	Indicators []string      `json:"indicators"`
	// Caliber and Method of park coverage, the same at both editions; Thresholds by
	// indicator.
	Caliber    string             `json:"caliber,omitempty"`
	Method     string             `json:"method,omitempty"`
	Thresholds map[string]float64 `json:"thresholds"`
	Problems   []Problem          `json:"problems"`
	// Rate is the city's 整治率; Units and Districts those of every community and district
	// with a problem in either edition.
	Rate      Rate   `json:"rate"`
	Units     []Rate `json:"units"`
	Districts []Rate `json:"districts"`
}

// snapshot is the problems of one state of the city and the figures of every unit.
type snapshot struct {
	at       edition.AsOf
	problems []Problem
	// values are every unit's figure by problem id, failing or not.
	values map[string]float64
	units  map[int64]Unit
}

// Ledger computes q, of the data committed before it was asked for (the walking inputs are
// checked for edits on every call).
func (s Source) Ledger(ctx context.Context, q Query) (*Ledger, error) {
	if q.City == "" {
		return nil, fault.Invalid("city is required (a city slug, e.g. baotou)").With("parameter", "city")
	}
	inds, err := indicators(q.Indicators)
	if err != nil {
		return nil, err
	}
	if s.Checks == nil {
		if len(q.Indicators) > 0 && slices.Contains(inds, Complete) {
			return nil, fault.Invalid("the complete-community scorecard is not available in this process").With("parameter", "indicator")
		}
		inds = slices.DeleteFunc(inds, func(ind string) bool { return ind == Complete })
	}
	if q.Status != "" && !slices.Contains(Statuses, q.Status) {
		return nil, fault.Invalid("status must be new, persisting, fixed or open").With("parameter", "status")
	}
	if q.MinCoverage < 0 || q.MinCoverage > 1 {
		return nil, fault.Invalid("min_coverage must be a ratio from 0 to 1").With("parameter", "min_coverage")
	}
	if q.Sites < 0 || q.Sites > MaxSites {
		return nil, fault.Invalid(fmt.Sprintf("sites must be from 0 to %d", MaxSites)).With("parameter", "sites")
	}
	eds := edition.Store{Pool: s.Pool}
	cityID, err := eds.CityID(ctx, q.City)
	if err != nil {
		return nil, err
	}
	to := edition.AsOf{At: time.Now().UTC()}
	if q.To != "" {
		if to, err = eds.At(ctx, cityID, "to", q.To); err != nil {
			return nil, err
		}
		if to.At.After(time.Now()) {
			return nil, fault.Invalid("to lies in the future: the ledger compares data that exists (omit to for the current data)").With("parameter", "to")
		}
	}
	var from *edition.AsOf
	if q.From != "" {
		f, err := eds.At(ctx, cityID, "from", q.From)
		if err != nil {
			return nil, err
		}
		from = &f
	} else if from, err = s.previous(ctx, q.City, to.At); err != nil {
		return nil, err
	}
	if from != nil && !from.At.Before(to.At) {
		return nil, fault.Invalid("from must be earlier than to").With("parameter", "from")
	}
	led := &Ledger{City: q.City, From: from, To: to, ToNow: q.To == "", Indicators: inds, Thresholds: map[string]float64{}}
	city, err := citydata.ByID(ctx, s.Pool, cityID)
	if err != nil {
		return nil, err
	}
	led.CityName = city.Name
	c := &computer{src: s, q: q, cityID: cityID, led: led, steps: len(inds)}
	if q.Sites > 0 && slices.Contains(inds, ParkCoverage) {
		c.steps++
	}
	if from != nil {
		c.steps += len(inds)
	}
	later, err := c.state(ctx, q.To, to, true)
	if err != nil {
		return nil, err
	}
	var earlier *snapshot
	if from != nil {
		ref := q.From
		if ref == "" {
			ref = from.Edition
		}
		if earlier, err = c.state(ctx, ref, *from, false); err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
	}
	var before []Problem
	if earlier != nil {
		before = earlier.problems
	}
	if q.Progress != nil {
		q.Progress(1, "done")
	}
	all := Compare(before, later.problems, earlier != nil, later.values)
	led.Units, led.Districts, led.Rate = Rates(all, q.City, led.CityName)
	led.Problems = []Problem{}
	for _, p := range all {
		if (q.Status == "" || p.Status == q.Status) && (q.District == "" || p.Unit.DistrictCode == q.District) && (q.Unit == "" || p.Unit.Code == q.Unit) {
			led.Problems = append(led.Problems, p)
		}
	}
	districtOf := map[string]string{}
	for _, p := range all {
		districtOf[p.Unit.Code] = p.Unit.DistrictCode
	}
	if q.District != "" {
		led.Units = slices.DeleteFunc(led.Units, func(r Rate) bool { return districtOf[r.Code] != q.District })
		led.Districts = slices.DeleteFunc(led.Districts, func(r Rate) bool { return r.Code != q.District })
	}
	if q.Unit != "" {
		led.Units = slices.DeleteFunc(led.Units, func(r Rate) bool { return r.Code != q.Unit })
		led.Districts = slices.DeleteFunc(led.Districts, func(r Rate) bool { return r.Code != districtOf[q.Unit] })
	}
	return led, nil
}

// indicators checks the indicator filter and returns the indicators kept, in order.
func indicators(want []string) ([]string, error) {
	for _, w := range want {
		if !slices.Contains(Indicators, w) {
			return nil, fault.Invalid(fmt.Sprintf("indicator must be park-coverage, living-circle or complete-communities, not %q", fault.Clip(w))).With("parameter", "indicator")
		}
	}
	if len(want) == 0 {
		return slices.Clone(Indicators), nil
	}
	var out []string
	for _, ind := range Indicators {
		if slices.Contains(want, ind) {
			out = append(out, ind)
		}
	}
	return out, nil
}

// previous returns the latest published edition of city taken before at, nil when none.
func (s Source) previous(ctx context.Context, city string, at time.Time) (*edition.AsOf, error) {
	eds, err := edition.Store{Pool: s.Pool}.List(ctx, city, true)
	if err != nil {
		return nil, err
	}
	var out *edition.AsOf
	for _, e := range eds {
		if e.AsOf.Before(at) {
			out = &edition.AsOf{At: e.AsOf, Edition: e.Name}
		}
	}
	return out, nil
}

// computer derives the problems of one state of the city for a ledger.
type computer struct {
	src    Source
	q      Query
	cityID int
	led    *Ledger
	// steps and done count the indicator computations for Query.Progress.
	steps, done int
}

// step tells Query.Progress that a computation begins.
func (c *computer) step(what string, at edition.AsOf) {
	if c.q.Progress == nil {
		return
	}
	name := at.Edition
	if name == "" {
		name = at.At.In(edition.Beijing).Format(time.DateTime)
	}
	c.q.Progress(float64(c.done)/float64(max(c.steps, 1)), what+" "+name)
	c.done++
}

// state derives the problems at ref (as-of reference; "" = now) resolved to at; remedies
// (sites) only when later.
func (c *computer) state(ctx context.Context, ref string, at edition.AsOf, later bool) (*snapshot, error) {
	st := &snapshot{at: at, values: map[string]float64{}}
	var err error
	var when *time.Time
	if ref != "" {
		when = &at.At
	}
	if st.units, err = c.src.units(ctx, c.cityID, when); err != nil {
		return nil, err
	}
	for _, ind := range c.led.Indicators {
		c.step(ind, at)
		switch ind {
		case ParkCoverage:
			err = c.parkCoverage(ctx, ref, st, later)
		case LivingCircle:
			err = c.livingCircle(ctx, ref, st)
		case Complete:
			err = c.complete(ctx, ref, st)
		}
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

// problem records unit id's figure v of indicator and, when it fails, its problem.
func (c *computer) problem(st *snapshot, indicator string, id int64, v, threshold float64, fails bool, r Remedy) *Problem {
	u, ok := st.units[id]
	if !ok {
		return nil
	}
	key := Key(c.q.City, indicator, LevelCommunity, u.Code)
	pid := ID(key)
	st.values[pid] = v
	if !fails {
		return nil
	}
	st.problems = append(st.problems, Problem{ID: pid, Key: key, Indicator: indicator, Unit: u, Value: v, Threshold: threshold, Remedy: r})
	return &st.problems[len(st.problems)-1]
}

// parkCoverage: a community with residential land whose coverage ratio (under the
// caliber's headline: area, or residents) is below the threshold.
func (c *computer) parkCoverage(ctx context.Context, ref string, st *snapshot, later bool) error {
	cq := coverage.Query{City: c.q.City, Caliber: c.led.Caliber, Method: c.led.Method, Level: coverage.LevelCommunity, AsOf: ref}
	if cq.Caliber == "" {
		cq.Caliber, cq.Method = c.q.Caliber, c.q.Method
	}
	rep, err := c.src.Coverage.Indicator(ctx, cq)
	if err != nil {
		return err
	}
	// The later state settles the caliber and method (the city's default unless asked);
	// the earlier one is computed with the same.
	c.led.Caliber, c.led.Method = rep.Caliber.ID, rep.Method
	threshold := c.q.MinCoverage
	if threshold == 0 {
		threshold = 1
		if len(rep.Caliber.Targets) > 0 {
			threshold = rep.Caliber.Targets[0].Ratio
		}
	}
	c.led.Thresholds[ParkCoverage] = threshold
	byPop := rep.Headline == caliber.ByPopulation
	var sites map[int64][]Site
	if later && c.q.Sites > 0 {
		c.step("sites", c.led.To)
		if sites, err = c.sites(ctx, ref, cq); err != nil {
			return err
		}
	}
	for _, f := range rep.Areas {
		if f.Parcels == 0 {
			continue // no residential land: nothing to cover
		}
		v := f.Ratio
		if byPop {
			v = f.PopulationShare
		}
		c.problem(st, ParkCoverage, f.ID, v, threshold, v < threshold, Remedy{Sites: sites[f.ID]})
	}
	return nil
}

// sites computes the city's first q.Sites candidate pocket-park sites at ref and groups
// them by the community they stand in.
func (c *computer) sites(ctx context.Context, ref string, cq coverage.Query) (map[int64][]Site, error) {
	cq.Level = ""
	res, err := c.src.Coverage.Result(ctx, cq)
	if err != nil {
		return nil, err
	}
	plan, err := coverage.Sites(ctx, res, c.q.Sites, 0)
	if err != nil {
		return nil, coverage.SitesFault(err)
	}
	geoms, err := c.src.Coverage.Store.SitePolygons(ctx, res.Snapshot().MetricSRID, plan)
	if err != nil {
		return nil, err
	}
	out := make([]Site, len(plan.Sites))
	for i, s := range plan.Sites {
		out[i] = Site{Rank: s.Rank, Lon: geoms[i].Lon, Lat: geoms[i].Lat, AreaM2: plan.Park.AreaM2, GainM2: s.GainM2, GainPopulation: s.GainPopulation}
	}
	var when *time.Time
	if ref != "" {
		when = &c.led.To.At
	}
	return c.src.sitesByUnit(ctx, c.cityID, when, out)
}

// livingCircle: a community whose 15-minute living circle is incomplete (it does not
// reach every basic category); the value is the share of the basic categories reached,
// the threshold 1.
func (c *computer) livingCircle(ctx context.Context, ref string, st *snapshot) error {
	opt := walk.Options{Level: walk.LevelCommunity}
	var rep *walk.Report
	var err error
	if ref == "" {
		rep, err = c.src.Walk.LivingCircle(ctx, c.q.City, opt)
	} else {
		rep, err = c.src.Walk.LivingCircleAsOf(ctx, c.q.City, opt, ref)
	}
	if err != nil {
		return err
	}
	c.led.Thresholds[LivingCircle] = 1
	basic, names := 0, map[string]string{}
	for _, cat := range rep.Categories {
		if cat.Basic {
			basic++
		}
		names[cat.Code] = cat.NameZh
	}
	for _, a := range rep.Areas {
		if a.Status == walk.StatusNoLand || basic == 0 {
			continue
		}
		v := float64(basic-len(a.Missing)) / float64(basic)
		r := Remedy{Missing: a.Missing}
		for _, m := range a.Missing {
			r.MissingNames = append(r.MissingNames, names[m])
		}
		c.problem(st, LivingCircle, a.ID, v, 1, !a.Complete, r)
	}
	return nil
}

// complete: a community the complete-community scorecard does not find complete; the
// value is its score (items met ÷ items), the threshold 1, the remedy the items it misses.
func (c *computer) complete(ctx context.Context, ref string, st *snapshot) error {
	rep, err := c.src.Checks.CompleteCommunities(ctx, checks.Request{City: c.q.City, AsOf: ref})
	if err != nil {
		return err
	}
	c.led.Thresholds[Complete] = 1
	labels := map[string]string{}
	for _, it := range rep.Items {
		labels[it.Key] = it.Label
	}
	for _, sc := range rep.Scores {
		r := Remedy{Missing: sc.Missing}
		for _, m := range sc.Missing {
			r.MissingNames = append(r.MissingNames, labels[m])
		}
		c.problem(st, Complete, sc.ID, sc.Score, 1, !sc.Complete, r)
	}
	return nil
}

// ParseIndicators reads the indicator filter: comma-separated indicator names, "" for all.
func ParseIndicators(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	out := strings.Split(v, ",")
	if _, err := indicators(out); err != nil {
		return nil, err
	}
	return out, nil
}
