package walk

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/openness"
)

// Defaults of the living-circle indicator (standards.md §2).
const (
	// DefaultShare is the share of a community's residents who must be within a
	// category's tier for the category to count as reached.
	DefaultShare = 0.9
	// DefaultTarget is the plan's number of complete 15-minute living circles (Baotou:
	// 30 in three years).
	DefaultTarget = 30
	// MaxReachM bounds a tier override.
	MaxReachM = 5000.0
)

// Options configures the living-circle indicator.
type Options struct {
	// Level is city, district, subdistrict or community; "" means city.
	Level string
	// Share is the reached threshold in (0, 1]; 0 means DefaultShare.
	Share float64
	// Target is the plan's number of complete circles; 0 means DefaultTarget.
	Target int
	// Reach overrides the tier (metres) of categories by code.
	Reach map[string]float64
	// Profile is a walking profile code (Profiles): it scales the tiers without an
	// override in Reach by its speed. "" is the standard 4 km/h.
	Profile string
	profile *Profile // set once Profile has been turned into Reach
	// At is the time of day parks are entered at (the at= parameter): only gates open then
	// are access points (internal/openness). The zero value counts every gate open at
	// some time of the day.
	At openness.At
	// Bands, when set, weighs the residents figures by each parcel's residents of these
	// age bands (docs/capacity.md's spread; Service.Ages): the population shares, and
	// so whether a category is reached, are those of the bands. weight is each parcel's,
	// in Inputs.Parcels order, set by the Service.
	Bands  []string
	weight []float64
}

func (o *Options) normalise(in *Inputs) error {
	if err := o.applyProfile(in.Categories); err != nil {
		return err
	}
	if o.Level == "" {
		o.Level = LevelCity
	}
	switch o.Level {
	case LevelCity, LevelDistrict, LevelSubdistrict, LevelCommunity:
	default:
		return fault.Invalid(fmt.Sprintf("level must be city, district, subdistrict or community, not %q", o.Level)).With("parameter", "level")
	}
	if o.Share == 0 {
		o.Share = DefaultShare
	}
	if !(o.Share > 0 && o.Share <= 1) {
		return fault.Invalid(fmt.Sprintf("share must be in (0, 1], not %v", o.Share)).With("parameter", "share")
	}
	if o.Target == 0 {
		o.Target = DefaultTarget
	}
	if o.Target < 0 {
		return fault.Invalid("target must be positive").With("parameter", "target")
	}
	for code, m := range o.Reach {
		if !slices.ContainsFunc(in.Categories, func(c Category) bool { return c.Code == code }) {
			return fault.Invalid(fmt.Sprintf("reach: unknown facility category %q", code)).With("parameter", "reach")
		}
		if !(m > 0 && m <= MaxReachM) {
			return fault.Invalid(fmt.Sprintf("reach: %s must be in (0, %g] metres, not %v", code, MaxReachM, m)).With("parameter", "reach")
		}
	}
	return nil
}

// Check validates the options against the inputs' categories (opt is not modified): an
// Invalid fault naming the parameter, as Indicator would return after the work.
func (o Options) Check(in *Inputs) error { return o.normalise(in) }

// ParseReach parses "code:metres,code:metres" tier overrides.
func ParseReach(s string) (map[string]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]float64{}
	for part := range strings.SplitSeq(s, ",") {
		code, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		m, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil || code == "" {
			return nil, fault.Invalid(fmt.Sprintf("reach must be code:metres[,code:metres…], not %q", s)).With("parameter", "reach")
		}
		out[code] = m
	}
	return out, nil
}

// Report is the living-circle indicator at one level.
type Report struct {
	City       City          `json:"city"`
	Level      string        `json:"level"`
	Share      float64       `json:"share"`
	Categories []CategoryRow `json:"categories"`
	Areas      []AreaReport  `json:"areas"`
	// Communities counts the communities with residential land; Complete those that are
	// complete 15-minute living circles; Target is the plan's number.
	Communities          int               `json:"communities"`
	CompleteCommunities  int               `json:"complete_communities"`
	Subdistricts         int               `json:"subdistricts"`
	CompleteSubdistricts int               `json:"complete_subdistricts"`
	Target               int               `json:"target"`
	TargetMet            bool              `json:"target_met"`
	Parcels              int               `json:"parcels"`
	Unattached           UnattachedParcels `json:"unattached"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf       *edition.AsOf      `json:"as_of,omitempty"`
	Unassigned map[string]float64 `json:"unassigned_population"`
	Network    NetworkStats       `json:"network"`
	Method     Method             `json:"method"`
	// Scenario is set when the report is on baseline plus a scenario's changes.
	Scenario *ScenarioRun `json:"scenario,omitempty"`
	// Profile is the walking profile the tiers were scaled by (nil: standard).
	Profile *Profile `json:"profile,omitempty"`
	// At is the time of day parks were entered at (HH:MM); absent: gates open at any time
	// of day count.
	At string `json:"at,omitempty"`
	// Bands are the age bands the residents figures count (band=); empty: everyone.
	Bands []string `json:"bands,omitempty"`
}

// Method states the conventions behind the figures.
type Method struct {
	MaxSnapM float64 `json:"max_snap_m"`
	CutoffM  float64 `json:"search_cutoff_m"`
	Distance string  `json:"distance"`
	Reached  string  `json:"reached"`
	Complete string  `json:"complete"`
}

// CategoryRow is a category with its effective tier and facility counts.
type CategoryRow struct {
	Category
	Facilities FacilityCount `json:"facilities"`
}

// AreaReport is the indicator for one area (or the whole city).
type AreaReport struct {
	Level         string           `json:"level"`
	ID            int64            `json:"id"`
	Code          string           `json:"code,omitempty"`
	Name          string           `json:"name"`
	Parcels       int              `json:"parcels"`
	ResidentialM2 float64          `json:"residential_m2"`
	Population    float64          `json:"population"`
	Coverage      []CategoryFigure `json:"coverage"`
	// Reached lists every category reached; Missing the basic categories not reached.
	Reached []string `json:"reached"`
	Missing []string `json:"missing"`
	// Status is complete, incomplete or no_residential_land.
	Status   string `json:"status"`
	Complete bool   `json:"complete"`
}

// CategoryFigure is one category's coverage within its tier in one area.
type CategoryFigure struct {
	Code              string  `json:"code"`
	ReachM            float64 `json:"reach_m"`
	CoveredM2         float64 `json:"covered_m2"`
	CoveredPopulation float64 `json:"covered_population"`
	// AreaShare and PopulationShare are the covered shares of residential area and of
	// residents (0 when the area has none).
	AreaShare       float64 `json:"area_share"`
	PopulationShare float64 `json:"population_share"`
	Reached         bool    `json:"reached"`
}

// Status values of an area.
const (
	StatusComplete   = "complete"
	StatusIncomplete = "incomplete"
	StatusNoLand     = "no_residential_land"
)

// acc accumulates one area's parcels.
type acc struct {
	parcels         int
	area, pop       float64
	covArea, covPop []float64
}

// Indicator computes the living-circle figures from a reach. Every area of every level is
// computed (the complete counts need the communities and 街道); Report.Areas holds the
// requested level's.
func Indicator(n *Network, in *Inputs, r *Reach, opt Options) (*Report, error) {
	reps, err := IndicatorLevels(n, in, r, opt, []string{opt.Level})
	if err != nil {
		return nil, err
	}
	return reps[0], nil
}

// IndicatorLevels computes the living-circle figures from a reach once and returns one
// report per level asked for ("" meaning opt.Level), in that order: what a comparison at
// every level needs, without aggregating the parcels again for each level.
func IndicatorLevels(n *Network, in *Inputs, r *Reach, opt Options, levels []string) ([]*Report, error) {
	if err := opt.normalise(in); err != nil {
		return nil, err
	}
	if len(opt.Bands) > 0 && len(opt.weight) != len(in.Parcels) {
		return nil, fault.Invalid("band is not available for scenarios yet: ask the baseline").With("parameter", "band")
	}
	levels = slices.Clone(levels)
	if err := opt.applyProfile(in.Categories); err != nil {
		return nil, err
	}
	for i, l := range levels {
		if l == "" {
			levels[i] = opt.Level
		}
		o := opt
		o.Level = levels[i]
		if err := o.normalise(in); err != nil {
			return nil, err
		}
	}
	cats := make([]Category, len(r.Categories))
	copy(cats, r.Categories)
	tiers := make([]float64, len(cats))
	for k := range cats {
		if m, ok := opt.Reach[cats[k].Code]; ok {
			cats[k].ReachM = m
		}
		tiers[k] = cats[k].ReachM
		if tiers[k] > r.Cutoff {
			return nil, fmt.Errorf("walk: tier %g m of %s exceeds the reach cutoff %g m", tiers[k], cats[k].Code, r.Cutoff)
		}
	}
	nk := len(cats)
	newAcc := func() acc { return acc{covArea: make([]float64, nk), covPop: make([]float64, nk)} }
	city := newAcc()
	areas := make([]acc, len(in.Areas))
	for i := range areas {
		areas[i] = newAcc()
	}
	unassigned := map[string]float64{LevelDistrict: 0, LevelSubdistrict: 0, LevelCommunity: 0}
	var targets [4]*acc
	for p := range in.Parcels {
		pc := &in.Parcels[p]
		pop := pc.Population
		if opt.weight != nil {
			pop = opt.weight[p]
		}
		targets[0] = &city
		m := 1
		for slot, i := range pc.In {
			if i >= 0 {
				targets[m] = &areas[i]
				m++
			} else {
				unassigned[slotLevel[slot]] += pop
			}
		}
		for _, a := range targets[:m] {
			a.parcels++
			a.area += pc.AreaM2
			a.pop += pop
		}
		for k := range nk {
			if r.Dist[k][p] <= tiers[k] {
				for _, a := range targets[:m] {
					a.covArea[k] += pc.AreaM2
					a.covPop[k] += pop
				}
			}
		}
	}

	// Every area's figures, once; then the reports share them.
	figs := make([]AreaReport, len(in.Areas))
	var communities, completeC, subdistricts, completeS int
	for i := range in.Areas {
		a := &in.Areas[i]
		f := figures(a.Level, a.ID, a.Code, a.Name, &areas[i], cats, opt.Share)
		figs[i] = f
		switch a.Level {
		case LevelCommunity:
			if f.Status != StatusNoLand {
				communities++
			}
			if f.Complete {
				completeC++
			}
		case LevelSubdistrict:
			if f.Status != StatusNoLand {
				subdistricts++
			}
			if f.Complete {
				completeS++
			}
		}
	}
	out := make([]*Report, len(levels))
	for li, level := range levels {
		rep := &Report{
			City: in.City, Level: level, Share: opt.Share, Target: opt.Target,
			Parcels: len(in.Parcels), Unattached: r.Unattached, Unassigned: unassigned,
			Communities: communities, CompleteCommunities: completeC, Subdistricts: subdistricts, CompleteSubdistricts: completeS,
			Method: Method{
				MaxSnapM: r.MaxSnap, CutoffM: r.Cutoff,
				Distance: "walking distance = facility access leg + network distance + home access leg; a home is its parcel's point on surface, attached to the nearest walkable edge",
				Reached:  fmt.Sprintf("a category is reached when at least %g of the area's residents (of its residential area when it has no residents) are within the category's tier", opt.Share),
				Complete: "complete 15-minute living circle: every basic category reached",
			},
		}
		if n != nil {
			rep.Network = n.Stats
		}
		rep.Profile = opt.profile
		rep.At = opt.At.String()
		rep.Bands = opt.Bands
		for k, c := range cats {
			rep.Categories = append(rep.Categories, CategoryRow{Category: c, Facilities: r.Facilities[k]})
		}
		if level == LevelCity {
			rep.Areas = append(rep.Areas, figures(LevelCity, int64(in.City.ID), in.City.Slug, in.City.Name, &city, cats, opt.Share))
		}
		for i := range in.Areas {
			if in.Areas[i].Level == level {
				rep.Areas = append(rep.Areas, figs[i])
			}
		}
		sort.SliceStable(rep.Areas, func(i, j int) bool { return rep.Areas[i].ID < rep.Areas[j].ID })
		rep.TargetMet = rep.CompleteCommunities >= rep.Target
		out[li] = rep
	}
	return out, nil
}

// figures turns an accumulator into an AreaReport.
func figures(level string, id int64, code, name string, a *acc, cats []Category, share float64) AreaReport {
	f := AreaReport{Level: level, ID: id, Code: code, Name: name, Parcels: a.parcels,
		ResidentialM2: a.area, Population: a.pop, Reached: []string{}, Missing: []string{}}
	for k, c := range cats {
		cf := CategoryFigure{Code: c.Code, ReachM: c.ReachM, CoveredM2: a.covArea[k], CoveredPopulation: a.covPop[k]}
		if a.area > 0 {
			cf.AreaShare = a.covArea[k] / a.area
		}
		if a.pop > 0 {
			cf.PopulationShare = a.covPop[k] / a.pop
		}
		// Residents decide; an area with land but no residents falls back on land.
		basis := cf.PopulationShare
		if a.pop == 0 {
			basis = cf.AreaShare
		}
		cf.Reached = a.parcels > 0 && basis >= share-1e-12
		if cf.Reached {
			f.Reached = append(f.Reached, c.Code)
		} else if c.Basic {
			f.Missing = append(f.Missing, c.Code)
		}
		f.Coverage = append(f.Coverage, cf)
	}
	switch {
	case a.parcels == 0 || (a.area == 0 && a.pop == 0):
		f.Status = StatusNoLand
		f.Reached = []string{}
	case len(f.Missing) == 0:
		f.Status, f.Complete = StatusComplete, true
	default:
		f.Status = StatusIncomplete
	}
	return f
}

// LivingCircle computes the indicator on the city's current baseline. Tier overrides
// beyond the cached reach's cutoff trigger a fresh search to the larger cutoff.
func (s *Service) LivingCircle(ctx context.Context, slug string, opt Options) (*Report, error) {
	city, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	n, in, r, err := s.Baseline(ctx, city)
	if err != nil {
		return nil, err
	}
	return s.indicatorOn(ctx, n, in, r, opt)
}

// indicatorOn computes the indicator on n and in from the reach r, searching afresh when
// opt's tiers go beyond r's cutoff.
func (s *Service) indicatorOn(ctx context.Context, n *Network, in *Inputs, r *Reach, opt Options) (*Report, error) {
	reps, err := s.levelsOn(ctx, n, in, r, opt, []string{opt.Level})
	if err != nil {
		return nil, err
	}
	return reps[0], nil
}

// levelsOn is indicatorOn at each of levels (IndicatorLevels).
func (s *Service) levelsOn(ctx context.Context, n *Network, in *Inputs, r *Reach, opt Options, levels []string) ([]*Report, error) {
	if err := s.weighBands(ctx, in, &opt); err != nil {
		return nil, err
	}
	n, in, r, err := s.reachFor(ctx, n, in, r, &opt)
	if err != nil {
		return nil, err
	}
	return IndicatorLevels(n, in, r, opt, levels)
}

// reachFor turns opt's profile into tiers and returns the network, inputs and reach the
// figures are read from: n, in and r as they are, or a fresh search when opt asks for what
// r was not searched for — tiers beyond r's cutoff, a profile that takes no steps (n less
// its steps edges), a time of day at which some park gates are shut (in less those
// access points).
func (s *Service) reachFor(ctx context.Context, n *Network, in *Inputs, r *Reach, opt *Options) (*Network, *Inputs, *Reach, error) {
	return reachFor(ctx, n, in, r, opt, s.maxSnap())
}

func reachFor(ctx context.Context, n *Network, in *Inputs, r *Reach, opt *Options, maxSnap float64) (*Network, *Inputs, *Reach, error) {
	if err := opt.applyProfile(in.Categories); err != nil {
		return nil, nil, nil, err
	}
	need := r.Cutoff
	for _, m := range opt.Reach {
		if m <= MaxReachM {
			need = math.Max(need, m)
		}
	}
	fresh := need > r.Cutoff
	if opt.profile != nil {
		walked, err := n.ForProfile(*opt.profile)
		if err != nil {
			return nil, nil, nil, err
		}
		fresh = fresh || walked != n
		n = walked
	}
	if at := in.parksAt(opt.At); at != in {
		in, fresh = at, true
	}
	if fresh {
		r, err := ComputeReach(ctx, n, in, ReachOptions{MaxSnap: maxSnap, Cutoff: need})
		return n, in, r, err
	}
	return n, in, r, nil
}

// AgeBands gives residents by age band: internal/capacity's Ages, which this package
// cannot import (capacity imports walk); internal/cli sets Service.Ages.
type AgeBands interface {
	// BandCounts checks the band codes (an Invalid fault naming band) and returns them
	// in canonical order, the city's residents of those bands per community id, a
	// digest of those counts and the data version of the age tables they were read under.
	BandCounts(ctx context.Context, cityID int, bands []string) ([]string, map[int64]float64, string, citydata.Version, error)
	// SpreadBands shares the counts among the parcels (community id of each, 0: none) in
	// proportion to their residents pop.
	SpreadBands(pop []float64, community []int64, counts map[int64]float64) []float64
}

// weighBands sets opt's parcel weights to the parcels' residents of opt.Bands.
func (s *Service) weighBands(ctx context.Context, in *Inputs, opt *Options) error {
	if len(opt.Bands) == 0 {
		return nil
	}
	if s.Ages == nil {
		return fault.Invalid("residents by age band are not available here").With("parameter", "band")
	}
	bands, counts, _, _, err := s.Ages.BandCounts(ctx, in.City.ID, opt.Bands)
	if err != nil {
		return err
	}
	pop := make([]float64, len(in.Parcels))
	com := make([]int64, len(in.Parcels))
	for i, p := range in.Parcels {
		pop[i] = p.Population
		if c := p.In[2]; c >= 0 {
			com[i] = in.Areas[c].ID
		}
	}
	opt.Bands, opt.weight = bands, s.Ages.SpreadBands(pop, com, counts)
	return nil
}
