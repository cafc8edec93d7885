package featureapi

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/layers"
)

// Version is one entry of a feature's history as the triggers recorded it. Old and New
// are the row before and after the edit as JSON objects (the geometry under "geom" as
// GeoJSON); Old is nil for the insert and New for the delete.
type Version struct {
	Version int32
	Op      string
	Actor   string
	At      time.Time
	Old     map[string]json.RawMessage
	New     map[string]json.RawMessage
}

// History returns every recorded version of feature id, oldest first, or ErrNotFound
// when nothing was ever recorded for it.
func (s *Store) History(ctx context.Context, l *layers.Layer, id int64) ([]Version, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT version, op, actor, at, old_row, new_row
		FROM feature_history WHERE layer = $1 AND feature_id = $2 ORDER BY version, id`, l.ID, id)
	if err != nil {
		return nil, err
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Version, error) {
		var v Version
		var oldRow, newRow []byte
		if err := r.Scan(&v.Version, &v.Op, &v.Actor, &v.At, &oldRow, &newRow); err != nil {
			return v, err
		}
		for _, p := range []struct {
			b   []byte
			dst *map[string]json.RawMessage
		}{{oldRow, &v.Old}, {newRow, &v.New}} {
			if p.b != nil {
				if err := json.Unmarshal(p.b, p.dst); err != nil {
					return v, err
				}
			}
		}
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, ErrNotFound
	}
	return vs, nil
}

// VersionRow returns the feature as it was at version, with its geometry in outSRID:
// ErrNotFound when there is no such version, *GoneError when that version is the delete.
func (s *Store) VersionRow(ctx context.Context, l *layers.Layer, id int64, version int32, outSRID int) (Row, map[string]json.RawMessage, error) {
	var op string
	var geom *string
	var props []byte
	err := s.pool.QueryRow(ctx, `
		SELECT op, ST_AsGeoJSON(ST_Transform(ST_GeomFromGeoJSON(new_row -> 'geom'), $4::int), $5::int)::text,
		       (new_row - 'geom')::text
		FROM feature_history WHERE layer = $1 AND feature_id = $2 AND version = $3
		ORDER BY id DESC LIMIT 1`, l.ID, id, version, outSRID, geojsonDigits(outSRID)).Scan(&op, &geom, &props)
	if errors.Is(err, pgx.ErrNoRows) {
		return Row{}, nil, ErrNotFound
	}
	if err != nil {
		return Row{}, nil, err
	}
	if op == "delete" || geom == nil {
		return Row{}, nil, &GoneError{Version: version}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(props, &m); err != nil {
		return Row{}, nil, err
	}
	return Row{ID: id, Version: version, Geometry: json.RawMessage(*geom)}, m, nil
}
