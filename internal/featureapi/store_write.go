package featureapi

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// Write is one create, replace or patch. Set maps attribute names to values of the
// attribute's Go type; a nil value restores the column default (NULL for nullable
// columns). Geometry is nil when a patch leaves the geometry alone.
type Write struct {
	Set      map[string]any
	Geometry orb.Geometry
	SRID     int    // of Geometry's coordinates; GCJ-02 has been converted to 4326 already
	CRSName  string // how the client named the input CRS, for error messages
	Repair   bool   // apply ST_MakeValid instead of refusing an invalid geometry
	Actor    string // recorded in feature_history
	OutSRID  int    // of the returned row
	// Versions are the versions an update may change (If-Match); nil changes the current
	// one, whichever it is.
	Versions []int32
}

func (w Write) domain() featurewrite.Write {
	return featurewrite.Write{Set: w.Set, Geometry: w.Geometry, SRID: w.SRID, CRSName: w.CRSName, Repair: w.Repair, Versions: w.Versions}
}

// Result is a written feature and, when the geometry was repaired, what was wrong with it.
type Result struct {
	Row      Row
	Repaired *GeometryError
}

// returning reads the written feature back as a Row in outSRID.
func returning(l *layers.Layer, outSRID int, row *Row) featurewrite.Returning {
	return featurewrite.Returning{
		List: func(a *featurewrite.Args) string { return selectList(l, outSRID, a) },
		Scan: func(r pgx.Row) error {
			var err error
			*row, err = scanRow(r)
			return err
		},
	}
}

// inTx runs f in a transaction as actor and commits it when f succeeds.
func (s *Store) inTx(ctx context.Context, actor string, f func(tx pgx.Tx) error) error {
	tx, err := featurewrite.Begin(ctx, s.pool, actor)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := f(tx); err != nil {
		return err
	}
	return featurewrite.Classify(tx.Commit(ctx))
}

// Create inserts a feature and returns it as stored.
func (s *Store) Create(ctx context.Context, l *layers.Layer, w Write) (Result, error) {
	var res Result
	err := s.inTx(ctx, w.Actor, func(tx pgx.Tx) error {
		var err error
		res.Repaired, err = featurewrite.Insert(ctx, tx, l, w.domain(), returning(l, w.OutSRID, &res.Row))
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Update changes the attributes in w.Set (and the geometry when w.Geometry is set) of the
// feature id, provided its version is one of w.Versions (any version when w.Versions is
// nil). It returns ErrNotFound or a *StaleError without changing anything otherwise.
func (s *Store) Update(ctx context.Context, l *layers.Layer, id int64, w Write) (Result, error) {
	var res Result
	err := s.inTx(ctx, w.Actor, func(tx pgx.Tx) error {
		var err error
		res.Repaired, err = featurewrite.Update(ctx, tx, l, id, w.domain(), returning(l, w.OutSRID, &res.Row))
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// Delete removes the feature id provided its version is one of versions (any version
// when versions is nil).
func (s *Store) Delete(ctx context.Context, l *layers.Layer, id int64, versions []int32, actor string) error {
	return s.inTx(ctx, actor, func(tx pgx.Tx) error {
		return featurewrite.Delete(ctx, tx, l, id, featurewrite.Write{Versions: versions})
	})
}
