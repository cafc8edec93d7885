package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/importer/importtest"
	"github.com/cityreach/cityreach/internal/testdb"
)

// A 1 GiB .shp of zeros deflates to about a megabyte. Declared honestly, it is refused
// from the zip's directory, before a byte is inflated; declared as 1 MiB (a lie), the
// member is read through a counter that stops one byte past the declared size. Either way
// the process allocates a few megabytes, not the gigabyte.
func TestZipBombRefusedByHeaders(t *testing.T) {
	const gib = 1 << 30
	lim := DefaultLimits(32 << 20) // the server's default body limit: 640 MiB may expand
	if lim.ExpandedBytes != 640<<20 {
		t.Fatalf("expanded limit %d, want 20 × 32 MiB", lim.ExpandedBytes)
	}
	bomb := importtest.ZipBomb(t, gib, -1)
	t.Logf("zip bomb: %d bytes expanding to %d (%.0f:1)", len(bomb), gib, float64(gib)/float64(len(bomb)))
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb is %d bytes; want a small archive", len(bomb))
	}
	path := importtest.WriteFile(t, "bomb.zip", bomb)
	before := importtest.TotalAlloc()
	_, _, err := OpenShapefileZip(path, "", lim)
	var le *LimitError
	if !errors.As(err, &le) || le.What != "expanded bytes" || le.Member != "bomb/parks.shp" || le.Limit != 640<<20 {
		t.Fatalf("err = %v, want the expanded-bytes limit naming bomb/parks.shp", err)
	}
	if a := importtest.TotalAlloc() - before; a > 16<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", a)
	}

	// The lie: declared 1 MiB, the .shp header agreeing, 64 MiB inside.
	liar := importtest.WriteFile(t, "liar.zip", importtest.ZipBomb(t, 64<<20, 1<<20))
	zr, err := zip.OpenReader(liar)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close() //nolint:errcheck // test clean-up
	before = importtest.TotalAlloc()
	rc, size, err := openMember(zr.File[0])
	if err != nil || size != 1<<20 {
		t.Fatalf("open: %v, size %d", err, size)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close() //nolint:errcheck // test clean-up
	if !errors.As(err, &le) || n != 1<<20 {
		t.Fatalf("read %d bytes, err %v; want exactly the declared 1 MiB then a limit error", n, err)
	}
	if a := importtest.TotalAlloc() - before; a > 16<<20 {
		t.Errorf("reading the lying member allocated %d bytes", a)
	}
}

// More entries than the limit are refused from the end-of-central-directory record.
func TestZipMemberCount(t *testing.T) {
	members := map[string][]byte{}
	for i := 0; i < 100; i++ {
		members["f"+strconv.Itoa(i)+".txt"] = []byte("x")
	}
	b := importtest.ZipOf(t, members)
	if n, err := zipEntryCount(bytes.NewReader(b), int64(len(b))); err != nil || n != 100 {
		t.Fatalf("entry count %d, %v; want 100", n, err)
	}
	_, _, err := OpenShapefileZip(importtest.WriteFile(t, "many.zip", b), "", Limits{ZipMembers: 64})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "zip members" || le.Limit != 64 {
		t.Fatalf("err = %v, want the zip-members limit", err)
	}
}

// Headers are checked against the sizes before anything is allocated for records.
func TestShapefileHeadersCheckedAgainstSizes(t *testing.T) {
	shp := importtest.PointShp([]orb.Point{{1, 2}})
	dbf := importtest.TextDBF([]string{"NAME"}, 4, [][]string{{"a"}})
	long := append([]byte(nil), shp...)
	long[27] = 0xff // file length far beyond the 128 bytes there are
	if _, err := NewShapefile(long, dbf, "", "", ""); err == nil || !strings.Contains(err.Error(), "the file has 128") {
		t.Errorf(".shp header longer than the file: %v", err)
	}
	many := append([]byte(nil), dbf...)
	many[4], many[5], many[6] = 0xff, 0xff, 0xff // 16 million records in a few bytes
	if _, err := NewShapefile(shp, many, "", "", ""); err == nil || !strings.Contains(err.Error(), "records, the file holds 1") {
		t.Errorf(".dbf record count beyond the file: %v", err)
	}
	huge := append([]byte(nil), shp...)
	huge = append(huge[:shpHeaderLen+4], 0x7f, 0xff, 0xff, 0xff) // one record claiming 4 GiB
	huge = append(huge, make([]byte, 20)...)
	r, err := NewShapefile(huge, dbf, "", "", "")
	if err == nil {
		err = r.Each(context.Background(), func(*Feature) error { return nil })
	}
	var fe *FileError
	if !errors.As(err, &fe) || fe.Index != 0 || !strings.Contains(fe.Reason, "claims") {
		t.Errorf("record longer than the file: %v", err)
	}
}

// Attribute text that is not valid in the file's encoding rejects the feature, naming
// the member and field, instead of being replaced with U+FFFD; a .cpg that says GBK over
// text that is valid UTF-8 leaves a warning.
func TestShapefileTextEncoding(t *testing.T) {
	gbk := "\xb9\xab\xd4\xb0"         // 公园 in GBK: not UTF-8
	utf := "\xe5\x85\xac\xe5\x9b\xad" // 公园 in UTF-8
	shp := importtest.PointShp([]orb.Point{{109.85, 40.65}, {109.86, 40.65}})
	read := func(t *testing.T, rows [][]string, cpg string) ([]*Feature, *ShapefileReader) {
		t.Helper()
		r, err := NewShapefile(shp, importtest.TextDBF([]string{"NAME"}, 10, rows), "", cpg, "")
		if err != nil {
			t.Fatal(err)
		}
		var fs []*Feature
		if err := r.Each(context.Background(), func(f *Feature) error { fs = append(fs, f); return nil }); err != nil {
			t.Fatal(err)
		}
		return fs, r
	}
	t.Run("cpg says UTF-8 over GBK bytes", func(t *testing.T) {
		fs, _ := read(t, [][]string{{"ok"}, {gbk}}, "UTF-8")
		if fs[0].Invalid != "" || fs[0].Props["NAME"] != "ok" {
			t.Errorf("feature 0: %q %v", fs[0].Invalid, fs[0].Props)
		}
		want := "layer.dbf: field NAME: text is not valid UTF-8 (byte 0), the encoding the .cpg declares"
		if fs[1].Invalid != want {
			t.Errorf("feature 1: %q, want %q", fs[1].Invalid, want)
		}
	})
	t.Run("no cpg, bytes neither UTF-8 nor GBK", func(t *testing.T) {
		fs, r := read(t, [][]string{{"ok"}, {"\xff\xfe"}}, "")
		if r.Encoding() != "GBK" || !strings.Contains(fs[1].Invalid, "not valid GBK") || strings.ContainsRune(fs[1].Invalid, '\uFFFD') {
			t.Errorf("encoding %s, feature 1: %q", r.Encoding(), fs[1].Invalid)
		}
	})
	t.Run("cpg says GBK over UTF-8 text", func(t *testing.T) {
		fs, r := read(t, [][]string{{utf}, {"ok"}}, "GBK")
		if len(r.Warnings()) != 1 || !strings.Contains(r.Warnings()[0], "encoding=UTF-8") {
			t.Errorf("warnings %q", r.Warnings())
		}
		if fs[0].Props["NAME"] == "公园" {
			t.Error("decoded as UTF-8 although the .cpg says GBK")
		}
	})
	t.Run("cpg right", func(t *testing.T) {
		fs, r := read(t, [][]string{{gbk}, {"ok"}}, "936")
		if fs[0].Props["NAME"] != "公园" || len(r.Warnings()) != 0 {
			t.Errorf("%v %q", fs[0].Props, r.Warnings())
		}
	})
}

// Invalid UTF-8 in a GeoJSON property is refused at the property, not replaced.
func TestGeoJSONInvalidUTF8(t *testing.T) {
	fc := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","properties":{"name":"bad ` + "\xb9\xab" + `"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`
	err := geojsonReader(fc).Each(context.Background(), func(*Feature) error { return nil })
	var fe *FileError
	if !errors.As(err, &fe) || fe.Problem != Refused || fe.Index != 1 || fe.Pointer != "/features/1/properties/name" || !strings.Contains(fe.Reason, "not valid UTF-8") {
		t.Fatalf("err = %#v", err)
	}
}

// A GeoPackage whose feature table is a view over a recursive query without end is
// refused before any row is read (the test would hang otherwise); so are tables with
// triggers, virtual tables and GeoPackage tables that are views.
func TestGeoPackageRefusesWhatIsNotATable(t *testing.T) {
	ctx := context.Background()
	endless := `CREATE VIEW parks AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
		SELECT x AS fid, (SELECT geom FROM parks_data LIMIT 1) AS geom, randomblob(1000) AS name, 'garden' AS park_class FROM c ORDER BY 3`
	cases := []struct {
		name  string
		extra []string
		table string
		want  string
	}{
		{"recursive view", []string{endless}, "parks", `"parks" is a view`},
		{"plain view", []string{`CREATE VIEW parks AS SELECT * FROM parks_data`}, "parks", `"parks" is a view`},
		{"trigger", []string{`ALTER TABLE parks_data RENAME TO parks`, `CREATE TRIGGER evil AFTER INSERT ON parks BEGIN SELECT 1; END`}, "parks", `trigger "evil"`},
		{"virtual table", []string{`CREATE VIRTUAL TABLE parks USING rtree(fid, minx, maxx)`}, "parks", "virtual table"},
		{"gpkg_contents view", []string{`ALTER TABLE parks_data RENAME TO parks`, `ALTER TABLE gpkg_contents RENAME TO c2`,
			`CREATE VIEW gpkg_contents AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT 'parks' AS table_name, 'features' AS data_type FROM c`}, "gpkg_contents", `"gpkg_contents" is a view`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := importtest.GPKG(t, [][]byte{[]byte("a")}, c.extra...)
			_, err := OpenGeoPackage(ctx, p, "")
			var fe *FileError
			if !errors.As(err, &fe) || fe.Problem != Refused || fe.Table != c.table || !strings.Contains(fe.Reason, c.want) {
				t.Fatalf("err = %v, want a refusal of table %s: %s", err, c.table, c.want)
			}
		})
	}
	// The GDAL R-tree and feature-count triggers are accepted (TestGeoPackage reads an
	// ogr2ogr file that has them).
	if !allowedTrigger("rtree_parks_geom_update4", "parks", "geom") || allowedTrigger("rtree_parks_geom_evil", "parks", "geom") {
		t.Error("trigger allow-list")
	}
}

// Whatever reaches the reader's connection, the authorizer refuses recursion, views and
// functions at prepare time, so no statement on it can run without end or spill to
// temporary files; and a query still running when the context ends is interrupted.
func TestGeoPackageConnectionIsBounded(t *testing.T) {
	ctx := context.Background()
	p := importtest.GPKG(t, [][]byte{[]byte("a"), []byte("b")}, `ALTER TABLE parks_data RENAME TO parks`, `CREATE VIEW v AS SELECT * FROM parks`)
	r, err := OpenGeoPackage(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() //nolint:errcheck // test clean-up
	for _, q := range []string{
		`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`,
		`SELECT * FROM v`,
		`SELECT randomblob(10)`,
		`PRAGMA temp_store = FILE`,
	} {
		if _, err := r.conn.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "authoriz") {
			t.Errorf("%s: %v, want an authorization refusal", q, err)
		}
	}
	// A query on a context that has ended does not run (the driver interrupts it).
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	rows, err := r.conn.QueryContext(cctx, `SELECT count(*) FROM parks a, parks b`)
	if err == nil {
		defer rows.Close() //nolint:errcheck // test clean-up
		err = rows.Err()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("query on a cancelled context: %v", err)
	}
	var n int
	if err := r.conn.QueryRowContext(ctx, `SELECT count(*) FROM parks a, parks b`).Scan(&n); err == nil {
		t.Errorf("count(*) is a function; the policy refuses functions (got %d)", n)
	}
}

// Through Import: invalid UTF-8 in a GeoPackage attribute rejects its feature naming the
// table and attribute; the time limit ends the import as a LimitError, nothing written.
func TestGeoPackageTextAndTime(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	p := importtest.GPKG(t, [][]byte{[]byte("甲"), []byte("bad \xb9\xab"), []byte("丙")})
	r, err := OpenGeoPackage(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() //nolint:errcheck // test clean-up
	before := checksum(t, db.Pool, "facilities")
	pharmacies := Mapping{"category": "=pharmacy"}
	rep, err := Import(ctx, db.Pool, "facilities", r, Options{City: "baotou", Mapping: pharmacies})
	if !errors.Is(err, ErrRefused) || len(rep.Rejected) != 1 || rep.Rejected[0].Index != 1 ||
		rep.Rejected[0].Reason != "table parks, attribute name: text is not valid UTF-8 (byte 4)" {
		t.Fatalf("err %v, rejected %+v", err, rep)
	}
	_, err = Import(ctx, db.Pool, "facilities", r, Options{City: "baotou", Mapping: pharmacies, SkipInvalid: true, Limits: Limits{Duration: time.Nanosecond}})
	var le *LimitError
	if !errors.As(err, &le) || le.What != "duration" {
		t.Fatalf("err = %v, want the duration limit", err)
	}
	_, err = Import(ctx, db.Pool, "facilities", r, Options{City: "baotou", Mapping: pharmacies, SkipInvalid: true, Limits: Limits{Features: 2}})
	if !errors.As(err, &le) || le.What != "features" || le.Limit != 2 {
		t.Fatalf("err = %v, want the features limit", err)
	}
	if after := checksum(t, db.Pool, "facilities"); after != before {
		t.Fatal("a refused import changed facilities")
	}
}

// NewSpool removes what dead processes left and keeps the files of living ones.
func TestSpoolCleanedOnStart(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{ // name → kept
		"upload-" + strconv.Itoa(dead.Process.Pid) + "-1.zip":     false,
		"upload-" + strconv.Itoa(dead.Process.Pid) + "-1.zip-wal": false,
		"upload-" + strconv.Itoa(os.Getppid()) + "-2.gpkg":        true,
		"stray.txt": false,
	}
	for n := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sp, err := NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	for n, kept := range files {
		_, err := os.Stat(filepath.Join(dir, n))
		if (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", n, err == nil, kept)
		}
	}
	f, err := sp.Create(".gpkg")
	if err != nil {
		t.Fatal(err)
	}
	f.Close() //nolint:errcheck // test clean-up
	if err := os.WriteFile(f.Name()+"-shm", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sp.Remove(f.Name())
	if left, _ := filepath.Glob(f.Name() + "*"); len(left) != 0 {
		t.Errorf("left after Remove: %v", left)
	}
}
