package coverage

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/edition"
)

// indicatorAsOf answers q on the city's data as it was at q.AsOf (an edition or a time):
// the input tables are read as of then (citydata.ShadowAsOf) with the loader of the
// current data, so the snapshot is the one a database holding only those rows would give.
// The run is keyed by that state's data version, like any run: a stored run of the same
// version (the data then, or now when nothing changed since) is reused, and a computed one
// is stored with its gaps.
func (s *Service) indicatorAsOf(ctx context.Context, q Query, cal caliber.Caliber, calFrom, methodFrom string) (*Report, error) {
	cityID, name, srid, err := s.Store.City(ctx, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return nil, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return nil, err
	}
	at, err := edition.Store{Pool: s.Store.Pool}.At(ctx, cityID, "as_of", q.AsOf)
	if err != nil {
		return nil, err
	}
	snap, dv, err := s.Store.LoadAsOf(ctx, &Snapshot{CityID: cityID, City: q.City, CityName: name, MetricSRID: srid}, at)
	if err != nil {
		return nil, err
	}
	run, err := s.Store.Find(ctx, s.Store.Pool, cityID, cal, q.Method, dv.Hash, ageKey{}, q.variant())
	if err != nil {
		return nil, err
	}
	fresh := run == nil
	if fresh {
		res, err := s.compute(ctx, snap, q, cal)
		if err != nil {
			return nil, err
		}
		id, err := s.Store.Save(ctx, s.Store.Pool, res, dv)
		if err != nil {
			return nil, err
		}
		if run, err = s.Store.Run(ctx, s.Store.Pool, id); err == nil && run == nil {
			err = fmt.Errorf("coverage: stored run %d is gone", id)
		}
		if err != nil {
			return nil, err
		}
	}
	rep, err := s.report(ctx, q, cal, run, fresh, calFrom, methodFrom)
	if err != nil {
		return nil, err
	}
	rep.AsOf = &at
	return rep, nil
}

// LoadAsOf reads snap's city as it was at at.At into snap, with that state's data version,
// in one transaction that is rolled back (it only creates the temporary as-of tables).
func (s Store) LoadAsOf(ctx context.Context, snap *Snapshot, at edition.AsOf) (*Snapshot, DataVersion, error) {
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
	if err := load(ctx, tx, snap); err != nil {
		return nil, DataVersion{}, err
	}
	return snap, dv, nil
}
