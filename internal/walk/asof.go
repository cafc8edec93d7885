package walk

import (
	"context"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// asOfTables are the city tables the network and the inputs read (InputsVersion's, but
// facility_categories, which is configuration shared by every city, not city data: it is
// read as it is now).
var asOfTables = []string{"facilities", "parks", "park_entrances", "network_edges", "residential_land", "communities", "subdistricts", "districts"}

// LivingCircleAsOf computes the indicator on the city's data as it was at asOf (an edition
// name of the city, an RFC 3339 time or a date; internal/edition). The network and the
// inputs are read by the loaders of the current data inside a transaction that sees the
// past rows (citydata.ShadowAsOf), so they are what a database holding only those rows
// would give; nothing is cached.
func (s *Service) LivingCircleAsOf(ctx context.Context, slug string, opt Options, asOf string) (*Report, error) {
	if len(opt.Bands) > 0 {
		return nil, fault.Invalid("band cannot be combined with as_of: age counts have no past editions").With("parameter", "band")
	}
	city, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	at, err := edition.Store{Pool: s.Store.Pool}.At(ctx, city.ID, "as_of", asOf)
	if err != nil {
		return nil, err
	}
	reps, err := s.levelsAsOf(ctx, city, at, opt, []string{opt.Level})
	if err != nil {
		return nil, err
	}
	return reps[0], nil
}

// LivingCircleLevels is LivingCircle (asOf "") or LivingCircleAsOf at each of levels, in
// that order, from one reach: the 城市体检 tables need every level, and a past edition's
// reach is computed afresh, so it is computed once for all of them.
func (s *Service) LivingCircleLevels(ctx context.Context, slug string, opt Options, asOf string, levels []string) ([]*Report, error) {
	city, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	if asOf == "" {
		n, in, r, err := s.Baseline(ctx, city)
		if err != nil {
			return nil, err
		}
		return s.levelsOn(ctx, n, in, r, opt, levels)
	}
	if len(opt.Bands) > 0 {
		return nil, fault.Invalid("band cannot be combined with as_of: age counts have no past editions").With("parameter", "band")
	}
	at, err := edition.Store{Pool: s.Store.Pool}.At(ctx, city.ID, "as_of", asOf)
	if err != nil {
		return nil, err
	}
	return s.levelsAsOf(ctx, city, at, opt, levels)
}

// levelsAsOf computes the indicator at levels on the data of city as it was at at.
func (s *Service) levelsAsOf(ctx context.Context, city City, at edition.AsOf, opt Options, levels []string) ([]*Report, error) {
	n, in, err := s.Store.LoadAsOf(ctx, city, at, s.Graphs)
	if err != nil {
		return nil, err
	}
	r, err := ComputeReach(ctx, n, in, ReachOptions{MaxSnap: s.maxSnap()})
	if err != nil {
		return nil, err
	}
	reps, err := s.levelsOn(ctx, n, in, r, opt, levels)
	if err != nil {
		return nil, err
	}
	for _, rep := range reps {
		rep.AsOf = &at
	}
	return reps, nil
}

// LoadAsOf reads the network and the inputs of city as they were at at.At, in one
// transaction that is rolled back (it only creates the temporary as-of tables). The graph
// comes from graphs by the past version of the edges (nil: built for this call): a past
// state whose edges are the current ones walks the current graph. The complete-community
// check's network reach walks them for as_of= too.
func (s Store) LoadAsOf(ctx context.Context, city City, at edition.AsOf, graphs *walkgraph.Cache) (*Network, *Inputs, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if err := citydata.ShadowAsOf(ctx, tx, city.ID, at.At, asOfTables...); err != nil {
		return nil, nil, err
	}
	past := Store{Pool: s.Pool, tx: tx}
	n, err := past.loadNetwork(ctx, city, graphs)
	if err != nil {
		return nil, nil, err
	}
	in, err := past.Inputs(ctx, city)
	if err != nil {
		return nil, nil, err
	}
	return n, in, nil
}
