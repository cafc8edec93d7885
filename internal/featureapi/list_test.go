package featureapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// seedFacilities inserts n clinics and n pharmacies on a line of longitudes
// 109.8 + i·0.001 at latitude 40.6, with floor_area_m2 = i, through SQL (bulk load, no
// history), so the expected results follow from i alone.
func seedFacilities(t *testing.T, e *env, n int) {
	t.Helper()
	tx, err := e.db.Pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // test clean-up
	if _, err := tx.Exec(context.Background(), `SELECT set_config('cityreach.bulk_load', 'on', true)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), `
		INSERT INTO facilities (city_id, category, name, floor_area_m2, geom)
		SELECT $1, c, c || '-' || i, i, ST_SetSRID(ST_MakePoint(109.8 + i * 0.001, 40.6), 4326)
		FROM generate_series(0, $2::int - 1) i, unnest(ARRAY['clinic', 'pharmacy']) c`, e.city, n); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestListFiltersSortAndPaging(t *testing.T) {
	e := newEnv(t, true)
	seedFacilities(t, e, 50) // 100 facilities
	get := func(q string) map[string]any {
		t.Helper()
		r := e.do("GET", "/api/v1/layers/facilities/features?"+q, "", nil)
		if r.Code != 200 || r.Header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("%s: %d %s", q, r.Code, r.Body)
		}
		return r.JSON(t)
	}
	// bbox 109.8095..109.8195 holds i = 10..19: 10 clinics and 10 pharmacies.
	fc := get("bbox=109.8095,40.59,109.8195,40.61&category=clinic&sortby=-floor_area_m2&limit=4")
	if fc["numberMatched"] != json.Number("10") || fc["numberReturned"] != json.Number("4") {
		t.Fatalf("matched %v returned %v", fc["numberMatched"], fc["numberReturned"])
	}
	var names []string
	for _, f := range fc["features"].([]any) {
		names = append(names, f.(map[string]any)["properties"].(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "clinic-19,clinic-18,clinic-17,clinic-16" {
		t.Fatalf("page 1: %v", names)
	}
	// follow next links to the end: 4 + 4 + 2
	seen := len(names)
	next := linkHref(fc, "next")
	pages := 1
	for next != "" {
		r := e.do("GET", next, "", nil)
		fc = r.JSON(t)
		seen += len(fc["features"].([]any))
		next = linkHref(fc, "next")
		pages++
	}
	if seen != 10 || pages != 3 {
		t.Fatalf("paging saw %d features in %d pages, want 10 in 3", seen, pages)
	}
	// filters of each type
	for q, want := range map[string]string{
		"floor_area_m2=7":                   "2",
		"floor_area_m2=7&category=pharmacy": "1",
		"name=clinic-3":                     "1",
		"synthetic=false":                   "100",
		"city_id=" + fmt.Sprint(e.city):     "100",
		"city_id=999":                       "0",
	} {
		if got := get(q)["numberMatched"]; got != json.Number(want) {
			t.Errorf("%s: matched %v, want %s", q, got, want)
		}
	}
}

func linkHref(fc map[string]any, rel string) string {
	for _, l := range fc["links"].([]any) {
		m := l.(map[string]any)
		if m["rel"] == rel {
			return m["href"].(string)
		}
	}
	return ""
}

func TestGrowthBoundaryAtDate(t *testing.T) {
	e := newEnv(t, true)
	for _, gb := range []map[string]any{
		{"city_id": e.city, "edition": "2006-2020", "valid_from": "2006-01-01", "valid_to": "2021-07-01"},
		{"city_id": e.city, "edition": "2021-2035", "valid_from": "2021-07-01"},
	} {
		if r := e.do("POST", "/api/v1/layers/growth_boundaries/features", "alice", feature(square(109.8, 40.6, 0.1), gb)); r.Code != 201 {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
	}
	for at, want := range map[string]string{"2005-12-31": "", "2006-01-01": "2006-2020", "2021-06-30": "2006-2020", "2021-07-01": "2021-2035", "2040-01-01": "2021-2035"} {
		r := e.do("GET", "/api/v1/layers/growth_boundaries/features?at="+at, "", nil)
		fs := r.JSON(t)["features"].([]any)
		got := ""
		if len(fs) == 1 {
			got = fs[0].(map[string]any)["properties"].(map[string]any)["edition"].(string)
		} else if len(fs) > 1 {
			got = fmt.Sprint(len(fs), " editions")
		}
		if got != want {
			t.Errorf("at=%s: %q, want %q", at, got, want)
		}
	}
	if r := e.do("GET", "/api/v1/layers/parks/features?at=2021-01-01", "", nil); r.Code != 400 {
		t.Errorf("at on a layer without editions: %d", r.Code)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, false)
	body := feature(square(109.811, 40.611, 0.002), parkProps(e))
	sum := e.checksum()
	cases := []struct {
		method, path, who string
		header            []string
		code              int
	}{
		{"GET", "/api/v1/layers", "", nil, 401},
		{"GET", "/api/v1/layers/parks/features", "", nil, 401},
		{"GET", "/api/v1/layers/parks/features", "vera", nil, 200},
		{"POST", "/api/v1/layers/parks/features", "", nil, 401},
		{"POST", "/api/v1/layers/parks/features", "vera", nil, 403},
		{"GET", "/api/v1/layers/parks/features", "", []string{"Authorization", "Bearer crk_forged"}, 401},
		{"GET", "/api/v1/layers/parks/features", "", []string{"Authorization", "Basic YWxpY2U6eA=="}, 401},
		{"GET", "/api/openapi.json", "", nil, 200},
		{"GET", "/api/docs", "", nil, 200},
	}
	for _, c := range cases {
		var b any
		if c.method == "POST" {
			b = body
		}
		r := e.do(c.method, c.path, c.who, b, c.header...)
		if r.Code != c.code {
			t.Errorf("%s %s as %q: %d, want %d: %s", c.method, c.path, c.who, r.Code, c.code, r.Body)
		}
		if c.code >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: content type %q", c.method, c.path, r.Header.Get("Content-Type"))
		}
		if c.code == 401 && r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
	}
	if e.checksum() != sum {
		t.Fatal("refused writes changed the database")
	}
	// admin may write too; a revoked token is refused at once
	if r := e.do("POST", "/api/v1/layers/parks/features", "root", body); r.Code != 201 {
		t.Fatalf("admin write: %d %s", r.Code, r.Body)
	}
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE api_tokens SET revoked_at = now() WHERE name = 'vera'`); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/api/v1/layers", "vera", nil); r.Code != 401 {
		t.Fatalf("revoked token: %d", r.Code)
	}
}

func TestOpenAPIDescribesEveryLayerAndEndpoint(t *testing.T) {
	e := newEnv(t, true)
	r := e.do("GET", "/api/openapi.json", "", nil)
	doc := r.JSON(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	base := "/api/v1/layers/{layer}/features"
	for p, methods := range map[string][]string{
		base: {"get", "post"}, base + "/{id}": {"get", "put", "patch", "delete"},
		base + "/{id}/history": {"get"}, base + "/{id}/history/{version}": {"get"},
		"/api/v1/layers/{layer}/import": {"post"}, "/api/v1/imports/{id}": {"get", "delete"},
	} {
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Errorf("no path %s", p)
			continue
		}
		for _, m := range methods {
			if item[m] == nil {
				t.Errorf("%s has no %s", p, m)
			}
		}
	}
	// The layer parameter lists exactly the registry's layers, and every layer has its
	// schemas with every attribute.
	var layerEnum []any
	for _, prm := range paths[base].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
		if pm := prm.(map[string]any); pm["name"] == "layer" {
			layerEnum = pm["schema"].(map[string]any)["enum"].([]any)
		}
	}
	if len(layerEnum) != len(e.reg.All()) {
		t.Errorf("layer enum %v, want the %d registry layers", layerEnum, len(e.reg.All()))
	}
	for _, l := range e.reg.All() {
		for _, kind := range []string{"Feature", "NewFeature", "Patch", "FeatureCollection", "WriteProperties"} {
			if schemas[l.ID+kind] == nil {
				t.Errorf("no schema %s%s", l.ID, kind)
			}
		}
		ps := schemas[l.ID+"Properties"].(map[string]any)["properties"].(map[string]any)
		for _, a := range l.Attributes {
			if a.Name != "id" && ps[a.Name] == nil {
				t.Errorf("schema of %s lacks %s", l.ID, a.Name)
			}
		}
	}
	// The docs page is self-contained: no external scripts, styles or images.
	html := string(e.do("GET", "/api/docs", "", nil).Body)
	for _, bad := range []string{"<script", "<link", "<img", "src=", "url(", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("docs page contains %q", bad)
		}
	}
	if !strings.Contains(html, "growth_boundaries") || !strings.Contains(html, "If-Match") {
		t.Error("docs page lacks layers or concurrency notes")
	}
}
