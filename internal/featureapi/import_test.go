package featureapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
)

// newImportEnv is newEnv with an API whose background imports are stopped when the test
// ends (before its database is dropped); tune adjusts the API before it is mounted.
func newImportEnv(t *testing.T, anonymousRead bool, tune func(*featureapi.API)) *env {
	t.Helper()
	e := newEnv(t, anonymousRead)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api, err := featureapi.New(context.Background(), e.db.Pool, e.reg, testMaxBody, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	if tune != nil {
		tune(api)
	}
	e.h = httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: e.policy(anonymousRead)}, api))
	return e
}

// threeParks is a FeatureCollection of three valid parks inside Baotou; with broken set,
// the middle one is a self-intersecting bow-tie.
func threeParks(broken bool) map[string]any {
	mid := feature(square(109.861, 40.641, 0.002), props(map[string]any{"name": "赛罕塔拉", "park_class": "comprehensive"}))
	if broken {
		mid = feature(polygon([2]float64{109.861, 40.641}, [2]float64{109.863, 40.643}, [2]float64{109.863, 40.641}, [2]float64{109.861, 40.643}, [2]float64{109.861, 40.641}),
			props(map[string]any{"name": "蝴蝶结", "park_class": "garden"}))
	}
	mid["id"] = "park-b"
	first := feature(square(109.851, 40.631, 0.001), props(map[string]any{"name": "劳动公园", "park_class": "community"}))
	first["id"] = "park-a"
	last := feature(square(109.871, 40.651, 0.0005), props(map[string]any{"name": "口袋公园", "park_class": "garden", "pocket": true}))
	last["id"] = "park-c"
	return map[string]any{"type": "FeatureCollection", "features": []any{first, mid, last}}
}

// importedMatchSource checks that the parks imported from source (a FeatureCollection as
// JSON) are exactly its features: the same names, and areas equal to those PostGIS
// computes from the source geometries in the city's metric CRS. It returns the imported
// rows' ids.
func importedMatchSource(t *testing.T, e *env, source []byte, dataSource string, tolerance float64) []int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := e.db.Pool.Query(ctx, `
		WITH src AS (
			SELECT coalesce(f->'properties'->>'name', f->'properties'->>'NAME') AS name,
			       ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326) AS g
			FROM jsonb_array_elements($1::jsonb->'features') f)
		SELECT p.id, s.name, p.name, ST_Area(ST_Transform(s.g, c.metric_srid)), p.area_m2
		FROM src s
		FULL JOIN (SELECT * FROM parks WHERE data_source = $2) p ON p.name = s.name
		LEFT JOIN cities c ON c.id = p.city_id
		ORDER BY 2`, source, dataSource)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	n := 0
	for rows.Next() {
		var id *int64
		var srcName, name *string
		var want, got *float64
		if err := rows.Scan(&id, &srcName, &name, &want, &got); err != nil {
			t.Fatal(err)
		}
		n++
		if id == nil || srcName == nil || want == nil || got == nil {
			t.Errorf("source %v and imported %v do not pair up", srcName, name)
			continue
		}
		ids = append(ids, *id)
		if math.Abs(*got-*want) > tolerance**want {
			t.Errorf("%s: area %.3f m², PostGIS on the source says %.3f m²", *name, *got, *want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no rows")
	}
	return ids
}

func encodeJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportGeoJSONWritesEveryFeatureWithItsActor(t *testing.T) {
	e := newImportEnv(t, false, nil)
	body := encodeJSON(t, threeParks(false))
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "alice", body)
	if r.Code != 201 {
		t.Fatalf("%d: %s", r.Code, r.Body)
	}
	rep := r.JSON(t)
	if rep["inserted"] != json.Number("3") || rep["committed"] != true || rep["read"] != json.Number("3") {
		t.Fatalf("report %s", r.Body)
	}
	ids := importedMatchSource(t, e, body, "import:api", 1e-9)
	if len(ids) != 3 {
		t.Fatalf("%d parks imported, want 3", len(ids))
	}
	// A worked check of scale: the 0.001° square at 40.63°N is 111.03 km·0.001 by
	// 84.49 km·0.001 ≈ 9 381 m² (Gauss–Krüger scale error here is under 0.03 %).
	var a float64
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT area_m2 FROM parks WHERE name = '劳动公园' AND data_source = 'import:api'").Scan(&a); err != nil {
		t.Fatal(err)
	}
	if math.Abs(a-9381) > 9381*0.005 {
		t.Errorf("劳动公园 area %.1f m², want ≈ 9381", a)
	}
	var actors []string
	rows, err := e.db.Pool.Query(context.Background(),
		"SELECT actor FROM feature_history WHERE layer = 'parks' AND op = 'insert' AND feature_id = ANY($1) ORDER BY feature_id", ids)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		actors = append(actors, s)
	}
	if strings.Join(actors, ",") != "alice,alice,alice" {
		t.Errorf("history actors %v, want the token's name three times", actors)
	}
}

func TestImportRefusesABrokenFeatureAndWritesNothing(t *testing.T) {
	e := newImportEnv(t, false, nil)
	before := e.checksum()
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "alice", threeParks(true))
	if r.Code != 422 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s: %s", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
	p := r.JSON(t)
	rej, _ := p["rejected"].([]any)
	if len(rej) != 1 {
		t.Fatalf("rejected %v", p["rejected"])
	}
	one := rej[0].(map[string]any)
	if one["index"] != json.Number("1") || one["id"] != "park-b" || !strings.Contains(one["reason"].(string), "Self-intersection") {
		t.Errorf("rejection %v, want index 1, id park-b, a self-intersection", one)
	}
	if after := e.checksum(); after != before {
		t.Errorf("a refused import changed the database:\n%s\n%s", before, after)
	}
	// With skip_invalid the two valid parks are written and the broken one is still named.
	r = e.do("POST", "/api/v1/layers/parks/import?city=baotou&skip_invalid=true", "alice", threeParks(true))
	if r.Code != 201 {
		t.Fatalf("skip_invalid: %d %s", r.Code, r.Body)
	}
	rep := r.JSON(t)
	if rep["inserted"] != json.Number("2") || len(rep["rejected"].([]any)) != 1 {
		t.Errorf("skip_invalid report %s", r.Body)
	}
}

func TestImportNeedsAnEditor(t *testing.T) {
	e := newImportEnv(t, true, nil)
	before := e.checksum()
	body := threeParks(false)
	if r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "vera", body); r.Code != 403 {
		t.Errorf("viewer: %d %s", r.Code, r.Body)
	}
	// Anonymous reads are on, but an import is a write.
	if r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "", body); r.Code != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", "/api/v1/imports/0123456789abcdef", "", nil); r.Code != 401 {
		t.Errorf("anonymous status poll: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/imports/0123456789abcdef", "vera", nil); r.Code != 403 {
		t.Errorf("viewer status poll: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/imports/0123456789abcdef", "alice", nil); r.Code != 404 {
		t.Errorf("unknown import: %d", r.Code)
	}
	if after := e.checksum(); after != before {
		t.Errorf("refused requests changed the database")
	}
}

func TestImportDryRunWritesNothing(t *testing.T) {
	e := newImportEnv(t, false, nil)
	before := e.checksum()
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou&dry_run=true", "alice", threeParks(false))
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	rep := r.JSON(t)
	if rep["dry_run"] != true || rep["committed"] != false || rep["read"] != json.Number("3") || len(rep["preview"].([]any)) != 3 {
		t.Errorf("dry-run report %s", r.Body)
	}
	if after := e.checksum(); after != before {
		t.Errorf("a dry run changed the database:\n%s\n%s", before, after)
	}
}

// pollImport polls loc as alice until the job has ended and returns its last status.
func pollImport(t *testing.T, e *env, loc string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e.do("GET", loc, "alice", nil)
		if r.Code != 200 {
			t.Fatalf("poll %s: %d %s", loc, r.Code, r.Body)
		}
		st := r.JSON(t)
		if st["state"] != "running" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still running: %s", r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameReport compares the parts of two import reports that do not depend on timing or
// on whether it was a dry run.
func sameReport(t *testing.T, got, want map[string]any) {
	t.Helper()
	for _, k := range []string{"layer", "city", "format", "crs", "read", "inserted", "updated", "rejected", "mapping", "ignored_fields", "data_source"} {
		g, _ := json.Marshal(got[k])
		w, _ := json.Marshal(want[k])
		if string(g) != string(w) {
			t.Errorf("report %s: %s, want %s", k, g, w)
		}
	}
}

func TestImportAsyncReachesTheSameReport(t *testing.T) {
	e := newImportEnv(t, false, nil)
	body := threeParks(false)
	dry := e.do("POST", "/api/v1/layers/parks/import?city=baotou&dry_run=true", "alice", body)
	if dry.Code != 200 {
		t.Fatalf("dry run %d %s", dry.Code, dry.Body)
	}
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou&async=true", "alice", body)
	loc := r.Header.Get("Location")
	if r.Code != 202 || !strings.HasPrefix(loc, "/api/v1/imports/") {
		t.Fatalf("%d Location %q: %s", r.Code, loc, r.Body)
	}
	st := pollImport(t, e, loc)
	if st["state"] != "succeeded" || st["read"] != json.Number("3") {
		t.Fatalf("final status %v", st)
	}
	rep := st["report"].(map[string]any)
	if rep["committed"] != true {
		t.Errorf("not committed: %v", rep)
	}
	sameReport(t, rep, dry.JSON(t))
	if ids := importedMatchSource(t, e, encodeJSON(t, body), "import:api", 1e-9); len(ids) != 3 {
		t.Errorf("%d parks after the background import", len(ids))
	}

	// A refused background import ends failed, with the rejected feature in its report.
	before := e.checksum()
	r = e.do("POST", "/api/v1/layers/parks/import?city=baotou&async=true", "alice", threeParks(true))
	if r.Code != 202 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	st = pollImport(t, e, r.Header.Get("Location"))
	rej := st["report"].(map[string]any)["rejected"].([]any)
	if st["state"] != "failed" || len(rej) != 1 || rej[0].(map[string]any)["id"] != "park-b" {
		t.Errorf("refused job: %v", st)
	}
	if e.checksum() != before {
		t.Error("a refused background import changed the database")
	}
}

func TestImportLargeBodyRunsInTheBackground(t *testing.T) {
	spool := t.TempDir()
	e := newImportEnv(t, false, func(a *featureapi.API) { a.Imports.SyncMaxBytes, a.Imports.Spool = 100, &importer.Spool{Dir: spool} })
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "alice", threeParks(false))
	if r.Code != 202 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	if st := pollImport(t, e, r.Header.Get("Location")); st["state"] != "succeeded" {
		t.Fatalf("final status %v", st)
	}
	// The spooled upload is removed once the job ends.
	if left, err := os.ReadDir(spool); err != nil || len(left) != 0 {
		t.Errorf("spool directory after the job: %v %v", left, err)
	}
}

func TestImportZippedShapefile(t *testing.T) {
	e := newImportEnv(t, false, nil)
	zip, err := os.ReadFile("../importer/testdata/parks_gk_gbk_cpg.zip")
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("../importer/testdata/parks_gk_source.geojson")
	if err != nil {
		t.Fatal(err)
	}
	// Without a mapping for park_class the importer refuses before reading: a 400.
	before := e.checksum()
	if r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "alice", zip, "Content-Type", "application/zip"); r.Code != 400 || !strings.Contains(string(r.Body), "park_class") {
		t.Errorf("unmapped required attribute: %d %s", r.Code, r.Body)
	}
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou&map=park_class=CLASS&source=import:parks.zip", "alice", zip, "Content-Type", "application/zip")
	if r.Code != 201 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	rep := r.JSON(t)
	if rep["format"] != "shapefile" || rep["inserted"] != json.Number("2") {
		t.Errorf("report %s", r.Body)
	}
	if crs, _ := json.Marshal(rep["crs"]); string(crs) != `["EPSG:4546"]` {
		t.Errorf("crs %s, want the .prj's CGCS2000 GK zone", crs)
	}
	// GBK names decoded; areas after GK → WGS 84 → GK within 0.01 % of the source's.
	if ids := importedMatchSource(t, e, source, "import:parks.zip", 1e-4); len(ids) != 2 {
		t.Errorf("%d parks from the shapefile", len(ids))
	}
	if e.checksum() == before {
		t.Error("nothing written")
	}
}

func TestImportRefusesBadRequests(t *testing.T) {
	e := newImportEnv(t, false, nil)
	before := e.checksum()
	good := threeParks(false)
	for _, c := range []struct {
		name, path string
		body       any
		ctype      string
		code       int
		want       string
	}{
		{"no city", "/api/v1/layers/parks/import", good, "", 400, "city"},
		{"unknown city", "/api/v1/layers/parks/import?city=atlantis", good, "", 400, "atlantis"},
		{"misspelt parameter", "/api/v1/layers/parks/import?city=baotou&dryrun=true", good, "", 400, "dryrun"},
		{"bad boolean", "/api/v1/layers/parks/import?city=baotou&dry_run=yes", good, "", 400, "dry_run"},
		{"bad crs", "/api/v1/layers/parks/import?city=baotou&crs=EPSG:9999", good, "", 400, "crs"},
		{"bad map", "/api/v1/layers/parks/import?city=baotou&map=name", good, "", 400, "map"},
		{"unknown map attribute", "/api/v1/layers/parks/import?city=baotou&map=colour=NAME", good, "", 400, "colour"},
		{"unknown upsert key", "/api/v1/layers/parks/import?city=baotou&upsert=colour", good, "", 400, "upsert"},
		{"unknown layer", "/api/v1/layers/nope/import?city=baotou", good, "", 404, "nope"},
		{"media type", "/api/v1/layers/parks/import?city=baotou", "a,b\n1,2\n", "text/csv", 415, "geo+json"},
		{"malformed GeoJSON", "/api/v1/layers/parks/import?city=baotou", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}},{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}`, "", 400, "malformed"},
		{"not a zip", "/api/v1/layers/parks/import?city=baotou", "PK no zip", "application/zip", 400, "not a zip archive"},
		{"not a geopackage", "/api/v1/layers/parks/import?city=baotou", "SQLite format 3\x00 truncated", "application/geopackage+sqlite3", 400, "not a readable GeoPackage"},
		{"too large", "/api/v1/layers/parks/import?city=baotou", `{"type":"FeatureCollection","features":[]}` + strings.Repeat(" ", testMaxBody), "", 413, "limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ctype != "" {
				hdr = []string{"Content-Type", c.ctype}
			}
			r := e.do("POST", c.path, "alice", c.body, hdr...)
			if r.Code != c.code || r.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("%d %s: %s", r.Code, r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
	if after := e.checksum(); after != before {
		t.Errorf("refused imports changed the database")
	}
}

func TestImportUpsertUpdatesInsteadOfDuplicating(t *testing.T) {
	e := newImportEnv(t, false, nil)
	body := threeParks(false)
	if r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "alice", body); r.Code != 201 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	body["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)["park_class"] = "comprehensive"
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou&upsert=name", "bob", body)
	if r.Code != 201 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	rep := r.JSON(t)
	if rep["inserted"] != json.Number("0") || rep["updated"] != json.Number("1") || rep["unchanged"] != json.Number("2") {
		t.Errorf("upsert report %s", r.Body)
	}
	var names []string
	rows, _ := e.db.Pool.Query(context.Background(), "SELECT name || ':' || park_class || ':' || updated_by FROM parks WHERE data_source = 'import:api'")
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		names = append(names, s)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "劳动公园:comprehensive:bob 口袋公园:garden:alice 赛罕塔拉:comprehensive:alice" {
		t.Errorf("rows after upsert: %v", names)
	}
}
