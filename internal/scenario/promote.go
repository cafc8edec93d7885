package scenario

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/featurewrite"
)

// Promoted reports what a promotion wrote: for each change, the baseline feature id.
type Promoted struct {
	Scenario int64           `json:"scenario"`
	Actor    string          `json:"actor"`
	Features []PromotedEntry `json:"features"`
}

// PromotedEntry is one applied change.
type PromotedEntry struct {
	N         int    `json:"n"`
	Layer     string `json:"layer"`
	Op        string `json:"op"`
	FeatureID int64  `json:"feature_id"`
	Version   int32  `json:"version,omitempty"`
}

// Promote applies every change of scenario id to the baseline in one transaction, as actor
// (recorded by the history triggers, like any edit through the layers API). A modify or
// delete expects the feature still at the version the change was checked against, so
// nobody's later edit is overwritten. Any failure — a stale target, a violated constraint —
// rolls everything back and names the change.
func (s *Store) Promote(ctx context.Context, id int64, actor string) (*Promoted, error) {
	tx, err := featurewrite.Begin(ctx, s.Pool, actor)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	sc, err := scanScenario(tx.QueryRow(ctx, `SELECT `+scenarioCols+` FROM scenarios s JOIN cities c ON c.id = s.city_id WHERE s.id = $1 FOR UPDATE OF s`, id))
	if err != nil {
		return nil, err
	}
	if sc.PromotedAt != nil {
		return nil, fault.Conflict("the scenario was promoted already")
	}
	changes, err := loadChanges(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	out := &Promoted{Scenario: id, Actor: actor}
	ids := map[int64]int64{}       // -n → new feature id
	versions := map[string]int32{} // layer/id → version after the last statement
	for _, c := range changes {
		e, err := s.apply(ctx, tx, sc, c, ids, versions)
		if err != nil {
			return nil, withChange(err, c.N)
		}
		out.Features = append(out.Features, e)
	}
	if _, err := tx.Exec(ctx, `UPDATE scenarios SET promoted_at = now(), promoted_by = $2, updated_at = now() WHERE id = $1`, id, actor); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, featurewrite.Classify(err)
	}
	return out, nil
}

func withChange(err error, n int) error {
	var p *fault.Error
	if errors.As(err, &p) {
		cp := *p
		cp.Extra = map[string]any{}
		for k, v := range p.Extra {
			cp.Extra[k] = v
		}
		cp.Detail = fmt.Sprintf("change %d: %s; nothing was promoted", n, p.Detail)
		return cp.With("change", n)
	}
	return fmt.Errorf("change %d: %w", n, err)
}

// apply writes one change in tx through the layers' one write path (featurewrite: the
// attribute rules, the geometry checks, the statements and the constraint names of every
// edit through the layers API).
func (s *Store) apply(ctx context.Context, tx pgx.Tx, sc *Scenario, c Change, ids map[int64]int64, versions map[string]int32) (PromotedEntry, error) {
	l := s.Layers.Lookup(c.Layer)
	e := PromotedEntry{N: c.N, Layer: c.Layer, Op: c.Op}
	cols, err := s.columnTypes(ctx)
	if err != nil {
		return e, err
	}
	props, _, err := attributes(l, c.Properties, c.Op == OpAdd, cols.Of(l))
	if err != nil {
		return e, err
	}
	var geom orb.Geometry
	if c.Geometry != nil {
		if geom, err = geometryOf(ctx, tx, sc.ID, int64(c.N)); err != nil {
			return e, err
		}
	}
	target := c.Target
	if target < 0 {
		target = ids[target]
	}
	key := fmt.Sprintf("%s/%d", c.Layer, target)
	expect, seen := versions[key]
	if !seen && c.TargetVersion != nil {
		expect = *c.TargetVersion
	}
	ret := featurewrite.Returning{
		List: func(*featurewrite.Args) string { return `"id", "version"` },
		Scan: func(r pgx.Row) error { return r.Scan(&e.FeatureID, &e.Version) },
	}
	w := featurewrite.Write{Set: props, Geometry: geom, CityID: int64(sc.CityID), Versions: []int32{expect}, Touch: true}
	switch c.Op {
	case OpAdd:
		w = featurewrite.Write{Set: withCity(props, sc.CityID), Geometry: geom}
		if _, err := featurewrite.Insert(ctx, tx, l, w, ret); err != nil {
			return e, err
		}
		ids[-int64(c.N)] = e.FeatureID
	case OpModify:
		if _, err := featurewrite.Update(ctx, tx, l, target, w, ret); err != nil {
			return e, stale(err, c.Layer, target, expect)
		}
	case OpDelete:
		if err := featurewrite.Delete(ctx, tx, l, target, w); err != nil {
			return e, stale(err, c.Layer, target, expect)
		}
		e.FeatureID = target
		delete(versions, key)
		return e, nil
	}
	versions[fmt.Sprintf("%s/%d", c.Layer, e.FeatureID)] = e.Version
	if c.Layer == "parks" && c.HasEntrances {
		if _, err := tx.Exec(ctx, `DELETE FROM park_entrances WHERE park_id = $1`, e.FeatureID); err != nil {
			return e, featurewrite.Classify(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO park_entrances (park_id, city_id, geom)
			SELECT $1, $2, (ST_Dump(entrances)).geom FROM scenario_changes WHERE scenario_id = $3 AND n = $4`, e.FeatureID, sc.CityID, sc.ID, c.N); err != nil {
			return e, featurewrite.Classify(err)
		}
	}
	return e, nil
}

// stale explains why a conditional write met no row (featurewrite.ErrNotFound or a
// *featurewrite.StaleError); any other error is returned as it is.
func stale(err error, layer string, id int64, expect int32) error {
	var se *featurewrite.StaleError
	switch {
	case errors.Is(err, featurewrite.ErrNotFound):
		return fault.Conflict(fmt.Sprintf("feature %d of %s no longer exists", id, layer))
	case errors.As(err, &se):
		return fault.Conflict(fmt.Sprintf("feature %d of %s was edited since the change was made (version %d, expected %d)", id, layer, se.Current, expect)).
			With("current_version", se.Current)
	}
	return err
}
