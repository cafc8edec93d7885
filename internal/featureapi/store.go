package featureapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// Store reads and writes the feature tables. It builds every statement from the layer
// registry: identifiers are registry names quoted with pgx.Identifier, values are $n
// parameters.
type Store struct {
	pool *pgxpool.Pool
	// reads serves the feature reads (items, one item, counts, extents): the pool, or a
	// replica router's reads (ReadFrom). Writes and history use pool.
	reads querier
	reg   *layers.Registry
	// colTypes maps layer → attribute → PostgreSQL type name (int4, int8, float8, text,
	// bool, date, timestamptz), read once from the catalog so that integer bounds follow
	// the real column width.
	colTypes featurewrite.Columns
}

// NewStore checks that every registry attribute exists in its table and remembers the
// column types. A registry that disagrees with the schema is an error at start-up rather
// than a 500 on the first request.
func NewStore(ctx context.Context, pool *pgxpool.Pool, reg *layers.Registry) (*Store, error) {
	cols, err := featurewrite.LoadColumns(ctx, pool, reg)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool, reads: pool, reg: reg, colTypes: cols}, nil
}

// querier is what feature reads need of a pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ReadFrom sends the feature reads to q (a replica router's reads, docs/scale-out.md).
func (s *Store) ReadFrom(q querier) { s.reads = q }

// ColumnType returns the PostgreSQL type name of a layer's column.
func (s *Store) ColumnType(l *layers.Layer, attr string) string { return s.colTypes[l.ID][attr] }

// Row is one feature as PostGIS serialised it: the geometry as GeoJSON and the
// properties as a JSON object in registry order (without id).
type Row struct {
	ID         int64
	Version    int32
	Geometry   json.RawMessage
	Properties json.RawMessage
}

// args collects bind parameters and hands out their $n placeholders.
type args = featurewrite.Args

// geojsonDigits is the precision of ST_AsGeoJSON output: 9 decimals of a degree is
// 0.1 mm; 3 decimals of a metre is 1 mm.
func geojsonDigits(srid int) int {
	if srid == 4326 || srid == 4490 {
		return 9
	}
	return 3
}

// selectList is the column list that yields a Row: id, version, the geometry transformed
// to outSRID as GeoJSON, and the properties object. alias qualifies the columns ("" for none).
func selectList(l *layers.Layer, outSRID int, a *args) string {
	return selectColumns(l, Shape{OutSRID: outSRID}, a)
}

// Shape says how a listed feature is written: the output CRS, whether the coordinates
// are swapped to latitude/longitude (EPSG:4326 and EPSG:4490 by their EPSG definition),
// and which properties appear (nil for all, an empty non-nil slice for none; names not in
// the registry are skipped, the caller has checked them).
type Shape struct {
	OutSRID    int
	LatLon     bool
	Properties []string
}

func selectColumns(l *layers.Layer, sh Shape, a *args) string {
	var b strings.Builder
	b.WriteString(`"id", "version", ST_AsGeoJSON(`)
	if sh.LatLon {
		b.WriteString(`ST_FlipCoordinates(`)
	}
	b.WriteString(`ST_Transform("geom", `)
	b.WriteString(a.Add(sh.OutSRID))
	b.WriteString(`::int)`)
	if sh.LatLon {
		b.WriteString(`)`)
	}
	b.WriteString(`, `)
	b.WriteString(strconv.Itoa(geojsonDigits(sh.OutSRID)))
	b.WriteString(`)::text, json_build_object(`)
	first := true
	for _, at := range l.Attributes {
		if at.Name == "id" || (sh.Properties != nil && !slices.Contains(sh.Properties, at.Name)) {
			continue
		}
		col, _ := l.Column(at.Name)
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(a.Add(at.Name))
		b.WriteString("::text, ")
		b.WriteString(col)
	}
	b.WriteString(`)::text`)
	return b.String()
}

func scanRow(r pgx.Row) (Row, error) {
	var out Row
	var g, p string
	if err := r.Scan(&out.ID, &out.Version, &g, &p); err != nil {
		return Row{}, err
	}
	out.Geometry, out.Properties = json.RawMessage(g), json.RawMessage(p)
	return out, nil
}

// Filter is an attribute equality condition; Value has the Go type of the attribute
// (int64, float64, string, bool or time.Time).
type Filter struct {
	Attr  string
	Value any
}

// SortKey orders by one sortable attribute.
type SortKey struct {
	Attr string
	Desc bool
}

// ListQuery selects a page of features. Every attribute name in it has been checked
// against the layer's registry entry by the parser; the Store checks again.
type ListQuery struct {
	BBox    *[4]float64 // minLon, minLat, maxLon, maxLat in WGS 84 (or minX… in BBoxSRID)
	Filters []Filter
	Sort    []SortKey
	At      *time.Time // for temporal layers: the edition valid that day
	Limit   int
	Offset  int64
	OutSRID int
	// AfterID keyset-pages: only features with an id above it, in id order (0: none). It
	// narrows the page but not numberMatched, which counts the whole selection; the caller
	// refuses it together with Sort.
	AfterID int64
	// SkipCount leaves Page.Matched at -1 instead of counting the selection: a continuation
	// page whose first page already said how many match.
	SkipCount bool

	// BBoxSRID is the CRS of BBox, x (easting/longitude) first; 0 means 4326.
	BBoxSRID int
	// CQL is a parsed CQL2 filter translated with cql2.LayerResolver, literal geometries
	// in CQLSRID (0 means 4326).
	CQL     cql2.Expr
	CQLSRID int
	// Period selects, on temporal layers, the editions whose validity overlaps the
	// closed interval [From, To]; a nil end is open.
	Period *Period
	// LatLon and Properties shape the output, see Shape.
	LatLon     bool
	Properties []string
	// AsOf, when set, reads the layer as it stood at an instant in one city (data
	// editions, docs/editions.md) instead of its current rows.
	AsOf *AsOf
}

// AsOf is a past state of one city's rows of a layer: the rows cityreach_as_of (migration
// 0019) reconstructs from feature_history, the same function the indicators' as_of reads.
type AsOf struct {
	CityID int
	At     time.Time
}

// from is the FROM item of a read of l under q: the table, or the table's rows as of
// q.AsOf under the table's own name, so that every column reference stays the same.
func from(l *layers.Layer, q ListQuery, a *args) string {
	if q.AsOf == nil {
		return l.Table()
	}
	return "cityreach_as_of(NULL::" + l.Table() + ", " + a.Add(q.AsOf.CityID) + "::integer, " + a.Add(q.AsOf.At) + "::timestamptz) AS " + l.Table()
}

// Period is a date interval with optional ends.
type Period struct{ From, To *time.Time }

// Page is one page of a list: the rows and how many features match in all (-1 when
// ListQuery.SkipCount said not to count).
type Page struct {
	Matched int64
	Rows    []Row
}

// where builds the WHERE clause of q.
func where(l *layers.Layer, q ListQuery, a *args) (string, error) {
	var conds []string
	if q.BBox != nil {
		b := q.BBox
		var env string
		if q.BBoxSRID == 0 || q.BBoxSRID == 4326 {
			env = fmt.Sprintf(`ST_MakeEnvelope(%s, %s, %s, %s, 4326)`, a.Add(b[0]), a.Add(b[1]), a.Add(b[2]), a.Add(b[3]))
		} else {
			// A projected box is curved in degrees: densify its edges before transforming,
			// so that the outline is followed rather than cut by chords — a vertex every
			// 100 m, or every 1/200 of the perimeter for a large box, which bounds the
			// work a hostile box can cause at about 800 vertices.
			x0, y0, x1, y1 := a.Add(b[0]), a.Add(b[1]), a.Add(b[2]), a.Add(b[3])
			env = fmt.Sprintf(`ST_Transform(ST_Segmentize(ST_MakeEnvelope(%[1]s, %[2]s, %[3]s, %[4]s, %[5]s::int), greatest(100.0, (%[3]s::float8 - %[1]s::float8 + %[4]s::float8 - %[2]s::float8) / 200.0)), 4326)`,
				x0, y0, x1, y1, a.Add(q.BBoxSRID))
		}
		conds = append(conds, `ST_Intersects("geom", `+env+`)`)
	}
	for _, f := range q.Filters {
		col, ok := l.Column(f.Attr)
		if !ok {
			return "", fmt.Errorf("filter on unknown attribute %q", f.Attr)
		}
		conds = append(conds, col+" = "+a.Add(f.Value))
	}
	if q.At != nil {
		from, ok1 := l.Column(l.ValidFrom)
		to, ok2 := l.Column(l.ValidTo)
		if l.ValidFrom == "" || !ok1 || !ok2 {
			return "", fmt.Errorf("layer %s has no validity period", l.ID)
		}
		p := a.Add(*q.At)
		conds = append(conds, fmt.Sprintf("%s <= %s::date AND (%s IS NULL OR %s > %s::date)", from, p, to, to, p))
	}
	if q.Period != nil {
		from, ok1 := l.Column(l.ValidFrom)
		to, ok2 := l.Column(l.ValidTo)
		if l.ValidFrom == "" || !ok1 || !ok2 {
			return "", fmt.Errorf("layer %s has no validity period", l.ID)
		}
		// valid_to is exclusive (the day the next edition takes over).
		if q.Period.To != nil {
			conds = append(conds, fmt.Sprintf("%s <= %s::date", from, a.Add(*q.Period.To)))
		}
		if q.Period.From != nil {
			p := a.Add(*q.Period.From)
			conds = append(conds, fmt.Sprintf("(%s IS NULL OR %s > %s::date)", to, to, p))
		}
	}
	if q.CQL != nil {
		sql, cargs, err := cql2.ToSQL(q.CQL, cql2.LayerResolver{Layer: l}, cql2.Options{FirstArg: len(*a) + 1, FilterSRID: q.CQLSRID})
		if err != nil {
			return "", err
		}
		*a = append(*a, cargs...)
		conds = append(conds, sql)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}

// List returns one page of features and the number of features matching q.
func (s *Store) List(ctx context.Context, l *layers.Layer, q ListQuery) (Page, error) {
	var ca args
	fc := from(l, q, &ca)
	w, err := where(l, q, &ca)
	if err != nil {
		return Page{}, err
	}
	page := Page{Matched: -1}
	if !q.SkipCount {
		if err := s.reads.QueryRow(ctx, "SELECT count(*) FROM "+fc+w, ca...).Scan(&page.Matched); err != nil {
			return Page{}, err
		}
	}
	var a args
	sel := selectColumns(l, Shape{OutSRID: q.OutSRID, LatLon: q.LatLon, Properties: q.Properties}, &a)
	fm := from(l, q, &a)
	w, _ = where(l, q, &a)
	if q.AfterID > 0 {
		// Keyset paging: the primary key's index finds the page's start, so a page deep
		// in the layer costs what the first one does (docs/ogcapi.md, Paging).
		if len(q.Sort) > 0 {
			return Page{}, fmt.Errorf("keyset paging is by id only, not with sortby")
		}
		if w == "" {
			w = " WHERE "
		} else {
			w += " AND "
		}
		w += `"id" > ` + a.Add(q.AfterID)
	}
	order := make([]string, 0, len(q.Sort)+1)
	for _, k := range q.Sort {
		col, ok := l.Column(k.Attr)
		if !ok || !l.Attr(k.Attr).Sortable {
			return Page{}, fmt.Errorf("sort by unsortable attribute %q", k.Attr)
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		order = append(order, col+dir)
	}
	order = append(order, `"id" ASC`) // a total order, so that pages do not overlap
	sql := "SELECT " + sel + " FROM " + fm + w + " ORDER BY " + strings.Join(order, ", ") +
		" LIMIT " + a.Add(q.Limit) + " OFFSET " + a.Add(q.Offset)
	rows, err := s.reads.Query(ctx, sql, a...)
	if err != nil {
		return Page{}, err
	}
	page.Rows, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Row, error) { return scanRow(r) })
	return page, err
}

// Get returns one feature with its geometry in outSRID, or ErrNotFound.
func (s *Store) Get(ctx context.Context, l *layers.Layer, id int64, outSRID int) (Row, error) {
	return s.GetShaped(ctx, l, id, Shape{OutSRID: outSRID})
}

// GetShaped is Get with the output shaped by sh.
func (s *Store) GetShaped(ctx context.Context, l *layers.Layer, id int64, sh Shape) (Row, error) {
	var a args
	sel := selectColumns(l, sh, &a)
	r, err := scanRow(s.reads.QueryRow(ctx, "SELECT "+sel+" FROM "+l.Table()+` WHERE "id" = `+a.Add(id), a...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Row{}, ErrNotFound
	}
	return r, err
}
