package ogcapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// gdal starts the engine on 127.0.0.1 and returns its URL and the request log.
func (e *env) gdalServer(t *testing.T) (string, func() []string) {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gdal-bin is required under CI=true")
		}
		t.Skip("gdal-bin (ogrinfo, ogr2ogr) is not installed")
	}
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI())
		mu.Unlock()
		e.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// featuresIn counts the features of a GeoJSON file written by ogr2ogr.
func featuresIn(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return int64(len(fc.Features))
}

// TestGDALReadsEveryLayer is the done-when test: GDAL's OAPIF driver lists every
// collection, and reads every feature of each by following next links with a page size
// smaller than the largest layer; the counts are the database's.
func TestGDALReadsEveryLayer(t *testing.T) {
	e := newEnv(t)
	e.seed()
	base, seen := e.gdalServer(t)

	out := run(t, "ogrinfo", "-ro", "-al", "-so", "OAPIF:"+base+"/ogc")
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^Layer name: (\S+)$`).FindAllStringSubmatch(out, -1) {
		listed = append(listed, m[1])
	}
	var want []string
	for _, l := range e.reg.All() {
		want = append(want, l.ID)
	}
	sort.Strings(listed)
	sort.Strings(want)
	if strings.Join(listed, ",") != strings.Join(want, ",") {
		t.Fatalf("ogrinfo lists %v, want %v", listed, want)
	}

	dir := t.TempDir()
	for _, l := range e.reg.All() {
		dst := filepath.Join(dir, l.ID+".geojson")
		run(t, "ogr2ogr", "-f", "GeoJSON", "-oo", "PAGE_SIZE=100", dst, "OAPIF:"+base+"/ogc", l.ID)
		got, want := featuresIn(t, dst), e.count(`SELECT count(*) FROM `+l.Table())
		if got != want {
			t.Errorf("%s: GDAL read %d features, the table has %d", l.ID, got, want)
		}
	}
	if n := e.count(`SELECT count(*) FROM residential_land`); n < 250 {
		t.Fatalf("the paging layer has only %d rows", n)
	}
	pages := 0
	for _, u := range seen() {
		if strings.HasPrefix(u, "/ogc/collections/residential_land/items?") && strings.Contains(u, "cursor=") {
			pages++
		}
	}
	if pages < 2 {
		t.Fatalf("GDAL followed %d next links on residential_land; requests: %v", pages, seen())
	}
}

// TestGDALFilter passes CQL2 filters through GDAL (in the connection string, which the
// driver sends with every request) and compares the counts with the equivalent SQL.
func TestGDALFilter(t *testing.T) {
	e := newEnv(t)
	e.seed()
	base, _ := e.gdalServer(t)
	dir := t.TempDir()
	cases := []struct{ layer, filter, sql string }{
		{"residential_land", "landuse_code = '0701' AND population BETWEEN 150 AND 300",
			`SELECT count(*) FROM residential_land WHERE landuse_code = '0701' AND population BETWEEN 150 AND 300`},
		{"residential_land", "S_INTERSECTS(geometry, POLYGON((109.8 40.6, 109.805 40.6, 109.805 40.605, 109.8 40.605, 109.8 40.6))) OR population > 350",
			`SELECT count(*) FROM residential_land WHERE ST_Intersects(geom, ST_MakeEnvelope(109.8, 40.6, 109.805, 40.605, 4326)) OR population > 350`},
		{"facilities", "category IN ('clinic', 'supermarket') AND NOT floor_area_m2 < 100",
			`SELECT count(*) FROM facilities WHERE category IN ('clinic', 'supermarket') AND NOT floor_area_m2 < 100`},
		{"parks", "name LIKE '公园1%'", `SELECT count(*) FROM parks WHERE name LIKE '公园1%'`},
	}
	for i, c := range cases {
		dst := filepath.Join(dir, c.layer+strings.Repeat("x", i)+".geojson")
		conn := "OAPIF:" + base + "/ogc/collections/" + c.layer + "?filter=" + url.QueryEscape(c.filter)
		run(t, "ogr2ogr", "-f", "GeoJSON", "-oo", "PAGE_SIZE=100", dst, conn)
		got, want := featuresIn(t, dst), e.count(c.sql)
		if got != want || want == 0 {
			t.Errorf("%s %q: GDAL read %d, SQL counts %d", c.layer, c.filter, got, want)
		}
	}
}

// TestGDALPushesAttributeFilters: the OpenAPI document lists each collection's properties
// as equality parameters of its items path, so GDAL's OAPIF driver sends an -where
// equality to the server (one filtered request, not every page read and filtered locally),
// and the count is the database's.
func TestGDALPushesAttributeFilters(t *testing.T) {
	e := newEnv(t)
	e.seed()
	base, seen := e.gdalServer(t)
	dst := filepath.Join(t.TempDir(), "pushed.geojson")
	run(t, "ogr2ogr", "-f", "GeoJSON", "-where", "landuse_code = '0701'", dst, "OAPIF:"+base+"/ogc", "residential_land")
	got, want := featuresIn(t, dst), e.count(`SELECT count(*) FROM residential_land WHERE landuse_code = '0701'`)
	if got != want || want == 0 {
		t.Errorf("GDAL read %d features, SQL counts %d", got, want)
	}
	pushed := false
	for _, u := range seen() {
		if strings.HasPrefix(u, "/ogc/collections/residential_land/items?") && strings.Contains(u, "landuse_code=0701") {
			pushed = true
		}
	}
	if !pushed {
		t.Fatalf("GDAL did not send the filter to the server; requests: %v", seen())
	}
}

// TestGDALCopiesTheLargestLayerWithDefaults: ogr2ogr with no open options (GDAL 3.6 asks
// 10 features a page and follows the next links, which carry a cursor) copies the largest
// layer whole, and the count is the database's.
func TestGDALCopiesTheLargestLayerWithDefaults(t *testing.T) {
	e := newEnv(t)
	e.seed()
	base, seen := e.gdalServer(t)
	largest, most := "", int64(-1)
	for _, l := range e.reg.All() {
		if n := e.count(`SELECT count(*) FROM ` + l.Table()); n > most {
			largest, most = l.ID, n
		}
	}
	dst := filepath.Join(t.TempDir(), "largest.geojson")
	run(t, "ogr2ogr", "-f", "GeoJSON", dst, "OAPIF:"+base+"/ogc", largest)
	if got := featuresIn(t, dst); got != most || most < 250 {
		t.Fatalf("%s: GDAL copied %d features, the table has %d", largest, got, most)
	}
	cursors := 0
	for _, u := range seen() {
		if strings.HasPrefix(u, "/ogc/collections/"+largest+"/items?") {
			if strings.Contains(u, "offset=") {
				t.Errorf("GDAL paged by offset: %s", u)
			}
			if strings.Contains(u, "cursor=") {
				cursors++
			}
		}
	}
	if cursors == 0 {
		t.Errorf("GDAL followed no cursor link; requests: %v", seen())
	}
}

// TestGDALBooleanFilter: GDAL turns "pocket = 1" into ?pocket=1, which the server takes
// as true; the counts are the database's (4 pocket parks and 8 others in the seed).
func TestGDALBooleanFilter(t *testing.T) {
	e := newEnv(t)
	e.seed()
	base, seen := e.gdalServer(t)
	for where, want := range map[string]int64{"pocket = 1": 4, "pocket = 0": 8} {
		if sql := e.count(`SELECT count(*) FROM parks WHERE pocket = $1`, strings.HasSuffix(where, "1")); sql != want {
			t.Fatalf("the seed has %d parks with %s, want %d", sql, where, want)
		}
		dst := filepath.Join(t.TempDir(), "pocket.geojson")
		run(t, "ogr2ogr", "-f", "GeoJSON", "-where", where, dst, "OAPIF:"+base+"/ogc", "parks")
		if got := featuresIn(t, dst); got != want {
			t.Errorf("-where %q: GDAL read %d parks, want %d", where, got, want)
		}
	}
	sent := false
	for _, u := range seen() {
		sent = sent || strings.Contains(u, "pocket=1")
	}
	if !sent {
		t.Errorf("GDAL did not send pocket=1; requests: %v", seen())
	}
}
