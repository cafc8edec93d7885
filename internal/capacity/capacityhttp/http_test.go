package capacityhttp

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

func TestCapacityRoutes(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ws := walk.NewService(db.Pool, log)
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20,
		Policy: httpapi.Policy{AnonymousRead: true, Tokens: auth.Static{"crk_ed": {Name: "ed", Role: auth.Editor}}}},
		Handler{Svc: &capacity.Service{Walk: ws, Store: capacity.Store{Pool: db.Pool}}, Log: log}))
	do := func(method, target, body, token string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "text/csv")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		return w.Code, m
	}
	one := func(sql string, args ...any) float64 {
		t.Helper()
		var v float64
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var code1, code2 string
	if err := db.Pool.QueryRow(ctx, `SELECT min(code), max(code) FROM communities`).Scan(&code1, &code2); err != nil {
		t.Fatal(err)
	}

	// All or nothing: row 3 names no community, so row 2 is not written either.
	before := one(`SELECT sum(population) FROM community_age_population`)
	st, m := do(http.MethodPost, "/api/v1/age-population?city=baotou", "community_code,6-12\n"+code1+",1\n999999999999,2\n", "crk_ed")
	if st != http.StatusUnprocessableEntity || m["row"] != 3.0 || !strings.Contains(m["detail"].(string), "999999999999") {
		t.Fatalf("unknown community: %d %v", st, m)
	}
	if after := one(`SELECT sum(population) FROM community_age_population`); after != before {
		t.Fatalf("a refused import changed the counts: %v → %v", before, after)
	}
	if st, _ := do(http.MethodPost, "/api/v1/age-population?city=baotou", "community_code,6-12\n"+code1+",1\n", ""); st != http.StatusUnauthorized && st != http.StatusForbidden {
		t.Errorf("anonymous import: %d", st)
	}
	st, m = do(http.MethodPost, "/api/v1/age-population?city=baotou", "community_code,6-12,80-\n"+code1+",123,7\n"+code2+",0,0\n", "crk_ed")
	if st != http.StatusOK || m["communities"] != 2.0 || m["residents"] != 130.0 {
		t.Fatalf("import: %d %v", st, m)
	}
	if n := one(`SELECT a.population FROM community_age_population a JOIN communities c ON c.id = a.community_id WHERE c.code = $1 AND a.band = '6-12'`, code1); n != 123 {
		t.Errorf("stored 6-12 count %v, want 123", n)
	}

	// The indicator: per community, the demand adds up to the children 6–12 of the
	// communities that have residential parcels (SQL), and the areas add up to the totals.
	st, m = do(http.MethodGet, "/api/v1/indicators/capacity?city=baotou&category=primary_school", "", "")
	if st != http.StatusOK {
		t.Fatalf("capacity: %d %v", st, m)
	}
	want := one(`SELECT sum(a.population) FROM community_age_population a JOIN communities c ON c.id = a.community_id
		WHERE a.band = '6-12' AND EXISTS (SELECT 1 FROM residential_land r WHERE r.population > 0 AND ST_Contains(c.geom_m, ST_PointOnSurface(r.geom_m)))`)
	totals := m["totals"].(map[string]any)
	if d := totals["demand"].(float64); math.Abs(d-want) > 1e-6 {
		t.Errorf("demand %v, SQL %v", d, want)
	}
	var sum float64
	for _, a := range m["areas"].([]any) {
		sum += a.(map[string]any)["gap"].(float64)
	}
	if math.Abs(sum-totals["gap"].(float64)) > 1e-6 {
		t.Errorf("community gaps add up to %v, city gap %v", sum, totals["gap"])
	}
	seats := one(`SELECT sum(capacity) FROM facilities WHERE category = 'primary_school'`)
	if c := m["capacity"].(float64); c != seats {
		t.Errorf("capacity %v, SQL %v", c, seats)
	}

	// Parks: the supply is the area of the open and shared parks (PostGIS ST_Area of the
	// metric geometry), all of it reached by someone here, so shared out exactly; the
	// gap is against 8 m² per resident; a profile shortens d0 by its speed.
	st, m = do(http.MethodGet, "/api/v1/indicators/capacity?city=baotou&category=park_square&profile=elderly", "", "")
	if st != http.StatusOK {
		t.Fatalf("park capacity: %d %v", st, m)
	}
	area := one(`SELECT sum(ST_Area(geom_m)) FROM parks WHERE open_status IN ('open', 'shared')`)
	totals = m["totals"].(map[string]any)
	if c := m["capacity"].(float64); math.Abs(c-area) > 1e-6*area {
		t.Errorf("park capacity %v m², SQL %v", c, area)
	}
	if s, idle := totals["served"].(float64), m["idle_capacity"].(float64); math.Abs(s+idle-area) > 1e-6*area {
		t.Errorf("served %v + idle %v, park area %v", s, idle, area)
	}
	if d0 := m["d0_m"].(float64); math.Abs(d0-300*3.6/4) > 1e-9 {
		t.Errorf("elderly d0 %v, want 300 × 3.6/4", d0)
	}
	if g := totals["gap"].(float64); math.Abs(g-(8*totals["demand"].(float64)-totals["served"].(float64))) > 1e-6 {
		t.Errorf("park gap %v, want 8 × demand − served", g)
	}
	// Park capacity on a scenario without changes is the baseline's (the scenario oracle of
	// internal/cli checks one that adds and deletes parks).
	svc := &capacity.Service{Walk: ws, Store: capacity.Store{Pool: db.Pool}}
	empty, err := svc.Capacity(ctx, "baotou", capacity.Options{Category: "park_square", Profile: "elderly", Changes: &capacity.Changes{}})
	if err != nil || math.Abs(empty.Capacity-m["capacity"].(float64)) > 1e-6 || math.Abs(empty.Totals.Gap-totals["gap"].(float64)) > 1e-6 {
		t.Errorf("park capacity on an empty scenario: %v, %+v; want the baseline's %v, gap %v", err, empty, m["capacity"], totals["gap"])
	}
	mapEqualsAPI(t, do, "category=primary_school&band=6-12&level=parcel")
	mapEqualsAPI(t, do, "category=park_square&level=parcel&decay=gaussian")
	mapEqualsAPI(t, do, "category=kindergarten&profile=slow&level=community")
	mapEqualsAPI(t, do, "category=elderly_care&level=subdistrict")

	for _, c := range []struct {
		q      string
		status int
		param  string
	}{
		{"category=primary_school&decay=cubic", 400, "decay"},
		{"category=primary_school&band=5-9", 400, "band"},
		{"category=primary_school&d0=-3", 400, "d0"},
		{"category=primary_school&level=street", 400, "level"},
		{"category=primary_school&profile=jogger", 400, "profile"},
		{"category=nope", 404, "category"},
		{"", 400, "category"},
	} {
		st, m := do(http.MethodGet, "/api/v1/indicators/capacity?city=baotou&"+c.q, "", "")
		if st != c.status || m["parameter"] != c.param {
			t.Errorf("%s: %d %v, want %d naming %s", c.q, st, m, c.status, c.param)
		}
	}
	for _, q := range []string{"category=primary_school&level=city", "category=primary_school&level=street"} {
		if st, m := do(http.MethodGet, "/api/v1/indicators/capacity/map.geojson?city=baotou&"+q, "", ""); st != 400 || m["parameter"] != "level" {
			t.Errorf("map %s: %d %v, want 400 naming level", q, st, m)
		}
	}
	if st, m := do(http.MethodGet, "/api/v1/age-bands", "", ""); st != 200 || len(m["bands"].([]any)) != 7 {
		t.Errorf("age bands: %d %v", st, m)
	}
}

// mapEqualsAPI checks that the map layer of query q carries, for every parcel or area the
// capacity API lists, the API's demand, ratio, served and gap, and nothing else.
func mapEqualsAPI(t *testing.T, do func(method, target, body, token string) (int, map[string]any), q string) {
	t.Helper()
	st, api := do(http.MethodGet, "/api/v1/indicators/capacity?city=baotou&"+q, "", "")
	if st != http.StatusOK {
		t.Fatalf("%s: %d %v", q, st, api)
	}
	st, fc := do(http.MethodGet, "/api/v1/indicators/capacity/map.geojson?city=baotou&"+q, "", "")
	if st != http.StatusOK {
		t.Fatalf("map %s: %d %v", q, st, fc)
	}
	rows, ratio := api["areas"].([]any), "ratio"
	if api["level"] == "parcel" {
		rows, ratio = api["parcels"].([]any), "access"
	}
	want := map[float64]map[string]any{}
	for _, r := range rows {
		r := r.(map[string]any)
		if r["id"].(float64) != 0 {
			want[r["id"].(float64)] = r
		}
	}
	feats := fc["features"].([]any)
	if len(feats) != len(want) || len(want) == 0 {
		t.Fatalf("map %s: %d features, the API %d", q, len(feats), len(want))
	}
	for _, f := range feats {
		p := f.(map[string]any)["properties"].(map[string]any)
		w := want[p["id"].(float64)]
		if w == nil {
			t.Fatalf("map %s: feature %v not in the API", q, p["id"])
		}
		for k, wk := range map[string]string{"demand": "demand", "ratio": ratio, "served": "served", "gap": "gap"} {
			if p[k] != w[wk] {
				t.Errorf("map %s: parcel/area %v %s %v, API %v", q, p["id"], k, p[k], w[wk])
			}
		}
		if f.(map[string]any)["geometry"] == nil {
			t.Errorf("map %s: feature %v without geometry", q, p["id"])
		}
	}
}
