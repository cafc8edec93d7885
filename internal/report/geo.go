package report

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// exportLayers lists the layers of r to write as GeoJSON and GeoPackage, in report order.
func exportLayers(r *Report) []*Layer {
	var out []*Layer
	for _, s := range r.Sections {
		for _, l := range s.Layers {
			if !l.NoExport {
				out = append(out, l)
			}
		}
	}
	return out
}

// WriteGeoPackage writes layers into a new OGC GeoPackage (1.3) at path: one feature table
// per layer in EPSG:4326, with a column per property (numbers REAL, booleans INTEGER,
// strings TEXT, lists and objects as JSON text; a null types nothing, and a property
// that is null in every feature is a REAL column of NULLs). updated is gpkg_contents.last_change.
func WriteGeoPackage(ctx context.Context, path string, layers []*Layer, updated time.Time) (err error) {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	db.SetMaxOpenConns(1)
	stmts := []string{
		`PRAGMA application_id = 1196444487`, // "GPKG"
		`PRAGMA user_version = 10300`,
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
			organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
			('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
			('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
		`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
			description TEXT DEFAULT '', last_change DATETIME NOT NULL, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
			srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
			srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name))`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("geopackage: %w", err)
		}
	}
	for _, l := range layers {
		if err := writeGPKGLayer(ctx, db, l, updated); err != nil {
			return fmt.Errorf("geopackage layer %s: %w", l.Name, err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func writeGPKGLayer(ctx context.Context, db *sql.DB, l *Layer, updated time.Time) error {
	fc, err := geojson.UnmarshalFeatureCollection(l.GeoJSON)
	if err != nil {
		return err
	}
	// Columns: the union of the property keys, typed by their values.
	types := map[string]string{}
	for _, f := range fc.Features {
		for k, v := range f.Properties {
			if v == nil { // a value that does not apply types nothing: NULL fits any column
				if _, ok := types[k]; !ok {
					types[k] = ""
				}
				continue
			}
			t := sqlType(v)
			if old, ok := types[k]; ok && old != "" && old != t {
				t = "TEXT"
			}
			types[k] = t
		}
	}
	delete(types, "fid")
	keys := make([]string, 0, len(types))
	for k, t := range types {
		if t == "" { // only NULLs
			types[k] = "REAL"
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cols := []string{`fid INTEGER PRIMARY KEY AUTOINCREMENT`, `geom GEOMETRY`}
	for _, k := range keys {
		cols = append(cols, quoteIdent(k)+" "+types[k])
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit a no-op; on failure the error that matters is returned
	if _, err := tx.ExecContext(ctx, `CREATE TABLE `+quoteIdent(l.Name)+` (`+strings.Join(cols, ", ")+`)`); err != nil {
		return err
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(keys)+1), ", ")
	names := []string{"geom"}
	for _, k := range keys {
		names = append(names, quoteIdent(k))
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO `+quoteIdent(l.Name)+` (`+strings.Join(names, ", ")+`) VALUES (`+ph+`)`) //nolint:gosec // G202: identifiers through quoteIdent, values as parameters
	if err != nil {
		return err
	}
	defer ins.Close() //nolint:errcheck // closed with the transaction in any case
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, f := range fc.Features {
		if f.Geometry == nil {
			continue
		}
		blob, b, err := gpkgGeom(f.Geometry)
		if err != nil {
			return err
		}
		bound = bound.Union(b)
		args := []any{blob}
		for _, k := range keys {
			args = append(args, sqlValue(f.Properties[k]))
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	if len(fc.Features) == 0 {
		bound = orb.Bound{}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id)
		VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)`, l.Name, l.Name, l.Title, updated.UTC().Format("2006-01-02T15:04:05.000Z"),
		bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', 4326, 0, 0)`, l.Name); err != nil {
		return err
	}
	return tx.Commit()
}

func sqlType(v any) string {
	switch v.(type) {
	case float64:
		return "REAL"
	case bool:
		return "BOOLEAN"
	}
	return "TEXT"
}

func sqlValue(v any) any {
	switch x := v.(type) {
	case nil, float64, string:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// gpkgGeom encodes g as a GeoPackage geometry blob: the "GP" header with an XY envelope and
// little-endian WKB.
func gpkgGeom(g orb.Geometry) ([]byte, orb.Bound, error) {
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, orb.Bound{}, err
	}
	b := g.Bound()
	h := make([]byte, 8+32)
	h[0], h[1], h[2] = 'G', 'P', 0
	h[3] = 1<<1 | 1 // envelope [minx, maxx, miny, maxy]; little endian
	binary.LittleEndian.PutUint32(h[4:], 4326)
	for i, v := range []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
		binary.LittleEndian.PutUint64(h[8+8*i:], math.Float64bits(v))
	}
	return append(h, body...), b, nil
}
