package capacity

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cityreach/cityreach/internal/walk"
)

// BandsAll is the band filter meaning every resident (the parcels' own population).
const BandsAll = "all"

// Service computes the capacity indicator of a city on the walking service's cached
// network and inputs. Baseline reports are kept per data version of every table they are
// computed from and per option (cache.go): a repeated request checks the data version
// (with the walking service's Watcher, reading no table's version when none was edited)
// and answers from memory; an edit changes the version and the next request computes
// afresh.
// A scenario's report is never kept.
type Service struct {
	Walk  *walk.Service
	Store Store

	cache reportCache
	ages  ageWatch // the version of ageTables, for the cache key and data_version
}

// Capacity computes the 2SFCA capacity indicator of opt.Category for the city slug.
func (s *Service) Capacity(ctx context.Context, slug string, opt Options) (*Report, error) {
	if opt.Category == "" {
		return nil, invalid("category", "category is required (e.g. primary_school)")
	}
	if opt.Decay == "" {
		opt.Decay = DecayNone
	}
	if err := CheckDecay(opt.Decay); err != nil {
		return nil, err
	}
	if opt.D0 < 0 || opt.D0 > 10000 {
		return nil, invalid("d0", "the catchment radius must be from 1 to 10,000 m")
	}
	if _, ok := walk.ProfileByCode(opt.Profile); opt.Profile != "" && !ok {
		return nil, invalid("profile", fmt.Sprintf("profile must be one of %s, not %q", strings.Join(walk.ProfileCodes(), ", "), clip(opt.Profile)))
	}
	if opt.Level == "" {
		opt.Level = walk.LevelCommunity
	}
	city, err := s.Walk.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	if opt.Changes != nil {
		return s.compute(ctx, city, opt)
	}
	// The options are resolved (the category, its bands and reach) inside the computation:
	// they are read from facility_categories and age_bands, whose versions are part of the
	// cache key, so a hit needs no reading of them.
	return s.cached(ctx, city, opt, func(ctx context.Context) (*Report, error) { return s.compute(ctx, city, opt) })
}

// resolve reads the category of opt and fills in what opt leaves to it: the demand bands
// (checked against the configured set) and d0 (the category's reach, scaled by the
// profile's speed).
func (s *Service) resolve(ctx context.Context, opt Options) (Category, Options, error) {
	cat, err := s.category(ctx, opt.Category)
	if err != nil {
		return cat, opt, err
	}
	switch cat.Source {
	case SourceFacilities:
	case SourceParks:
	default:
		return cat, opt, invalid("category", fmt.Sprintf("category %s has no capacity column (its points come from %s)", cat.Code, clip(cat.Source)))
	}
	if p, ok := walk.ProfileByCode(opt.Profile); ok && opt.Profile != "" && opt.D0 == 0 {
		opt.D0 = cat.ReachM * p.SpeedKmh / walk.BaseSpeedKmh
	}
	if opt.Bands, err = s.bands(ctx, cat, opt.Bands); err != nil {
		return cat, opt, err
	}
	if opt.D0 == 0 {
		opt.D0 = cat.ReachM
	}
	return cat, opt, nil
}

// compute resolves opt and computes its report for city: on the walking service's
// snapshot, or a scenario's derivation of it when opt.Changes is set.
func (s *Service) compute(ctx context.Context, city walk.City, opt Options) (*Report, error) {
	cat, opt, err := s.resolve(ctx, opt)
	if err != nil {
		return nil, err
	}
	bands := opt.Bands
	var n *walk.Network
	var in *walk.Inputs
	if opt.Changes != nil {
		n, in, err = s.Walk.Scenario(ctx, city, opt.Changes.Walk)
	} else if n, err = s.Walk.Network(ctx, city); err == nil {
		in, err = s.Walk.Inputs(ctx, city)
	}
	if err != nil {
		return nil, err
	}
	demand := TotalDemand(in)
	if len(bands) > 0 {
		ok, err := s.Store.HasAgeData(ctx, city.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, invalid("band", fmt.Sprintf("city %s has no residents by age band: import an age table (cityreach import ages) or use band=all", city.Slug))
		}
		counts, err := s.Store.CommunityCounts(ctx, city.ID, bands)
		if err != nil {
			return nil, err
		}
		demand = SpreadInputs(in, counts)
	}
	var fac []Supply
	if cat.Source == SourceParks {
		areas, err := s.Store.ParkAreas(ctx, city.ID)
		if err != nil {
			return nil, err
		}
		if opt.Changes != nil {
			areas = opt.Changes.parkAreas(areas)
		}
		fac = ParkSupply(in.Facilities, areas)
	} else if fac, err = s.Store.Facilities(ctx, city.ID, cat.Code); err != nil {
		return nil, err
	}
	if opt.Changes != nil {
		fac = opt.Changes.with(cat.Code, fac)
	}
	maxSnap := s.Walk.MaxSnap
	if maxSnap <= 0 {
		maxSnap = walk.DefaultMaxSnap
	}
	return Compute(ctx, n, in, cat, fac, demand, opt, maxSnap)
}

// category reads a category; the capacity of parks is their area, in square metres.
func (s *Service) category(ctx context.Context, code string) (Category, error) {
	cat, err := s.Store.Category(ctx, code)
	if err == nil && cat.Source == SourceParks {
		cat.UnitZh, cat.UnitEn = "平方米", "m²"
	}
	return cat, err
}

// bands resolves the demand bands: the request's (checked against the configured set),
// else the category's; "all" alone, or a category without bands, is every resident (nil).
func (s *Service) bands(ctx context.Context, cat Category, want []string) ([]string, error) {
	if len(want) == 1 && want[0] == BandsAll {
		return nil, nil
	}
	if len(want) == 0 {
		want = cat.Bands
	}
	if len(want) == 0 {
		return nil, nil
	}
	known, err := s.Store.Bands(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(known))
	for i, b := range known {
		codes[i] = b.Code
	}
	var out []string
	for _, b := range want {
		if !slices.Contains(codes, b) {
			return nil, invalid("band", fmt.Sprintf("band %q is not one of %v (or all)", clip(b), codes))
		}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out, nil
}

// ImportAges parses an age table (format csv or xlsx) and writes it for the city in one
// transaction: a bad cell, an unknown band or an unknown community code is an Unprocessable fault
// naming the row, and nothing is written.
func (s *Service) ImportAges(ctx context.Context, slug, format string, data []byte, source string) (*ImportSummary, error) {
	city, err := s.Walk.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	known, err := s.Store.Bands(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(known))
	for i, b := range known {
		codes[i] = b.Code
	}
	t, err := ParseAgeTable(format, data, codes)
	if err != nil {
		return nil, err
	}
	return s.Store.ImportAges(ctx, city.ID, t, source, false)
}

// Where a category's points come from (facility_categories.source).
const (
	SourceFacilities = "facilities"
	SourceParks      = "parks"
)

// ParkSupply groups the park access points among fac (walk facilities with Park set, the
// park's id as ID) into one supply per park, in id order, with the park's area (areas, m²)
// as its capacity; a park without a known area has a nil capacity.
func ParkSupply(fac []walk.Facility, areas map[int64]float64) []Supply {
	byID := map[int64]int{}
	var out []Supply
	for _, f := range fac {
		if !f.Park {
			continue
		}
		if k, ok := byID[f.ID]; ok {
			out[k].More = append(out[k].More, f.Point)
			continue
		}
		s := Supply{ID: f.ID, Name: f.Name, Point: f.Point}
		if a, ok := areas[f.ID]; ok {
			s.Capacity = &a
		}
		byID[f.ID] = len(out)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
