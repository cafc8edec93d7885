package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// The Baotou outlines: 10 features, and each area in PostGIS (geodesic, ST_Area on
// geography) within 1 % of the area_km2 the data README gives.
func TestImportBaotouDistricts(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	f, err := os.Open(testdb.DataFile(t, "baotou_admin.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // test clean-up
	rep, err := Import(ctx, db.Pool, "districts", NewGeoJSONReader(f), Options{City: "baotou", Actor: "test"})
	if err != nil {
		t.Fatalf("import: %v\n%+v", err, rep.Rejected)
	}
	if rep.Read != 10 || rep.Inserted != 10 || len(rep.Rejected) != 0 || !rep.Committed {
		t.Fatalf("report: read %d inserted %d rejected %v", rep.Read, rep.Inserted, rep.Rejected)
	}
	// README table (km²) — the expected values come from the data's documentation.
	want := map[string]float64{"150200": 27563, "150202": 458, "150203": 321, "150204": 283, "150205": 775,
		"150206": 248, "150207": 686, "150221": 2323, "150222": 4980, "150223": 17490}
	rows, err := db.Pool.Query(ctx, "SELECT adcode, ST_Area(geom::geography) / 1e6 FROM districts")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var code string
		var km2 float64
		if err := rows.Scan(&code, &km2); err != nil {
			t.Fatal(err)
		}
		n++
		w, ok := want[code]
		if !ok {
			t.Errorf("unexpected adcode %s", code)
			continue
		}
		if d := (km2 - w) / w; d > 0.01 || d < -0.01 {
			t.Errorf("%s: area %.1f km², README %v km² (%.2f %%)", code, km2, w, d*100)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("%d rows, want 10", n)
	}
	var hist int
	_ = db.Pool.QueryRow(ctx, "SELECT count(*) FROM feature_history WHERE layer = 'districts' AND actor = 'test'").Scan(&hist)
	if hist != 10 {
		t.Errorf("history rows %d, want 10 (history stays on without --bulk)", hist)
	}
}

const brokenFC = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"ok-0","properties":{"adcode":"150901","name":"甲"},"geometry":{"type":"Polygon","coordinates":[[[110,40],[110.1,40],[110.1,40.1],[110,40.1],[110,40]]]}},
{"type":"Feature","id":"ok-1","properties":{"adcode":"150902","name":"乙"},"geometry":{"type":"Polygon","coordinates":[[[110.2,40],[110.3,40],[110.3,40.1],[110.2,40.1],[110.2,40]]]}},
{"type":"Feature","id":"bowtie-2","properties":{"adcode":"150903","name":"丙"},"geometry":{"type":"Polygon","coordinates":[[[110.4,40],[110.5,40.1],[110.5,40],[110.4,40.1],[110.4,40]]]}},
{"type":"Feature","id":"ok-3","properties":{"adcode":"150904","name":"丁"},"geometry":{"type":"Polygon","coordinates":[[[110.6,40],[110.7,40],[110.7,40.1],[110.6,40.1],[110.6,40]]]}},
{"type":"Feature","id":"ok-4","properties":{"adcode":"150905","name":"戊"},"geometry":{"type":"Polygon","coordinates":[[[110.8,40],[110.9,40],[110.9,40.1],[110.8,40.1],[110.8,40]]]}}
]}`

// One self-intersecting feature in the middle refuses the whole import: the table's
// checksum is unchanged and the report names index 2, id bowtie-2. With SkipInvalid the
// other four are written and the bowtie is still listed.
func TestBrokenFeatureRefusesImport(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	if _, err := Import(ctx, db.Pool, "districts", geojsonReader(`{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"adcode":"150999","name":"已有"},"geometry":{"type":"Polygon","coordinates":[[[111,41],[111.1,41],[111.1,41.1],[111,41]]]}}]}`),
		Options{City: "baotou"}); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, db.Pool, "districts")
	histBefore := checksum(t, db.Pool, "feature_history")
	rep, err := Import(ctx, db.Pool, "districts", geojsonReader(brokenFC), Options{City: "baotou"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	if len(rep.Rejected) != 1 || rep.Rejected[0].Index != 2 || rep.Rejected[0].ID != "bowtie-2" || rep.Rejected[0].Stage != "geometry" {
		t.Fatalf("rejected = %+v", rep.Rejected)
	}
	t.Logf("reason: %s", rep.Rejected[0].Reason)
	if after := checksum(t, db.Pool, "districts"); after != before {
		t.Fatalf("table changed: %s → %s", before, after)
	}
	if after := checksum(t, db.Pool, "feature_history"); after != histBefore {
		t.Fatal("history changed")
	}
	rep, err = Import(ctx, db.Pool, "districts", geojsonReader(brokenFC), Options{City: "baotou", SkipInvalid: true})
	if err != nil || rep.Inserted != 4 || len(rep.Rejected) != 1 || rep.Rejected[0].ID != "bowtie-2" {
		t.Fatalf("skip-invalid: err %v, %+v", err, rep)
	}
}

// Attribute problems the registry knows (enum, bounds, type) and the ones only the
// database knows (the adcode CHECK) are both reported per feature.
func TestAttributeAndConstraintRejections(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	fc := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"adcode":"150901","name":"a","kind":"旗"},"geometry":{"type":"Polygon","coordinates":[[[110,40],[110.1,40],[110.1,40.1],[110,40]]]}},
{"type":"Feature","id":2,"properties":{"adcode":"150902","name":"b","kind":"省"},"geometry":{"type":"Polygon","coordinates":[[[110,40],[110.1,40],[110.1,40.1],[110,40]]]}},
{"type":"Feature","id":3,"properties":{"adcode":"15X","name":"c"},"geometry":{"type":"Polygon","coordinates":[[[110,40],[110.1,40],[110.1,40.1],[110,40]]]}},
{"type":"Feature","id":4,"properties":{"adcode":"150904","name":"d"},"geometry":{"type":"Point","coordinates":[110,40]}}]}`
	rep, err := Import(ctx, db.Pool, "districts", geojsonReader(fc), Options{City: "baotou"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err %v", err)
	}
	got := map[int]string{}
	for _, r := range rep.Rejected {
		got[r.Index] = r.Stage
	}
	// Feature 3 (adcode) is only found by the database once the others are valid.
	if got[1] != "attributes" || got[3] != "geometry" || len(got) != 2 {
		t.Fatalf("rejected %+v", rep.Rejected)
	}
	rep, err = Import(ctx, db.Pool, "districts", geojsonReader(fc), Options{City: "baotou", SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	got = map[int]string{}
	for _, r := range rep.Rejected {
		got[r.Index] = r.Stage + ": " + r.Reason
	}
	if rep.Inserted != 1 || len(got) != 3 || got[2][:8] != "database" {
		t.Fatalf("inserted %d rejected %+v", rep.Inserted, rep.Rejected)
	}
}

// --upsert on a key updates the matching rows, adds new ones and leaves identical ones alone.
func TestUpsert(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	fc := func(name string, n int) string {
		s := `{"type":"FeatureCollection","features":[`
		for i := 0; i < n; i++ {
			if i > 0 {
				s += ","
			}
			s += fmt.Sprintf(`{"type":"Feature","properties":{"adcode":"15090%d","name":"%s%d"},"geometry":{"type":"Polygon","coordinates":[[[110,40],[110.1,40],[110.1,40.1],[110,40]]]}}`, i, name, i)
		}
		return s + "]}"
	}
	o := Options{City: "baotou", Upsert: "adcode"}
	if rep, err := Import(ctx, db.Pool, "districts", geojsonReader(fc("a", 3)), o); err != nil || rep.Inserted != 3 {
		t.Fatalf("%v %+v", err, rep)
	}
	rep, err := Import(ctx, db.Pool, "districts", geojsonReader(fc("b", 4)), o)
	if err != nil || rep.Inserted != 1 || rep.Updated != 3 || rep.Unchanged != 0 {
		t.Fatalf("%v %+v", err, rep)
	}
	rep, err = Import(ctx, db.Pool, "districts", geojsonReader(fc("b", 4)), o)
	if err != nil || rep.Inserted != 0 || rep.Updated != 0 || rep.Unchanged != 4 {
		t.Fatalf("%v %+v", err, rep)
	}
	var n, v2 int
	var name string
	_ = db.Pool.QueryRow(ctx, "SELECT count(*), max(version), max(name) FILTER (WHERE adcode = '150901') FROM districts").Scan(&n, &v2, &name)
	if n != 4 || v2 != 2 || name != "b1" {
		t.Fatalf("rows %d max version %d name %q", n, v2, name)
	}
}

// A GBK Shapefile without .cpg in CGCS2000 3° Gauss–Krüger CM 111E (EPSG:4546), made
// with ogr2ogr from facilities_gk_source.geojson: the Chinese names decode exactly and
// every point lands within 1 m (PostGIS geography distance) of its source WGS 84 position.
func TestShapefileGBKGaussKruger(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	r, closeR, err := Open(context.Background(), "testdata/facilities_gk_gbk.zip", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeR() //nolint:errcheck // test clean-up
	sr := r.(*ShapefileReader)
	if sr.Encoding() != "GBK" || sr.CRS() != "EPSG:4546" {
		t.Fatalf("encoding %s crs %s", sr.Encoding(), sr.CRS())
	}
	rep, err := Import(ctx, db.Pool, "facilities", r, Options{City: "baotou",
		Mapping: Mapping{"name": "NAME", "category": "CATEGORY", "floor_area_m2": "AREA"}})
	if err != nil || rep.Inserted != 4 {
		t.Fatalf("%v %+v", err, rep)
	}
	src, err := os.Open("testdata/facilities_gk_source.geojson")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close() //nolint:errcheck // test clean-up
	n := 0
	err = NewGeoJSONReader(src).Each(ctx, func(f *Feature) error {
		n++
		var d float64
		var area float64
		err := db.Pool.QueryRow(ctx, `SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography), floor_area_m2
			FROM facilities WHERE name = $1 AND category = $4`, f.Props["NAME"], f.Geometry.(interface{ X() float64 }).X(),
			f.Geometry.(interface{ Y() float64 }).Y(), f.Props["CATEGORY"]).Scan(&d, &area)
		if err != nil {
			return fmt.Errorf("%v: %w", f.Props["NAME"], err)
		}
		if d > 1 {
			t.Errorf("%v: %.3f m from the source position", f.Props["NAME"], d)
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Fatal(err, n)
	}
}

// A polygon Shapefile with a .cpg: the hole stays a hole and the two-part park a
// MultiPolygon; areas match the source GeoJSON's areas computed by PostGIS within 0.1 %.
func TestShapefilePolygonsWithHoles(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	r, closeR, err := Open(context.Background(), "testdata/parks_gk_gbk_cpg.zip", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeR() //nolint:errcheck // test clean-up
	rep, err := Import(ctx, db.Pool, "parks", r, Options{City: "baotou", Mapping: Mapping{"name": "NAME", "park_class": "CLASS"}})
	if err != nil || rep.Inserted != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	src, _ := os.ReadFile("testdata/parks_gk_source.geojson")
	var bad int
	err = db.Pool.QueryRow(ctx, `WITH s AS (SELECT f->'properties'->>'NAME' AS name, ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326) AS g
		FROM jsonb_array_elements($1::jsonb->'features') f)
		SELECT count(*) FROM s JOIN parks p USING (name)
		WHERE abs(ST_Area(p.geom::geography) / ST_Area(s.g::geography) - 1) > 0.001 OR ST_NumInteriorRings(ST_GeometryN(p.geom, 1)) <> ST_NumInteriorRings(ST_GeometryN(ST_Multi(s.g), 1))
		   OR ST_NumGeometries(p.geom) <> ST_NumGeometries(ST_Multi(s.g))`, string(src)).Scan(&bad)
	if err != nil || bad != 0 {
		t.Fatalf("%v: %d parks differ from the source", err, bad)
	}
}

// A GeoPackage written by ogr2ogr imports with its CRS and attributes; the count matches ogrinfo.
func TestGeoPackage(t *testing.T) {
	testdb.NeedTool(t, "ogr2ogr")
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	gpkg := filepath.Join(t.TempDir(), "parks.gpkg")
	if out, err := exec.Command("ogr2ogr", "-f", "GPKG", gpkg, "testdata/parks_gk_source.geojson", "-nln", "parks_src", "-t_srs", "EPSG:4490").CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, out)
	}
	r, closeR, err := Open(context.Background(), gpkg, OpenOptions{})
	if err != nil {
		t.Fatalf("%v (%v)", err, errors.Unwrap(err))
	}
	defer closeR() //nolint:errcheck // test clean-up
	if c := r.(*GeoPackageReader).CRS(); c != "EPSG:4490" {
		t.Fatalf("crs %s", c)
	}
	rep, err := Import(ctx, db.Pool, "parks", r, Options{City: "baotou", Mapping: Mapping{"name": "NAME", "park_class": "CLASS"}})
	if err != nil || rep.Inserted != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
}

// GCJ-02 input is converted with internal/crs: a point given in GCJ-02 is stored where
// crs.GCJ02ToWGS84 puts it (and about 500 m from where it was read).
func TestGCJ02(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"pharmacy","name":"药店"},"geometry":{"type":"Point","coordinates":[109.84,40.66]}}]}`
	if _, err := Import(ctx, db.Pool, "facilities", geojsonReader(fc), Options{City: "baotou", CRS: "GCJ-02"}); err != nil {
		t.Fatal(err)
	}
	var shift float64
	_ = db.Pool.QueryRow(ctx, "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(109.84, 40.66), 4326)::geography) FROM facilities").Scan(&shift)
	if shift < 200 || shift > 1000 {
		t.Fatalf("GCJ-02 shift %.0f m", shift)
	}
}

// A dry run validates in the database and writes nothing.
func TestDryRun(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	rep, err := Import(ctx, db.Pool, "districts", geojsonReader(brokenFC), Options{City: "baotou", DryRun: true, SkipInvalid: true})
	if err != nil || rep.Inserted != 4 || rep.Committed || len(rep.Preview) != 5 {
		t.Fatalf("%v %+v", err, rep)
	}
	if c := checksum(t, db.Pool, "districts"); c != "0:" {
		t.Fatalf("dry run wrote: %s", c)
	}
}
