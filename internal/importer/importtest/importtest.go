// Package importtest builds hostile import inputs inside tests — zip bombs, GeoPackages
// whose feature table is a view, Shapefiles whose text lies about its encoding — so that
// no large or binary fixture is kept in the repository. Only tests import it.
package importtest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"database/sql"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, as "sqlite"
)

// PointShp writes a point Shapefile's .shp with one record per point.
func PointShp(pts []orb.Point) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 100)
	binary.BigEndian.PutUint32(hdr[0:], 9994)
	binary.BigEndian.PutUint32(hdr[24:], uint32((100+len(pts)*28)/2))
	binary.LittleEndian.PutUint32(hdr[28:], 1000)
	binary.LittleEndian.PutUint32(hdr[32:], 1)
	b.Write(hdr)
	for i, p := range pts {
		rec := make([]byte, 28)
		binary.BigEndian.PutUint32(rec[0:], uint32(i+1))
		binary.BigEndian.PutUint32(rec[4:], 10)
		binary.LittleEndian.PutUint32(rec[8:], 1)
		binary.LittleEndian.PutUint64(rec[12:], math.Float64bits(p[0]))
		binary.LittleEndian.PutUint64(rec[20:], math.Float64bits(p[1]))
		b.Write(rec)
	}
	return b.Bytes()
}

// TextDBF writes a .dbf with text fields of width w; rows hold the raw bytes of each value.
func TextDBF(names []string, w int, rows [][]string) []byte {
	var b bytes.Buffer
	hdrLen := 32 + 32*len(names) + 1
	recLen := 1 + w*len(names)
	h := make([]byte, 32)
	h[0] = 3
	binary.LittleEndian.PutUint32(h[4:], uint32(len(rows)))
	binary.LittleEndian.PutUint16(h[8:], uint16(hdrLen))
	binary.LittleEndian.PutUint16(h[10:], uint16(recLen))
	b.Write(h)
	for _, n := range names {
		d := make([]byte, 32)
		copy(d, n)
		d[11] = 'C'
		d[16] = byte(w)
		b.Write(d)
	}
	b.WriteByte(0x0D)
	for _, r := range rows {
		b.WriteByte(' ')
		for _, v := range r {
			cell := bytes.Repeat([]byte{' '}, w)
			copy(cell, v)
			b.Write(cell)
		}
	}
	b.WriteByte(0x1A)
	return b.Bytes()
}

// ZipOf writes a zip archive of the named members.
func ZipOf(t testing.TB, members map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Zeros is an endless reader of zero bytes.
type Zeros struct{}

func (Zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// ZipBomb writes a zip whose .shp member is a valid 100-byte header followed by zeros,
// expanding to size bytes, deflated (about 1000:1) as it is written, so that neither the
// test nor the archive holds the expanded bytes. With declared ≥ 0 the member's declared
// uncompressed size is that lie instead of the truth. A small valid .dbf goes with it.
func ZipBomb(t testing.TB, size, declared int64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.NewIEEE()
	hdr := PointShp(nil)
	binary.BigEndian.PutUint32(hdr[24:], uint32(min(size, math.MaxInt32*2)/2))
	w := io.MultiWriter(fw, crc)
	if _, err := w.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, Zeros{}, size-int64(len(hdr))); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	fh := &zip.FileHeader{Name: "bomb/parks.shp", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(size)}
	if declared >= 0 {
		fh.UncompressedSize64 = uint64(declared)
	}
	raw, err := zw.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	dw, err := zw.Create("bomb/parks.dbf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dw.Write(TextDBF([]string{"NAME"}, 10, [][]string{{"a"}})); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func WriteFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// GPKGPoint is a GeoPackage geometry blob: the GP header without envelope, then WKB.
func GPKGPoint(p orb.Point, srs int32) []byte {
	b := []byte{'G', 'P', 0, 1, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], uint32(srs))
	w, _ := wkb.Marshal(p, binary.LittleEndian)
	return append(b, w...)
}

// GPKG writes a minimal GeoPackage with one point feature table "parks" (fid,
// geom, name) holding names, then runs extra (DDL that makes it hostile).
func GPKG(t testing.TB, names [][]byte, extra ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hostile.gpkg")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // a test helper closing its fixture
	stmts := []string{
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84"]', NULL)`,
		`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '', last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER)`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL)`,
		`INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('parks', 'features', 4326)`,
		`INSERT INTO gpkg_geometry_columns VALUES ('parks', 'geom', 'POINT', 4326, 0, 0)`,
		`CREATE TABLE parks_data (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, name TEXT, park_class TEXT)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for i, n := range names {
		if _, err := db.Exec(`INSERT INTO parks_data (geom, name, park_class) VALUES (?, CAST(? AS TEXT), 'garden')`,
			GPKGPoint(orb.Point{109.85 + float64(i)*1e-4, 40.65}, 4326), n); err != nil {
			t.Fatal(err)
		}
	}
	if len(extra) == 0 {
		extra = []string{`ALTER TABLE parks_data RENAME TO parks`}
	}
	for _, s := range extra {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

// TotalAlloc is the bytes the whole process has allocated so far (runtime.MemStats), to
// show that refusing a hostile input did not read it.
func TotalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
