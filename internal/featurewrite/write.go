package featurewrite

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/layers"
)

// ErrNotFound means the feature a write names does not exist (in the city, when the write
// is scoped to one).
var ErrNotFound = errors.New("not found")

// StaleError means the feature exists but is no longer at one of the versions the write
// expected; nothing was changed.
type StaleError struct{ Current int32 }

func (e *StaleError) Error() string { return fmt.Sprintf("stale: current version is %d", e.Current) }

// Args collects bind parameters and hands out their $n placeholders.
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Write is one create, replace or patch. Set maps attribute names to values of the
// attribute's Go type (as Attributes returns them); a nil value restores the column
// default (NULL for nullable columns). Geometry is nil when an update leaves it alone.
type Write struct {
	Set      map[string]any
	Geometry orb.Geometry
	SRID     int    // of Geometry's coordinates (0: 4326); GCJ-02 has been converted already
	CRSName  string // how the client named the input CRS, for error messages
	Repair   bool   // apply ST_MakeValid instead of refusing an invalid geometry
	// Versions are the versions an update or delete may change (If-Match, or the version a
	// scenario change was checked against); nil changes the current one, whichever it is.
	Versions []int32
	// CityID, when not zero, limits an update or delete to the features of that city.
	CityID int64
	// ID, when not zero, is the id of an inserted row: a trial insert that is rolled back
	// uses a negative one so that no identity sequence advances.
	ID int64
	// Touch lets an update that sets nothing go ahead (bumping the version and writing
	// history) instead of refusing it.
	Touch bool
}

// Returning builds the RETURNING list of a write with the statement's own Args; Scan reads
// the returned row.
type Returning struct {
	List func(a *Args) string
	Scan func(r pgx.Row) error
}

// Begin opens a write transaction with actor named (cityreach.actor) for the history
// triggers, which record every insert, update and delete under it.
func Begin(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, actor string) (pgx.Tx, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.actor', $1, true)`, actor); err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return tx, nil
}

// Insert adds a feature in tx (whose cityreach.actor the caller has set) and returns what
// was repaired of its geometry.
func Insert(ctx context.Context, tx pgx.Tx, l *layers.Layer, w Write, ret Returning) (*GeometryError, error) {
	p, err := Prepare(ctx, tx, l, w)
	if err != nil {
		return nil, err
	}
	var a Args
	cols, vals := []string{`"geom"`}, []string{"ST_GeomFromWKB(" + a.Add(p.WKB) + ", 4326)"}
	if w.ID != 0 {
		cols, vals = append(cols, `"id"`), append(vals, a.Add(w.ID))
	}
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
			vals = append(vals, a.Add(v))
		}
	}
	sql := "INSERT INTO " + l.Table() + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") +
		") RETURNING " + ret.List(&a)
	if err := ret.Scan(tx.QueryRow(ctx, sql, a...)); err != nil {
		return nil, Classify(err)
	}
	return p.Repaired, nil
}

// Update changes the attributes in w.Set (and the geometry when w.Geometry is set) of
// feature id in tx, provided it is at one of w.Versions (any version when nil) and in
// w.CityID's city (any when zero). It returns ErrNotFound or a *StaleError without
// changing anything otherwise.
func Update(ctx context.Context, tx pgx.Tx, l *layers.Layer, id int64, w Write, ret Returning) (*GeometryError, error) {
	var a Args
	var sets []string
	var repaired *GeometryError
	if w.Geometry != nil {
		p, err := Prepare(ctx, tx, l, w)
		if err != nil {
			return nil, err
		}
		repaired = p.Repaired
		sets = append(sets, `"geom" = ST_GeomFromWKB(`+a.Add(p.WKB)+", 4326)")
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
			sets = append(sets, col+" = "+a.Add(v))
		}
	}
	if len(sets) == 0 {
		if !w.Touch {
			return nil, fault.Unprocessable("the request changes nothing: give properties and/or a geometry")
		}
		sets = append(sets, `"id" = "id"`)
	}
	sql := "UPDATE " + l.Table() + " SET " + strings.Join(sets, ", ") + ` WHERE "id" = ` + a.Add(id) +
		conditions(w, &a) + " RETURNING " + ret.List(&a)
	err := ret.Scan(tx.QueryRow(ctx, sql, a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, missOrStale(ctx, tx, l, id, w.CityID)
	}
	if err != nil {
		return nil, Classify(err)
	}
	return repaired, nil
}

// Delete removes feature id in tx under the conditions of Update (w.Versions, w.CityID).
func Delete(ctx context.Context, tx pgx.Tx, l *layers.Layer, id int64, w Write) error {
	var a Args
	sql := "DELETE FROM " + l.Table() + ` WHERE "id" = ` + a.Add(id) + conditions(w, &a)
	tag, err := tx.Exec(ctx, sql, a...)
	if err != nil {
		return Classify(err)
	}
	if tag.RowsAffected() == 0 {
		return missOrStale(ctx, tx, l, id, w.CityID)
	}
	return nil
}

// conditions are the version and city conditions of a conditional write.
func conditions(w Write, a *Args) string {
	var s string
	if w.CityID != 0 {
		s += ` AND "city_id" = ` + a.Add(w.CityID)
	}
	if w.Versions != nil {
		s += ` AND "version" = ANY(` + a.Add(w.Versions) + "::int[])"
	}
	return s
}

// missOrStale explains why a conditional write touched no row.
func missOrStale(ctx context.Context, tx pgx.Tx, l *layers.Layer, id, cityID int64) error {
	var v int32
	err := tx.QueryRow(ctx, `SELECT "version" FROM `+l.Table()+` WHERE "id" = $1 AND ($2::bigint = 0 OR "city_id" = $2)`, id, cityID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return &StaleError{Current: v}
}

// Classify turns constraint violations and rejected values into faults that name the
// constraint or column, never the SQL; any other error is returned as it is.
func Classify(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return fault.Conflict("conflicts with an existing feature: "+pe.ConstraintName).With("constraint", pe.ConstraintName)
	case "23503": // foreign_key_violation
		return fault.Unprocessable("a referenced feature does not exist ("+pe.ConstraintName+")").With("constraint", pe.ConstraintName)
	case "23514": // check_violation
		if strings.HasSuffix(pe.ConstraintName, "_geom_in_city_extent") {
			// The message is migration 0016's own words with the point that lies outside.
			return fault.Unprocessable(pe.Message).With("attribute", "geometry").With("constraint", pe.ConstraintName).With("pointer", "/geometry")
		}
		return fault.Unprocessable("the feature violates the rule "+pe.ConstraintName).With("constraint", pe.ConstraintName)
	case "23502": // not_null_violation
		return fault.Unprocessable("attribute "+pe.ColumnName+" must have a value").With("attribute", pe.ColumnName)
	}
	if strings.HasPrefix(pe.Code, "22") { // data exceptions: out of range, bad encoding, …
		return fault.Unprocessable("a value is out of range or malformed for its column")
	}
	return err
}

// Querier is what LoadColumns needs of a pool or transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Columns maps layer → attribute → PostgreSQL type name (int4, int8, float8, text, bool,
// date, timestamptz), read from the catalog so integer bounds follow the real widths.
type Columns map[string]map[string]string

// LoadColumns reads the column types of every layer of reg and checks that every
// registry attribute exists in its table: a registry that disagrees with the schema is an
// error at start-up rather than a 500 on the first request.
func LoadColumns(ctx context.Context, q Querier, reg *layers.Registry) (Columns, error) {
	out := Columns{}
	for _, l := range reg.All() {
		//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
		rows, err := q.Query(ctx, `
			SELECT a.attname::text, t.typname::text
			FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
			WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, l.Table())
		if err != nil {
			return nil, err
		}
		types := map[string]string{}
		var name, typ string
		if _, err = pgx.ForEachRow(rows, []any{&name, &typ}, func() error { types[name] = typ; return nil }); err != nil {
			return nil, err
		}
		for _, a := range l.Attributes {
			if _, ok := types[a.Name]; !ok {
				return nil, fmt.Errorf("layer %s: the registry names column %q, which the table lacks (are the migrations current?)", l.ID, a.Name)
			}
		}
		out[l.ID] = types
	}
	return out, nil
}

// Of is the ColumnType of layer l.
func (c Columns) Of(l *layers.Layer) ColumnType {
	types := c[l.ID]
	return func(attr string) string { return types[attr] }
}
