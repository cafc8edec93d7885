package featureapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

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

// Result is a written feature and, when the geometry was repaired, what was wrong with it.
type Result struct {
	Row      Row
	Repaired *GeometryError
}

// prepared is a geometry ready for the table: WGS 84, the layer's type, valid.
type prepared struct {
	wkb      []byte
	repaired *GeometryError
}

// fixSQL returns the fixed SQL expression that shapes geometry g (a SQL expression) for
// the layer: promote to Multi for MultiPolygon layers and, on repair, make it valid and keep
// only the parts of the layer's dimension.
func fixSQL(l *layers.Layer, g string, repair bool) string {
	switch l.GeomType {
	case "MultiPolygon":
		if repair {
			return "ST_Multi(ST_CollectionExtract(ST_MakeValid(" + g + "), 3))"
		}
		return "ST_Multi(" + g + ")"
	case "LineString":
		if repair {
			return "ST_LineMerge(ST_CollectionExtract(ST_MakeValid(" + g + "), 2))"
		}
	case "Point":
		if repair {
			return "ST_CollectionExtract(ST_MakeValid(" + g + "), 1)"
		}
	}
	return g
}

// prepare validates g with ST_IsValidDetail in its own CRS and returns it in WGS 84 in the
// layer's geometry type. An invalid geometry is a *GeometryError unless w.Repair is set.
func (s *Store) prepare(ctx context.Context, tx pgx.Tx, l *layers.Layer, w Write) (prepared, error) {
	b, err := wkb.Marshal(w.Geometry)
	if err != nil {
		return prepared{}, &InvalidError{Detail: "geometry cannot be encoded: " + err.Error()}
	}
	var a args
	src := "ST_SetSRID(ST_GeomFromWKB(" + a.add(b) + "), " + a.add(w.SRID) + "::int)"
	sql := `WITH det AS (SELECT g, ST_IsValidDetail(g) AS d FROM (SELECT ` + src + ` AS g) s)
		SELECT (d).valid, coalesce((d).reason, ''), ST_X((d).location), ST_Y((d).location),
		       ST_AsBinary(o), GeometryType(o), ST_IsEmpty(o), ST_IsValid(o)
		FROM det, LATERAL (SELECT ST_Transform(CASE WHEN (d).valid THEN ` + fixSQL(l, "g", false) +
		` ELSE ` + fixSQL(l, "g", w.Repair) + ` END, 4326) AS o) t`
	var (
		valid, empty, validOut bool
		reason, typ            string
		x, y                   *float64
		out                    []byte
	)
	err = tx.QueryRow(ctx, sql, a...).Scan(&valid, &reason, &x, &y, &out, &typ, &empty, &validOut)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || pe.Code == "XX000") {
			// Only the client's coordinates are in this statement, so a PostGIS failure
			// (a point that cannot be projected: XX000, or a data exception) is their
			// problem, not ours; a lost connection or a timeout is not.
			return prepared{}, &InvalidError{Detail: fmt.Sprintf("the geometry cannot be transformed from %s to WGS 84", w.CRSName)}
		}
		return prepared{}, err
	}
	var issue *GeometryError
	if !valid {
		issue = &GeometryError{Reason: reason, CRS: w.CRSName}
		if x != nil && y != nil {
			issue.Location = []float64{*x, *y}
		}
		if !w.Repair {
			return prepared{}, issue
		}
	}
	if empty {
		return prepared{}, &InvalidError{Detail: "the repaired geometry has no " + l.GeomType + " left", Attribute: "geometry"}
	}
	if !strings.EqualFold(typ, l.GeomType) {
		return prepared{}, &InvalidError{Detail: fmt.Sprintf("layer %s holds %s geometries; this one is a %s", l.ID, l.GeomType, typ), Attribute: "geometry"}
	}
	if !validOut {
		return prepared{}, &GeometryError{Reason: "the geometry is invalid after transformation to WGS 84"}
	}
	return prepared{wkb: out, repaired: issue}, nil
}

// begin opens the edit's transaction and names the actor for the history triggers.
func (s *Store) begin(ctx context.Context, actor string) (pgx.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.actor', $1, true)`, actor); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return tx, nil
}

// Create inserts a feature and returns it as stored.
func (s *Store) Create(ctx context.Context, l *layers.Layer, w Write) (Result, error) {
	tx, err := s.begin(ctx, w.Actor)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	p, err := s.prepare(ctx, tx, l, w)
	if err != nil {
		return Result{}, err
	}
	var a args
	cols, vals := []string{`"geom"`}, []string{"ST_GeomFromWKB(" + a.add(p.wkb) + ", 4326)"}
	for _, at := range l.Writable() {
		v, ok := w.Set[at.Name]
		if !ok {
			continue
		}
		col, _ := l.Column(at.Name)
		cols = append(cols, col)
		if v == nil {
			vals = append(vals, "DEFAULT")
		} else {
			vals = append(vals, a.add(v))
		}
	}
	sql := "INSERT INTO " + l.Table() + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") +
		") RETURNING " + selectList(l, w.OutSRID, &a)
	row, err := scanRow(tx.QueryRow(ctx, sql, a...))
	if err != nil {
		return Result{}, classify(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Result{}, classify(err)
	}
	return Result{Row: row, Repaired: p.repaired}, nil
}

// Update changes the attributes in w.Set (and the geometry when w.Geometry is set) of the
// feature id, provided its version is one of w.Versions (any version when w.Versions is
// nil). It returns ErrNotFound or a *StaleError without changing anything otherwise.
func (s *Store) Update(ctx context.Context, l *layers.Layer, id int64, w Write) (Result, error) {
	tx, err := s.begin(ctx, w.Actor)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var a args
	var sets []string
	var repaired *GeometryError
	if w.Geometry != nil {
		p, err := s.prepare(ctx, tx, l, w)
		if err != nil {
			return Result{}, err
		}
		repaired = p.repaired
		sets = append(sets, `"geom" = ST_GeomFromWKB(`+a.add(p.wkb)+", 4326)")
	}
	for _, at := range l.Writable() {
		v, ok := w.Set[at.Name]
		if !ok {
			continue
		}
		col, _ := l.Column(at.Name)
		if v == nil {
			sets = append(sets, col+" = DEFAULT")
		} else {
			sets = append(sets, col+" = "+a.add(v))
		}
	}
	if len(sets) == 0 {
		return Result{}, &InvalidError{Detail: "the request changes nothing: give properties and/or a geometry"}
	}
	sql := "UPDATE " + l.Table() + " SET " + strings.Join(sets, ", ") + ` WHERE "id" = ` + a.add(id) +
		versionCond(w.Versions, &a) + " RETURNING " + selectList(l, w.OutSRID, &a)
	row, err := scanRow(tx.QueryRow(ctx, sql, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Result{}, s.missOrStale(ctx, tx, l, id)
	}
	if err != nil {
		return Result{}, classify(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Result{}, classify(err)
	}
	return Result{Row: row, Repaired: repaired}, nil
}

// versionCond is the condition on "version" of a conditional write: none for nil
// versions, which writes whatever version is current.
func versionCond(versions []int32, a *args) string {
	if versions == nil {
		return ""
	}
	return ` AND "version" = ANY(` + a.add(versions) + "::int[])"
}

// Delete removes the feature id provided its version is one of versions (any version
// when versions is nil).
func (s *Store) Delete(ctx context.Context, l *layers.Layer, id int64, versions []int32, actor string) error {
	tx, err := s.begin(ctx, actor)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var a args
	sql := "DELETE FROM " + l.Table() + ` WHERE "id" = ` + a.add(id) + versionCond(versions, &a)
	tag, err := tx.Exec(ctx, sql, a...)
	if err != nil {
		return classify(err)
	}
	if tag.RowsAffected() == 0 {
		return s.missOrStale(ctx, tx, l, id)
	}
	return classify(tx.Commit(ctx))
}

// missOrStale explains why a conditional write touched no row.
func (s *Store) missOrStale(ctx context.Context, tx pgx.Tx, l *layers.Layer, id int64) error {
	var v int32
	err := tx.QueryRow(ctx, "SELECT \"version\" FROM "+l.Table()+` WHERE "id" = $1`, id).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return &StaleError{Current: v}
}

// classify turns constraint violations and rejected values into domain errors that name
// the constraint or column, never the SQL.
func classify(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return &ConflictError{Constraint: pe.ConstraintName}
	case "23503": // foreign_key_violation
		return &InvalidError{Detail: "a referenced feature does not exist (" + pe.ConstraintName + ")", Constraint: pe.ConstraintName}
	case "23514": // check_violation
		if strings.HasSuffix(pe.ConstraintName, "_geom_in_city_extent") {
			// The message is migration 0016's own words with the point that lies outside.
			return &InvalidError{Detail: pe.Message, Attribute: "geometry", Constraint: pe.ConstraintName, Pointer: "/geometry"}
		}
		return &InvalidError{Detail: "the feature violates the rule " + pe.ConstraintName, Constraint: pe.ConstraintName}
	case "23502": // not_null_violation
		return &InvalidError{Detail: "attribute " + pe.ColumnName + " must have a value", Attribute: pe.ColumnName}
	}
	if strings.HasPrefix(pe.Code, "22") { // data exceptions: out of range, bad encoding, …
		return &InvalidError{Detail: "a value is out of range or malformed for its column"}
	}
	return err
}
