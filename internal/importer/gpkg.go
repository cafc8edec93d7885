package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// GeoPackageReader reads one feature table of an OGC GeoPackage with the pure-Go SQLite
// driver: the table and its geometry column come from gpkg_contents and
// gpkg_geometry_columns, the CRS from gpkg_spatial_ref_sys, and each geometry from its
// GeoPackage binary header followed by WKB.
//
// A GeoPackage is a database, and a database can hide a query without end behind a
// table name. The reader therefore reads only real tables (sqlite_master type 'table',
// not virtual, no triggers but the GeoPackage R-tree and GDAL feature-count ones), opens
// the file read-only with trusted_schema off, and installs an SQLite authorizer that
// refuses, at prepare time, anything read through a view or trigger, recursive queries,
// pragmas and functions. Its own statements read rows in rowid order, which needs no
// sort and no temporary storage; a query still running when the context ends is
// interrupted (the driver calls sqlite3_interrupt).
type GeoPackageReader struct {
	db      *sql.DB
	conn    *sql.Conn
	table   string
	geomCol string
	pkCol   string
	crs     string
	fields  []string
}

// OpenGeoPackage opens path read-only. table names the feature table; "" means the only
// one (more than one is an error listing them). File problems are *FileError.
func OpenGeoPackage(ctx context.Context, path, table string) (*GeoPackageReader, error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=query_only(1)&_pragma=trusted_schema(0)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = conn.Raw(func(dc any) error {
			a, ok := dc.(sqlite.AuthorizerRegisterer)
			if !ok {
				return errors.New("the SQLite driver offers no authorizer")
			}
			return a.RegisterAuthorizer(readPolicy)
		})
	}
	if err != nil {
		db.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		return nil, &FileError{Index: -1, Reason: "not a GeoPackage: the file cannot be opened as SQLite", Cause: err}
	}
	r := &GeoPackageReader{db: db, conn: conn}
	if err := r.init(ctx, table); err != nil {
		r.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		var fe *FileError
		if !errors.As(err, &fe) && ctx.Err() == nil {
			err = &FileError{Index: -1, Reason: "not a readable GeoPackage", Cause: err}
		}
		return nil, err
	}
	return r, nil
}

// readPolicy is the authorizer of the reader's connection: plain reads of tables and the
// reader's one pragma, nothing through a view or trigger, no recursion, no functions.
func readPolicy(action sqlite.AuthorizerActionCode, arg1, _, _, triggerOrView string) sqlite.AuthorizerReturnCode {
	if triggerOrView != "" {
		return sqlite.AuthorizerDeny
	}
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead:
		return sqlite.AuthorizerOK
	case sqlite.AuthPragma:
		if arg1 == "table_info" {
			return sqlite.AuthorizerOK
		}
	}
	return sqlite.AuthorizerDeny
}

// gpkgTables are the GeoPackage tables the reader queries; each must be a real table.
var gpkgTables = []string{"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"}

// allowedTrigger reports whether name is a trigger GeoPackage writers put on feature
// table t: the R-tree spatial index ones (GeoPackage 1.3 §F.3) and GDAL's feature-count
// ones. Triggers run only on writes, which this read-only reader never makes; any other
// trigger is refused because a file that carries one is not a plain feature table.
func allowedTrigger(name, t, geomCol string) bool {
	if strings.HasPrefix(name, "rtree_"+t+"_"+geomCol+"_") {
		switch strings.TrimPrefix(name, "rtree_"+t+"_"+geomCol+"_") {
		case "insert", "update1", "update2", "update3", "update4", "update5", "update6", "update7", "delete":
			return true
		}
	}
	return name == "trigger_insert_feature_count_"+t || name == "trigger_delete_feature_count_"+t
}

// checkRealTable refuses a table that is not a plain table of the file: a view, a virtual
// table, a table with triggers other than the allowed ones.
func (r *GeoPackageReader) checkRealTable(ctx context.Context, t, geomCol string) error {
	var typ string
	var ddl sql.NullString
	err := r.conn.QueryRowContext(ctx, `SELECT type, sql FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')`, t).Scan(&typ, &ddl)
	if errors.Is(err, sql.ErrNoRows) {
		return &FileError{Problem: Refused, Index: -1, Table: t, Reason: fmt.Sprintf("table %q is listed in gpkg_contents but does not exist", t)}
	}
	if err != nil {
		return err
	}
	if typ != "table" {
		return &FileError{Problem: Refused, Index: -1, Table: t, Reason: fmt.Sprintf("%q is a %s, not a table; only real tables are imported", t, typ)}
	}
	if strings.HasPrefix(strings.ToUpper(strings.Join(strings.Fields(ddl.String), " ")), "CREATE VIRTUAL TABLE") {
		return &FileError{Problem: Refused, Index: -1, Table: t, Reason: fmt.Sprintf("%q is a virtual table; only real tables are imported", t)}
	}
	rows, err := r.conn.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name`, t)
	if err != nil {
		return err
	}
	defer rows.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		if !allowedTrigger(name, t, geomCol) {
			return &FileError{Problem: Refused, Index: -1, Table: t, Reason: fmt.Sprintf("table %q has trigger %q; tables with triggers other than the GeoPackage spatial index ones are not imported", t, name)}
		}
	}
	return rows.Err()
}

func (r *GeoPackageReader) init(ctx context.Context, table string) error {
	for _, t := range gpkgTables {
		var typ string
		err := r.conn.QueryRowContext(ctx, `SELECT type FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')`, t).Scan(&typ)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return &FileError{Index: -1, Reason: "not a GeoPackage: it has no " + t + " table"}
		case err != nil:
			return err
		case typ != "table":
			return &FileError{Problem: Refused, Index: -1, Table: t, Reason: fmt.Sprintf("%q is a %s, not a table; only real tables are read", t, typ)}
		}
	}
	rows, err := r.conn.QueryContext(ctx, `SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`)
	if err != nil {
		return err
	}
	defer rows.Close() //nolint:errcheck // read-only; closed early below (Close is idempotent) to free the connection
	type tbl struct {
		name, col string
		srs       int
	}
	var tbls []tbl
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.name, &t.col, &t.srs); err != nil {
			return err
		}
		tbls = append(tbls, t)
	}
	rows.Close() //nolint:errcheck // rows.Err below reports what went wrong
	if err := rows.Err(); err != nil {
		return err
	}
	var chosen *tbl
	var names []string
	for i := range tbls {
		names = append(names, tbls[i].name)
		if tbls[i].name == table || (table == "" && len(tbls) == 1) {
			chosen = &tbls[i]
		}
	}
	if chosen == nil {
		if table == "" {
			return &RequestError{Reason: "choose a feature table (table=): " + strings.Join(names, ", ")}
		}
		return &RequestError{Reason: fmt.Sprintf("no feature table %q (tables: %s)", table, strings.Join(names, ", "))}
	}
	r.table, r.geomCol = chosen.name, chosen.col
	if err := r.checkRealTable(ctx, r.table, r.geomCol); err != nil {
		return err
	}
	var org string
	var code int
	err = r.conn.QueryRowContext(ctx, `SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, chosen.srs).Scan(&org, &code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &FileError{Index: -1, Table: r.table, Reason: fmt.Sprintf("srs_id %d is not in gpkg_spatial_ref_sys", chosen.srs)}
	case err != nil:
		return err
	case strings.EqualFold(org, "EPSG"):
		r.crs = "EPSG:" + strconv.Itoa(code)
	case chosen.srs <= 0:
		r.crs = "" // undefined geographic/cartesian: the caller's --crs or CRS84
	default:
		return &FileError{Index: -1, Table: r.table, Reason: fmt.Sprintf("srs_id %d is %s:%d, not an EPSG code", chosen.srs, org, code)}
	}
	info, err := r.conn.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?)`, r.table)
	if err != nil {
		return err
	}
	defer info.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	for info.Next() {
		var name string
		var pk int
		if err := info.Scan(&name, &pk); err != nil {
			return err
		}
		switch {
		case name == r.geomCol:
		case pk == 1 && r.pkCol == "":
			r.pkCol = name
		default:
			r.fields = append(r.fields, name)
		}
	}
	return info.Err()
}

// Close closes the database.
func (r *GeoPackageReader) Close() error {
	if r.conn != nil {
		_ = r.conn.Close()
	}
	return r.db.Close()
}

// Format is "gpkg".
func (*GeoPackageReader) Format() string { return "gpkg" }

// Fields lists the attribute columns (without the primary key and geometry).
func (r *GeoPackageReader) Fields() []string { return r.fields }

// CRS names the table's CRS ("EPSG:4326"…).
func (r *GeoPackageReader) CRS() string { return r.crs }

func sqliteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Each yields the rows in rowid order (the primary key of a GeoPackage feature table is
// its rowid); the id is the primary key. Text that is not valid UTF-8 (the encoding
// GeoPackage requires) rejects its feature.
func (r *GeoPackageReader) Each(ctx context.Context, fn func(*Feature) error) error {
	cols := []string{sqliteIdent(r.geomCol)}
	if r.pkCol != "" {
		cols = append(cols, sqliteIdent(r.pkCol))
	} else {
		cols = append(cols, "rowid")
	}
	for _, f := range r.fields {
		cols = append(cols, sqliteIdent(f))
	}
	i := 0
	fail := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &FileError{Index: i, Table: r.table, Reason: fmt.Sprintf("table %q cannot be read", r.table), Cause: err}
	}
	rows, err := r.conn.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+sqliteIdent(r.table)+" ORDER BY rowid") //nolint:gosec // G202: identifiers through sqliteIdent
	if err != nil {
		return fail(err)
	}
	defer rows.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for k := range vals {
		ptrs[k] = &vals[k]
	}
	for ; rows.Next(); i++ {
		if err := rows.Scan(ptrs...); err != nil {
			return fail(err)
		}
		f := &Feature{Index: i, ID: fmt.Sprint(vals[1]), CRS: r.crs, Props: map[string]any{}}
		if blob, ok := vals[0].([]byte); ok {
			g, err := DecodeGPKGGeometry(blob)
			if err != nil {
				f.Invalid = err.Error()
			}
			f.Geometry = g
		}
		for k, name := range r.fields {
			v := vals[k+2]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if s, ok := v.(string); ok && !utf8.ValidString(s) && f.Invalid == "" {
				f.Invalid = fmt.Sprintf("table %s, attribute %s: text is not valid UTF-8 (byte %d)", r.table, name, firstInvalidUTF8([]byte(s)))
			}
			f.Props[name] = v
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return nil
}

// DecodeGPKGGeometry decodes a GeoPackage geometry blob (GeoPackage 1.3 §2.1.3): the
// "GP" magic, version, flags (byte order, envelope size, empty), srs_id and envelope,
// then standard WKB. An empty geometry decodes to nil.
func DecodeGPKGGeometry(b []byte) (orb.Geometry, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, errors.New("gpkg: geometry blob lacks the GP header")
	}
	flags := b[3]
	envLen := map[byte]int{0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags>>1)&7]
	if (flags>>1)&7 > 4 {
		return nil, fmt.Errorf("gpkg: envelope indicator %d is invalid", (flags>>1)&7)
	}
	off := 8 + envLen
	if len(b) < off {
		return nil, errors.New("gpkg: geometry blob shorter than its header")
	}
	if flags&0x10 != 0 {
		return nil, nil
	}
	g, _, err := DecodeWKB(b[off:])
	return g, err
}
