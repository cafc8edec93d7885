package scenario

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/fault"
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
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.actor', $1, true)`, actor); err != nil {
		return nil, err
	}
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
		return nil, classify(err)
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

// apply writes one change in tx.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, sc *Scenario, c Change, ids map[int64]int64, versions map[string]int32) (PromotedEntry, error) {
	l := s.Layers.Lookup(c.Layer)
	e := PromotedEntry{N: c.N, Layer: c.Layer, Op: c.Op}
	props, _, err := attributes(l, c.Properties, c.Op == OpAdd)
	if err != nil {
		return e, err
	}
	geomSQL := func(a *args) string {
		g := `(SELECT geom FROM scenario_changes WHERE scenario_id = ` + a.add(sc.ID) + ` AND n = ` + a.add(c.N) + `)`
		if l.GeomType == "MultiPolygon" {
			return "ST_Multi(" + g + ")"
		}
		return g
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
	var a args
	switch c.Op {
	case OpAdd:
		cols, vals := []string{"city_id", "geom"}, []string{a.add(sc.CityID), geomSQL(&a)}
		c2, v2 := columns(l, props, &a, false)
		cols, vals = append(cols, c2...), append(vals, v2...)
		err = tx.QueryRow(ctx, `INSERT INTO `+l.Table()+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(vals, ", ")+`) RETURNING id, version`, a...).
			Scan(&e.FeatureID, &e.Version)
		if err != nil {
			return e, classify(err)
		}
		ids[-int64(c.N)] = e.FeatureID
	case OpModify:
		var sets []string
		if c.Geometry != nil {
			sets = append(sets, "geom = "+geomSQL(&a))
		}
		assigns, _ := columns(l, props, &a, true)
		sets = append(sets, assigns...)
		if len(sets) == 0 {
			sets = append(sets, "id = id")
		}
		err = tx.QueryRow(ctx, `UPDATE `+l.Table()+` SET `+strings.Join(sets, ", ")+` WHERE id = `+a.add(target)+
			` AND city_id = `+a.add(sc.CityID)+` AND version = `+a.add(expect)+` RETURNING id, version`, a...).Scan(&e.FeatureID, &e.Version)
		if errors.Is(err, pgx.ErrNoRows) {
			return e, stale(ctx, tx, l.Table(), c.Layer, target, expect)
		}
		if err != nil {
			return e, classify(err)
		}
	case OpDelete:
		tag, err := tx.Exec(ctx, `DELETE FROM `+l.Table()+` WHERE id = $1 AND city_id = $2 AND version = $3`, target, sc.CityID, expect)
		if err != nil {
			return e, classify(err)
		}
		if tag.RowsAffected() == 0 {
			return e, stale(ctx, tx, l.Table(), c.Layer, target, expect)
		}
		e.FeatureID = target
		delete(versions, key)
		return e, nil
	}
	versions[fmt.Sprintf("%s/%d", c.Layer, e.FeatureID)] = e.Version
	if c.Layer == "parks" && c.HasEntrances {
		if _, err := tx.Exec(ctx, `DELETE FROM park_entrances WHERE park_id = $1`, e.FeatureID); err != nil {
			return e, classify(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO park_entrances (park_id, city_id, geom)
			SELECT $1, $2, (ST_Dump(entrances)).geom FROM scenario_changes WHERE scenario_id = $3 AND n = $4`, e.FeatureID, sc.CityID, sc.ID, c.N); err != nil {
			return e, classify(err)
		}
	}
	return e, nil
}

// stale explains why a conditional write met no row.
func stale(ctx context.Context, tx pgx.Tx, table, layer string, id int64, expect int32) error {
	var v int32
	err := tx.QueryRow(ctx, `SELECT version FROM `+table+` WHERE id = $1`, id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return fault.Conflict(fmt.Sprintf("feature %d of %s no longer exists", id, layer))
	}
	if err != nil {
		return err
	}
	return fault.Conflict(fmt.Sprintf("feature %d of %s was edited since the change was made (version %d, expected %d)", id, layer, v, expect)).With("current_version", v)
}
