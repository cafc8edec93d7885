package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// GeoPackageReader reads one feature table of an OGC GeoPackage with the pure-Go SQLite
// driver: the table and its geometry column come from gpkg_contents and
// gpkg_geometry_columns, the CRS from gpkg_spatial_ref_sys, and each geometry from its
// GeoPackage binary header followed by WKB.
type GeoPackageReader struct {
	db      *sql.DB
	table   string
	geomCol string
	pkCol   string
	crs     string
	fields  []string
}

// OpenGeoPackage opens path read-only. table names the feature table; "" means the only
// one (more than one is an error listing them).
func OpenGeoPackage(path, table string) (*GeoPackageReader, error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, err
	}
	r := &GeoPackageReader{db: db}
	if err := r.init(table); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func (r *GeoPackageReader) init(table string) error {
	rows, err := r.db.Query(`SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`)
	if err != nil {
		return fmt.Errorf("not a GeoPackage (gpkg_contents): %w", err)
	}
	type tbl struct {
		name, col string
		srs       int
	}
	var tbls []tbl
	for rows.Next() {
		var t tbl
		if err := rows.Scan(&t.name, &t.col, &t.srs); err != nil {
			rows.Close()
			return err
		}
		tbls = append(tbls, t)
	}
	rows.Close()
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
			return fmt.Errorf("choose a feature table (--table): %s", strings.Join(names, ", "))
		}
		return fmt.Errorf("no feature table %q (tables: %s)", table, strings.Join(names, ", "))
	}
	r.table, r.geomCol = chosen.name, chosen.col
	var org string
	var code int
	err = r.db.QueryRow(`SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, chosen.srs).Scan(&org, &code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("srs_id %d is not in gpkg_spatial_ref_sys", chosen.srs)
	case err != nil:
		return err
	case strings.EqualFold(org, "EPSG"):
		r.crs = "EPSG:" + strconv.Itoa(code)
	case chosen.srs <= 0:
		r.crs = "" // undefined geographic/cartesian: the caller's --crs or CRS84
	default:
		return fmt.Errorf("srs_id %d is %s:%d, not an EPSG code", chosen.srs, org, code)
	}
	info, err := r.db.Query(`SELECT name, pk FROM pragma_table_info(?)`, r.table)
	if err != nil {
		return err
	}
	defer info.Close()
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
func (r *GeoPackageReader) Close() error { return r.db.Close() }

// Format is "gpkg".
func (*GeoPackageReader) Format() string { return "gpkg" }

// Fields lists the attribute columns (without the primary key and geometry).
func (r *GeoPackageReader) Fields() []string { return r.fields }

// CRS names the table's CRS ("EPSG:4326"…).
func (r *GeoPackageReader) CRS() string { return r.crs }

func sqliteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Each yields the rows in primary-key order; the id is the primary key.
func (r *GeoPackageReader) Each(ctx context.Context, fn func(*Feature) error) error {
	cols := []string{sqliteIdent(r.geomCol)}
	order := "rowid"
	if r.pkCol != "" {
		cols = append(cols, sqliteIdent(r.pkCol))
		order = sqliteIdent(r.pkCol)
	} else {
		cols = append(cols, "rowid")
	}
	for _, f := range r.fields {
		cols = append(cols, sqliteIdent(f))
	}
	rows, err := r.db.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+sqliteIdent(r.table)+" ORDER BY "+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for i := 0; rows.Next(); i++ {
		if err := rows.Scan(ptrs...); err != nil {
			return err
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
			f.Props[name] = v
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
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
