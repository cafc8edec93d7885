package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer/importtest"
	"github.com/cityreach/cityreach/internal/webui"
)

// hostileCase is one hostile request against the whole server: who sends it, what, and
// which statuses are an honest answer. Every answer must also be a problem document with
// no trace of the machinery behind it, and no case may change a table.
type hostileCase struct {
	family       string
	name         string
	who          string // "" anonymous, else a token of the access fixture
	method, path string
	ctype        string
	body         []byte
	header       map[string]string
	want         []int
	// literal marks a free-text parameter (the search's q): 200 is honest too, when the
	// text was taken literally and matched nothing.
	literal bool
}

// hostileValues are query-string values a hostile client tries on every parameter: SQL
// fragments, quotes, special and huge numbers, control characters, markup, a path, an
// oversized value and text that is not UTF-8.
var hostileValues = []string{
	"'; DROP TABLE parks; --", "1 OR 1=1", `"`, `\`, "1e309", "-99999999999999999999", "NaN",
	"\x00", "<script>alert(1)</script>", "1; SELECT pg_sleep(10)", "../../../../etc/passwd",
	"%00", strings.Repeat("9", 5000), "\xff\xfe",
}

// leaks are words that only the machinery behind an answer would say: database and driver
// errors, Go panics and source paths, SQL text.
var leaks = regexp.MustCompile(`(?i)SQLSTATE|pgx|pgconn|sqlite|panic|goroutine|runtime error|\.go:\d|/root/|/usr/|syntax error at|ERROR: |SELECT .* FROM|relation "`)

// TestHostileRequests sends several hundred hostile requests to the server as `cityreach
// serve` builds it, on a seeded PostGIS: hostile values in every declared parameter of
// every route, a ';' on every route, hostile path segments, malformed and oversized
// bodies, wrong content types, bad geometries and CRS claims, zip and GeoPackage bombs
// made here, and hostile headers. Each answer must carry one of the case's statuses as an
// application/problem+json document whose status member agrees, with no stack trace,
// driver or SQL text in it; and a checksum of every table a request could change is the
// same after all of them. The role matrix over every route is TestAccessMatrix.
func TestHostileRequests(t *testing.T) {
	f := newAccessFixture(t)
	f.ownResources() // alice's job, import and scenario give the id routes something to address
	tbl, err := appTable(f.app)
	if err != nil {
		t.Fatal(err)
	}
	tbl = slices.DeleteFunc(tbl, func(rt httpapi.Route) bool { return rt.Summary == webui.BuildFileSummary })
	before := f.state()

	var cases []hostileCase
	add := func(c hostileCase) { cases = append(cases, c) }
	bad := []int{400, 404, 413, 415, 422}

	// 1. Every declared parameter of every route with every hostile value: refused (or,
	// for a free-text name, taken literally and matched by nothing).
	for _, rt := range tbl {
		if rt.Method != http.MethodGet {
			continue // a write's free-text parameter (a scenario's name) may take any text
		}
		for _, prm := range rt.Params {
			if (prm.In != "" && prm.In != "query") || rt.AnyQuery {
				continue
			}
			p := prm.Name
			for _, v := range hostileValues {
				add(hostileCase{family: "parameter", name: rt.Path + " " + p + "=" + clipName(v), method: rt.Method,
					path: f.concrete(rt.Path) + "?" + url.QueryEscape(p) + "=" + url.QueryEscape(v), want: bad,
					literal: rt.Path == "/api/v1/search" && p == "q"})
			}
		}
	}
	// 2. A ';' in the query of every route, GET and write alike: nothing may read a
	// shortened query (dry_run=true; imported for real once).
	for _, rt := range tbl {
		add(hostileCase{family: "semicolon", name: rt.Method + " " + rt.Path, who: "root", method: rt.Method,
			path: f.concrete(rt.Path) + "?dry_run=true;x=1", ctype: "application/geo+json", body: []byte(f.body(rt.Method, rt.Path)), want: []int{400}})
	}
	// 3. Hostile path segments where a route takes a name or an id.
	for _, seg := range []string{"..%2f..%2fetc%2fpasswd", "%27%3B%20DROP%20TABLE%20parks%3B--", "-1", "99999999999999999999999", "%00", "1e3", strings.Repeat("a", 300)} {
		for _, p := range []string{"/api/v1/layers/%s/features", "/api/v1/layers/parks/features/%s", "/api/v1/layers/parks/features/%s/history",
			"/ogc/collections/%s/items", "/ogc/collections/parks/items/%s", "/tiles/%s/12/3297/1549.mvt", "/tiles/parks/%s/1/1.mvt",
			"/api/v1/jobs/%s", "/api/v1/imports/%s", "/api/v1/scenarios/%s", "/api/v1/processes/%s", "/assets/%s", "/glyphs/%s/0-255.pbf"} {
			add(hostileCase{family: "path", name: fmt.Sprintf(p, clipName(seg)), who: "root", method: http.MethodGet, path: fmt.Sprintf(p, seg), want: []int{400, 404}})
		}
	}
	// 4. Bodies: malformed, oversized, untyped, mistyped, not UTF-8, nested without end.
	writes := []struct{ path, ctype string }{
		{"/api/v1/layers/parks/features?city=baotou", "application/geo+json"},
		{"/api/v1/layers/parks/import?city=baotou", "application/geo+json"},
		{"/api/v1/scenarios", "application/json"},
		{"/api/v1/calibers", "application/json"},
		{"/api/v1/processes/report/execution", "application/json"},
	}
	deep := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
	for _, w := range writes {
		for _, b := range []struct {
			name, ctype string
			body        []byte
			want        []int
		}{
			{"malformed JSON", w.ctype, []byte(`{"type":`), []int{400}},
			{"not JSON", w.ctype, []byte(`<xml/>`), []int{400, 415}},
			{"empty", w.ctype, nil, []int{400, 422}},
			{"no content type", "", []byte(`{}`), []int{415}},
			{"wrong content type", "text/plain", []byte(`{}`), []int{415}},
			{"invalid UTF-8", w.ctype, []byte("{\"name\":\"\xff\xfe\"}"), []int{400, 422}},
			{"nested without end", w.ctype, []byte(deep), []int{400, 413, 422}},
			{"array instead of object", w.ctype, []byte(`[1,2,3]`), []int{400, 422}},
			{"null", w.ctype, []byte(`null`), []int{400, 422}},
			{"oversized", w.ctype, bytes.Repeat([]byte(" "), 33<<20), []int{413}},
		} {
			add(hostileCase{family: "body", name: w.path + ": " + b.name, who: "root", method: http.MethodPost, path: w.path, ctype: b.ctype, body: b.body, want: b.want})
		}
	}
	// 5. Geometries and CRS claims a planner's tool (or an attacker) might send.
	geoms := map[string]string{
		"self-intersecting polygon": `{"type":"Polygon","coordinates":[[[109.82,40.62],[109.83,40.63],[109.83,40.62],[109.82,40.63],[109.82,40.62]]]}`,
		"unclosed ring":             `{"type":"Polygon","coordinates":[[[109.82,40.62],[109.83,40.62],[109.83,40.63]]]}`,
		"NaN coordinate":            `{"type":"Polygon","coordinates":[[[109.82,40.62],["NaN",40.62],[109.83,40.63],[109.82,40.62]]]}`,
		"huge coordinate":           `{"type":"Polygon","coordinates":[[[1e308,40.62],[109.83,40.62],[109.83,40.63],[1e308,40.62]]]}`,
		"latitude beyond 90":        `{"type":"Polygon","coordinates":[[[109.82,95],[109.83,95],[109.83,96],[109.82,95]]]}`,
		"a point for a park":        `{"type":"Point","coordinates":[109.82,40.62]}`,
		"empty polygon":             `{"type":"Polygon","coordinates":[]}`,
		"one-point ring":            `{"type":"Polygon","coordinates":[[[109.82,40.62]]]}`,
		"far from the city":         `{"type":"Polygon","coordinates":[[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]]}`,
		"string coordinates":        `{"type":"Polygon","coordinates":"109.82,40.62"}`,
		"unknown type":              `{"type":"Hexagon","coordinates":[]}`,
		"geometry collection":       `{"type":"GeometryCollection","geometries":[]}`,
	}
	for name, g := range geoms {
		body := `{"type":"Feature","geometry":` + g + `,"properties":{"name":"敌意","park_class":"community"}}`
		add(hostileCase{family: "geometry", name: name, who: "alice", method: http.MethodPost, path: "/api/v1/layers/parks/features?city=baotou",
			ctype: "application/geo+json", body: []byte(body), want: []int{400, 422}})
	}
	for _, crs := range []string{"EPSG:4546", "EPSG:3857", "EPSG:99999", "urn:ogc:def:crs:EPSG::4546", "http://www.opengis.net/def/crs/EPSG/0/4546", "'; DROP TABLE parks; --"} {
		body := `{"type":"Feature","crs":{"type":"name","properties":{"name":"` + crs + `"}},"geometry":{"type":"Polygon","coordinates":[[[109.82,40.62],[109.83,40.62],[109.83,40.63],[109.82,40.62]]]},"properties":{"name":"错误坐标系","park_class":"community"}}`
		add(hostileCase{family: "crs", name: crs, who: "alice", method: http.MethodPost, path: "/api/v1/layers/parks/features?city=baotou",
			ctype: "application/geo+json", body: []byte(body), want: []int{400, 422}})
	}
	// 6. Files: a zip bomb, a zip of too many members, a GeoPackage whose table is a view
	// without end, a trigger, a virtual table, and bytes that are neither.
	gpkg := func(extra ...string) []byte {
		b, err := os.ReadFile(importtest.GPKG(t, [][]byte{[]byte("a")}, extra...))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	many := map[string][]byte{}
	for i := range 100 {
		many[fmt.Sprintf("m%03d.txt", i)] = []byte("x")
	}
	files := []struct {
		name, ctype string
		body        []byte
		want        []int
	}{
		{"zip bomb (1 GiB of zeros)", "application/zip", importtest.ZipBomb(t, 1<<30, -1), []int{413}},
		{"zip bomb that lies about its size", "application/zip", importtest.ZipBomb(t, 64<<20, 1<<20), []int{400, 413, 422}},
		{"zip of 100 members", "application/zip", importtest.ZipOf(t, many), []int{413}},
		{"GeoPackage: recursive view", "application/geopackage+sqlite3", gpkg(`CREATE VIEW parks AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS fid, (SELECT geom FROM parks_data LIMIT 1) AS geom, randomblob(1000) AS name, 'garden' AS park_class FROM c ORDER BY 3`), []int{422}},
		{"GeoPackage: plain view", "application/geopackage+sqlite3", gpkg(`CREATE VIEW parks AS SELECT * FROM parks_data`), []int{422}},
		{"GeoPackage: trigger", "application/geopackage+sqlite3", gpkg("ALTER TABLE parks_data RENAME TO parks", "CREATE TRIGGER evil AFTER INSERT ON parks BEGIN SELECT 1; END"), []int{422}},
		{"GeoPackage: virtual table", "application/geopackage+sqlite3", gpkg(`CREATE VIRTUAL TABLE parks USING rtree(fid, minx, maxx)`), []int{422}},
		{"zip that is not one", "application/zip", []byte("PK\x03\x04 not really"), []int{400, 422}},
		{"GeoPackage that is not one", "application/geopackage+sqlite3", []byte("SQLite format 3\x00 but no"), []int{400, 422}},
	}
	for _, fl := range files {
		add(hostileCase{family: "file", name: fl.name, who: "alice", method: http.MethodPost, path: "/api/v1/layers/parks/import?city=baotou",
			ctype: fl.ctype, body: fl.body, want: fl.want})
	}
	// 7. Headers: oversized, malformed credentials, a forged request id.
	for name, h := range map[string]map[string]string{
		"a 100 kB header":           {"X-Padding": strings.Repeat("a", 100<<10)},
		"Basic credentials":         {"Authorization": "Basic cm9vdDpyb290"},
		"Bearer without a token":    {"Authorization": "Bearer "},
		"Bearer with SQL":           {"Authorization": "Bearer ' OR 1=1 --"},
		"two schemes":               {"Authorization": "Bearer a, Bearer b"},
		"a forged Origin":           {"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"},
		"an absurd Content-Length":  {"Content-Length": "-1"},
		"a forged X-Forwarded-User": {"X-Forwarded-User": "root", "X-Remote-User": "root"},
	} {
		method, want := http.MethodPost, []int{401, 415, 431, 400}
		add(hostileCase{family: "header", name: name, method: method, path: "/api/v1/layers/parks/features?city=baotou",
			ctype: "application/geo+json", body: []byte(parkFeature), header: h, want: want})
	}
	// 8. Tiles and OGC requests out of range.
	for _, p := range []string{"/tiles/parks/25/1/1.mvt", "/tiles/parks/-1/0/0.mvt", "/tiles/parks/2/4/0.mvt", "/tiles/parks/2/0/4.mvt",
		"/tiles/parks/1/1/1.png", "/tiles/parks,parks/1/1/1.mvt", "/tiles/nope/1/1/1.mvt",
		"/ogc/collections/parks/items?bbox=1,2,3", "/ogc/collections/parks/items?bbox=200,0,210,10", "/ogc/collections/parks/items?limit=-1",
		"/ogc/collections/parks/items?limit=100000000", "/ogc/collections/parks/items?filter=name%3D%27a%27%3BDROP%20TABLE%20parks",
		"/ogc/collections/parks/items?filter=1%3D1%20OR%20pg_sleep(10)%3E0", "/ogc/collections/parks/items?crs=EPSG:4326%27",
		"/ogc/collections/parks/items?filter-lang=sql", "/ogc/collections/parks/items?sortby=name;DROP",
		"/api/v1/layers/parks/features?limit=-5", "/api/v1/layers/parks/features?sortby=id%3Bdrop", "/api/v1/layers/parks/features?bbox=a,b,c,d"} {
		add(hostileCase{family: "range", name: p, method: http.MethodGet, path: p, want: []int{400, 404, 422}})
	}

	counts := map[string]int{}
	for _, c := range cases {
		counts[c.family]++
		w := f.hostile(c)
		if c.literal && w.Code == http.StatusOK {
			var res struct {
				Total *int `json:"total"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || res.Total == nil || *res.Total != 0 {
				t.Errorf("%s %s: 200 matching something: %.300s", c.family, c.name, w.Body.String())
			}
			continue
		}
		if !slices.Contains(c.want, w.Code) {
			t.Errorf("%s %s: %d, want one of %v: %.300s", c.family, c.name, w.Code, c.want, w.Body.String())
			continue
		}
		if !isProblem(w) {
			t.Errorf("%s %s: %d is not a problem document: %q %.200s", c.family, c.name, w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
		// The one media type that names the file format it is (a GeoPackage is SQLite).
		if m := leaks.FindString(strings.ReplaceAll(w.Body.String(), "geopackage+sqlite3", "")); m != "" {
			t.Errorf("%s %s: the answer leaks %q: %.300s", c.family, c.name, m, w.Body.String())
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", c.family, c.name)
		}
	}
	after := f.state()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("table %s changed under hostile requests: %s → %s", k, v, after[k])
		}
	}
	if len(cases) < 200 {
		t.Errorf("only %d hostile cases", len(cases))
	}
	t.Logf("%d hostile cases by family: %v", len(cases), counts)
}

// hostile sends c to the server with anonymous reads on.
func (f *accessFixture) hostile(c hostileCase) *httptest.ResponseRecorder {
	req := httptest.NewRequest(c.method, "/", bytes.NewReader(c.body))
	// The path goes in raw: httptest.NewRequest would refuse some of the hostile ones.
	u, err := url.Parse(c.path)
	if err != nil {
		u = &url.URL{Path: c.path}
	}
	req.URL, req.RequestURI = u, c.path
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	if c.who != "" {
		req.Header.Set("Authorization", "Bearer "+f.secrets[c.who])
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.on.ServeHTTP(w, req)
	return w
}

func clipName(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return fmt.Sprintf("%q", s)
}
