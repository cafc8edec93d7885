package importer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// stage is the temporary table import_rows that COPY fills: the feature's index and id,
// its WKB in the source SRID, the geometry in 4326 (filled in SQL) and one column per
// mapped attribute, named a0, a1, … so that no file-supplied name ever reaches SQL.
type stage struct {
	layer *layers.Layer
	plan  *plan
	// colType is the PostgreSQL type of the layer's columns: integer widths for convert.
	colType featurewrite.ColumnType
}

func newStage(l *layers.Layer, p *plan, colType featurewrite.ColumnType) *stage {
	return &stage{layer: l, plan: p, colType: colType}
}

func pgType(t layers.Type) string {
	switch t {
	case layers.Integer:
		return "bigint"
	case layers.Number:
		return "double precision"
	case layers.Boolean:
		return "boolean"
	case layers.Date:
		return "date"
	case layers.Time:
		return "timestamptz"
	}
	return "text"
}

func (s *stage) createSQL() string {
	var b strings.Builder
	b.WriteString("CREATE TEMP TABLE import_rows (idx integer NOT NULL, fid text NOT NULL, srid integer NOT NULL, wkb bytea NOT NULL, geom geometry")
	for i, a := range s.plan.attrs {
		fmt.Fprintf(&b, ", a%d %s", i, pgType(a.attr.Type))
	}
	b.WriteString(") ON COMMIT DROP")
	return b.String()
}

func (s *stage) copyColumns() []string {
	cols := []string{"idx", "fid", "srid", "wkb"}
	for i := range s.plan.attrs {
		cols = append(cols, "a"+strconv.Itoa(i))
	}
	return cols
}

// col returns the staging column of attribute name ("" if unmapped).
func (s *stage) col(name string) string {
	for i, a := range s.plan.attrs {
		if a.attr.Name == name {
			return "a" + strconv.Itoa(i)
		}
	}
	return ""
}

// loadDefaults creates import_defaults, one row holding the column defaults of the layer
// table, so that an empty optional value takes the table's default (a NULL would break a
// NOT NULL column) without any default expression being spliced into SQL.
func (s *stage) loadDefaults(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE import_defaults (LIKE "+s.layer.Table()+" INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = 'import_defaults'::regclass AND attnum > 0 AND attnotnull AND NOT attisdropped`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.Exec(ctx, "ALTER TABLE import_defaults ALTER COLUMN "+pgx.Identifier{n}.Sanitize()+" DROP NOT NULL"); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, "INSERT INTO import_defaults DEFAULT VALUES")
	return err
}

// prepare turns a feature into a COPY row, or says at which stage and why it is invalid.
func (s *stage) prepare(f *Feature, c crs.CRS) ([]any, PreviewRow, string, error) {
	g, err := fitGeometry(f.Geometry, s.layer)
	if err != nil {
		return nil, PreviewRow{}, "geometry", err
	}
	if err := crs.CheckGeometry(c, g); err != nil {
		return nil, PreviewRow{}, "geometry", err
	}
	srid := c.SRID()
	if c.String() == "GCJ-02" {
		g = fromGCJ02(g)
		srid = 4326
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil, PreviewRow{}, "geometry", err
	}
	row := make([]any, 4, 4+len(s.plan.attrs))
	row[0], row[1], row[2], row[3] = int32(f.Index), f.ID, int32(srid), b
	prev := PreviewRow{Index: f.Index, ID: f.ID, Geometry: g.GeoJSONType(), Values: map[string]any{}}
	for _, pa := range s.plan.attrs {
		var raw any
		if pa.constant != nil {
			raw = *pa.constant
		} else {
			raw, _ = lookup(f.Props, pa.field)
		}
		v, err := convert(pa.attr, raw, s.colType(pa.attr.Name))
		if err != nil {
			return nil, PreviewRow{}, "attributes", err
		}
		if v == nil && pa.attr.Required {
			return nil, PreviewRow{}, "attributes", fmt.Errorf("%s is required but the feature has no value for %s", pa.attr.Name, pa.field)
		}
		row = append(row, v)
		prev.Values[pa.attr.Name] = v
	}
	return row, prev, "", nil
}

// statements builds the UPDATE (upsert only) and INSERT that move staged rows into the
// layer. $1 city id, $2 data source, $3 one staged idx or NULL for all rows.
func (s *stage) statements(keyCol, keyAttr string) (update, insert string) {
	t := s.layer.Table()
	var cols, vals, sets, olds []string
	for i, pa := range s.plan.attrs {
		c := pgx.Identifier{pa.attr.Name}.Sanitize()
		v := fmt.Sprintf("COALESCE(r.a%d, d.%s)", i, c)
		cols = append(cols, c)
		vals = append(vals, v)
		sets = append(sets, c+" = "+v)
		olds = append(olds, "t."+c)
	}
	insert = fmt.Sprintf(`INSERT INTO %s (%s city_id, data_source, geom)
		SELECT %s $1, $2, r.geom FROM import_rows r CROSS JOIN import_defaults d
		WHERE ($3::integer IS NULL OR r.idx = $3)`, t, joinComma(cols), joinComma(vals))
	if keyCol == "" {
		return "", insert + " ORDER BY r.idx"
	}
	k := s.col(keyAttr)
	insert += fmt.Sprintf(" AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.city_id = $1 AND t.%s = r.%s) ORDER BY r.idx", t, keyCol, k)
	update = fmt.Sprintf(`UPDATE %s t SET %s, geom = r.geom, data_source = $2
		FROM import_rows r CROSS JOIN import_defaults d
		WHERE t.city_id = $1 AND t.%s = r.%s AND ($3::integer IS NULL OR r.idx = $3)
		AND (%s t.geom) IS DISTINCT FROM (%s r.geom)`,
		t, strings.Join(sets, ", "), keyCol, k, joinComma(olds), joinComma(vals))
	return update, insert
}

func joinComma(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return strings.Join(xs, ", ") + ","
}

// write moves the staged rows into the layer. It first tries one statement for all rows;
// if the database refuses (a CHECK or UNIQUE constraint the registry does not know), it
// rolls back to a savepoint and retries row by row to name every refused feature.
func (s *stage) write(ctx context.Context, tx pgx.Tx, rep *Report, cityID int, source, keyCol, keyAttr string) error {
	update, insert := s.statements(keyCol, keyAttr)
	matched := 0
	if keyCol != "" {
		if err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM import_rows r WHERE EXISTS
			(SELECT 1 FROM %s t WHERE t.city_id = $1 AND t.%s = r.%s)`, s.layer.Table(), keyCol, s.col(keyAttr)), cityID).Scan(&matched); err != nil {
			return err
		}
	}
	run := func(idx any) (ins, upd int, err error) {
		if update != "" {
			tag, err := tx.Exec(ctx, update, cityID, source, idx)
			if err != nil {
				return 0, 0, err
			}
			upd = int(tag.RowsAffected())
		}
		tag, err := tx.Exec(ctx, insert, cityID, source, idx)
		if err != nil {
			return 0, 0, err
		}
		return int(tag.RowsAffected()), upd, nil
	}
	if _, err := tx.Exec(ctx, "SAVEPOINT import_all"); err != nil {
		return err
	}
	ins, upd, err := run(nil)
	if err == nil {
		rep.Inserted, rep.Updated, rep.Unchanged = ins, upd, matched-upd
		_, err = tx.Exec(ctx, "RELEASE SAVEPOINT import_all")
		return err
	}
	if ctx.Err() != nil {
		return err
	}
	if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT import_all"); rerr != nil {
		return fmt.Errorf("%w (and rollback: %w)", err, rerr)
	}
	rs, err := tx.Query(ctx, "SELECT idx, fid FROM import_rows ORDER BY idx")
	if err != nil {
		return err
	}
	type ref struct {
		idx int32
		fid string
	}
	refs, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (ref, error) {
		var x ref
		return x, r.Scan(&x.idx, &x.fid)
	})
	if err != nil {
		return err
	}
	rep.Inserted, rep.Updated, rep.Unchanged = 0, 0, matched
	for _, r := range refs {
		if _, err := tx.Exec(ctx, "SAVEPOINT import_row"); err != nil {
			return err
		}
		ins, upd, err := run(r.idx)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			rep.reject(int(r.idx), r.fid, "database", rowRefusal(err))
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT import_row"); err != nil {
				return err
			}
			continue
		}
		rep.Inserted += ins
		rep.Updated += upd
		rep.Unchanged -= upd
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT import_row"); err != nil {
			return err
		}
	}
	return nil
}
