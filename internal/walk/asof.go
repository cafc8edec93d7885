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
	n, in, err := s.Store.loadAsOf(ctx, city, at, s.Graphs)
	if err != nil {
		return nil, err
	}
	r, err := ComputeReach(ctx, n, in, ReachOptions{MaxSnap: s.maxSnap()})
	if err != nil {
		return nil, err
	}
	rep, err := s.indicatorOn(ctx, n, in, r, opt)
	if err != nil {
		return nil, err
	}
	rep.AsOf = &at
	return rep, nil
}

// loadAsOf reads the network and the inputs of city as they were at at.At, in one
// transaction that is rolled back (it only creates the temporary as-of tables). The graph
// comes from graphs by the past version of the edges: a past state whose edges are the
// current ones walks the current graph.
func (s Store) loadAsOf(ctx context.Context, city City, at edition.AsOf, graphs *walkgraph.Cache) (*Network, *Inputs, error) {
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
