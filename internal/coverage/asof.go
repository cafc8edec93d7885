package coverage

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// indicatorAsOf answers q on the city's data as it was at q.AsOf (an edition or a time):
// the input tables are read as of then (citydata.ShadowAsOf) with the loader of the
// current data, so the snapshot is the one a database holding only those rows would give.
// The run is keyed by that state's data version, like any run: a stored run of the same
// version (the data then, or now when nothing changed since) is reused, and a computed one
// is stored with its gaps.
func (s *Service) indicatorAsOf(ctx context.Context, q Query, cal caliber.Caliber, calFrom, methodFrom string) (*Report, error) {
	run, fresh, at, err := s.runAsOf(ctx, q, cal)
	if err != nil {
		return nil, err
	}
	rep, err := s.report(ctx, q, cal, run, fresh, calFrom, methodFrom)
	if err != nil {
		return nil, err
	}
	rep.AsOf = &at
	return rep, nil
}

// runAsOf returns the stored run of q on the city's data as it was at q.AsOf, computing
// and storing it (with its gaps) when no run of that state's data version is stored;
// fresh says it was computed now.
func (s *Service) runAsOf(ctx context.Context, q Query, cal caliber.Caliber) (run *Run, fresh bool, at edition.AsOf, err error) {
	snap, dv, at, err := s.loadAsOf(ctx, q)
	if err != nil {
		return nil, false, at, err
	}
	run, err = s.Store.Find(ctx, s.Store.Pool, snap.CityID, cal, q.Method, dv.Hash, ageKey{}, q.variant())
	if err != nil || run != nil {
		return run, false, at, err
	}
	res, err := s.compute(ctx, snap, q, cal)
	if err != nil {
		return nil, false, at, err
	}
	id, err := s.Store.Save(ctx, s.Store.Pool, res, dv)
	if err != nil {
		return nil, false, at, err
	}
	if run, err = s.Store.Run(ctx, s.Store.Pool, id); err == nil && run == nil {
		err = fmt.Errorf("coverage: stored run %d is gone", id)
	}
	return run, true, at, err
}

// resultAsOf computes q afresh on the city's data as it was at q.AsOf (no stored run): the
// per-parcel figures and gaps the sites of a past edition are chosen on.
func (s *Service) resultAsOf(ctx context.Context, q Query, cal caliber.Caliber) (*Result, error) {
	snap, _, _, err := s.loadAsOf(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.compute(ctx, snap, q, cal)
}

// loadAsOf resolves q.AsOf for q.City and reads the city's snapshot as it was then.
func (s *Service) loadAsOf(ctx context.Context, q Query) (*Snapshot, DataVersion, edition.AsOf, error) {
	cityID, name, srid, err := s.Store.City(ctx, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return nil, DataVersion{}, edition.AsOf{}, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return nil, DataVersion{}, edition.AsOf{}, err
	}
	at, err := edition.Store{Pool: s.Store.Pool}.At(ctx, cityID, "as_of", q.AsOf)
	if err != nil {
		return nil, DataVersion{}, edition.AsOf{}, err
	}
	snap, dv, err := s.Store.LoadAsOf(ctx, &Snapshot{CityID: cityID, City: q.City, CityName: name, MetricSRID: srid}, at, s.Graphs)
	return snap, dv, at, err
}

// LoadAsOf reads snap's city as it was at at.At into snap, with that state's data version,
// in one transaction that is rolled back (it only creates the temporary as-of tables). The
// walking graph is graphs' graph of the past edges (nil graphs: snap's own).
func (s Store) LoadAsOf(ctx context.Context, snap *Snapshot, at edition.AsOf, graphs *walkgraph.Cache) (*Snapshot, DataVersion, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, DataVersion{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if err := citydata.ShadowAsOf(ctx, tx, snap.CityID, at.At, inputTables...); err != nil {
		return nil, DataVersion{}, err
	}
	dv, err := citydata.Read(ctx, tx, snap.CityID, inputTables...)
	if err != nil {
		return nil, DataVersion{}, err
	}
	if err := load(ctx, tx, snap, graphs, dv); err != nil {
		return nil, DataVersion{}, err
	}
	return snap, dv, nil
}
