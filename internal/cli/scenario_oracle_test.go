package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/migrations"
)

// TestScenarioDoorsEqualAppliedSQL: every door that takes scenario= (HTTP) or --scenario
// (CLI) answers on baseline + changes exactly what the same door answers, without a
// scenario, on a database where the changes were applied with plain SQL (INSERT with the
// id -n overlays give the feature added by change n, DELETE), by a freshly built server:
// the independent oracle, which shares no code with the scenario overlay or promotion.
//
// The scenario on the demo city (scale 0.05): a garden on the parcel farthest from any
// park, the first park deleted, a new development on a green corridor (encroachment), a
// clinic outside the growth boundary, the last corridor deleted and a proposed 2040
// growth-boundary edition, a primary school with 300 places, a road closed. Doors: park coverage (indicator at every level, gaps, sites),
// every check (corridors, control lines, growth-boundary diff to the proposed edition,
// outside the boundary, complete communities; JSON and GeoJSON), the capacity indicator
// and its map layer, an isochrone on the closed road, the living circle, and the CLI's
// `indicator park-coverage|capacity --scenario` and `check … --scenario`.
func TestScenarioDoorsEqualAppliedSQL(t *testing.T) {
	db, ctx := demoCity(t)
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	secret := editorSecret(t, db, "alice")
	server := func() http.Handler {
		cfg := config.Defaults()
		cfg.AnonymousRead = true
		log := slog.New(slog.DiscardHandler)
		app, err := buildApp(ctx, &cfg, db.Pool, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(app.Close)
		m, err := migrate.New(db.Pool, migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		h, err := engine(&cfg, db.Pool, m, app, log) //nolint:contextcheck // the engine's middleware takes each request's context
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	do := func(h http.Handler, method, path string, body any) (int, []byte) {
		t.Helper()
		var rd bytes.Buffer
		if body != nil {
			_ = json.NewEncoder(&rd).Encode(body)
		}
		req := httptest.NewRequest(method, path, &rd)
		req.Header.Set("Content-Type", "application/json")
		if method != http.MethodGet {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.Bytes()
	}
	str := func(sql string, args ...any) string {
		t.Helper()
		var s string
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}

	// The fixture's geometry, from the seeded tables.
	city := str(`SELECT id::text FROM cities WHERE slug = 'baotou'`)
	farthest := str(`SELECT r.id::text FROM residential_land r ORDER BY (SELECT min(ST_Distance(r.geom_m, p.geom_m)) FROM parks p) DESC, r.id LIMIT 1`)
	garden := str(`SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 30)::geometry, 9) FROM residential_land WHERE id = $1::bigint`, farthest)
	firstPark := str(`SELECT min(id)::text FROM parks`)
	onCorridor := str(`SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 40)::geometry, 9) FROM eco_corridors ORDER BY id LIMIT 1`)
	outside := str(`SELECT ST_AsGeoJSON(ST_SetSRID(ST_MakePoint(ST_XMax(e) + 0.005, (ST_YMin(e) + ST_YMax(e)) / 2), 4326), 9)
		FROM (SELECT ST_Extent(geom)::geometry e FROM growth_boundaries) x`)
	lastCorridor := str(`SELECT max(id)::text FROM eco_corridors`)
	if str(`SELECT count(*)::text FROM eco_corridors`) == "1" {
		t.Fatal("the demo city has one corridor; the test deletes one and encroaches on another")
	}
	edition := str(`SELECT edition FROM growth_boundaries ORDER BY valid_from DESC, id LIMIT 1`)
	proposal := str(`SELECT ST_AsGeoJSON(ST_Buffer(geom::geography, 300)::geometry, 9) FROM growth_boundaries WHERE edition = $1`, edition)
	school := str(`SELECT ST_AsGeoJSON(ST_PointOnSurface(geom), 9) FROM communities ORDER BY id LIMIT 1`)
	road := str(`SELECT id::text FROM network_edges WHERE walkable AND length_m > 60 ORDER BY id LIMIT 1`)
	origin := str(`SELECT format('lon=%s&lat=%s', ST_X(p), ST_Y(p)) FROM (SELECT ST_Transform(ST_LineInterpolatePoint(geom_m, 0.5), 4326) p
		FROM network_edges WHERE id = $1::bigint) x`, road)
	var roadID int64
	fmt.Sscan(road, &roadID) //nolint:errcheck // an id the test's own query returned
	feature := func(geometry string, props map[string]any) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(geometry), "properties": props})
		return b
	}
	var lastID int64
	fmt.Sscan(lastCorridor, &lastID) //nolint:errcheck // an id the test's own query returned
	var parkID int64
	fmt.Sscan(firstPark, &parkID) //nolint:errcheck // an id the test's own query returned
	changes := []map[string]any{
		{"layer": "parks", "op": "add", "feature": feature(garden, map[string]any{"name": "口袋公园", "park_class": "garden", "open_status": "open"})},
		{"layer": "parks", "op": "delete", "target_id": parkID},
		{"layer": "residential_land", "op": "add", "feature": feature(onCorridor, map[string]any{"population": 500, "households": 200})},
		{"layer": "facilities", "op": "add", "feature": feature(outside, map[string]any{"category": "clinic", "name": "界外卫生站"})},
		{"layer": "eco_corridors", "op": "delete", "target_id": lastID},
		{"layer": "growth_boundaries", "op": "add", "feature": feature(proposal, map[string]any{"edition": "2040 方案", "valid_from": "2040-01-01"})},
		{"layer": "facilities", "op": "add", "feature": feature(school, map[string]any{"category": "primary_school", "name": "新小学", "capacity": 300})},
		{"layer": "network_edges", "op": "modify", "target_id": roadID, "feature": json.RawMessage(`{"type":"Feature","geometry":null,"properties":{"walkable":false}}`)},
	}

	h := server()
	const cq = "city=baotou&caliber=tdt1063-walk5&method=buffer"
	doors := []string{
		"/api/v1/indicators/park-coverage?" + cq + "&level=city",
		"/api/v1/indicators/park-coverage?" + cq + "&level=community",
		"/api/v1/indicators/park-coverage?city=baotou&caliber=gb55014-2021&method=buffer&level=city", // per capita, GB 55014's verdict
		"/api/v1/indicators/park-coverage/gaps?" + cq,
		"/api/v1/indicators/park-coverage/sites?" + cq + "&n=3",
		"/api/v1/checks/corridors?city=baotou",
		"/api/v1/checks/corridors?city=baotou&format=geojson",
		"/api/v1/checks/outside-boundary?city=baotou",
		"/api/v1/checks/outside-boundary?city=baotou&format=geojson",
		"/api/v1/checks/complete-communities?city=baotou",
		"/api/v1/indicators/capacity?city=baotou&category=primary_school&band=all&level=community",
		"/api/v1/indicators/capacity?city=baotou&category=primary_school&band=all&level=parcel&decay=gaussian",
		// The pocket park it adds and the park it deletes move the park capacity.
		"/api/v1/indicators/capacity?city=baotou&category=park_square&level=community",
		// The capacity layer: the development it adds drawn with its geometry (a Polygon
		// given, a MultiPolygon as the table holds it), the school's seats by parcel.
		"/api/v1/indicators/capacity/map.geojson?city=baotou&category=primary_school&band=all",
		"/api/v1/indicators/capacity/map.geojson?city=baotou&category=park_square&level=community",
		"/api/v1/isochrones?city=baotou&minutes=5,10&segments=true&" + origin,
		"/api/v1/indicators/living-circle?city=baotou&level=community",
		// Unchanged by this scenario (the proposed edition is not in force today), and
		// the diff to an edition only the scenario has (404 on the baseline).
		"/api/v1/checks/control-lines?city=baotou",
		"/api/v1/checks/growth-boundary/diff?city=baotou&from=" + strings.ReplaceAll(edition, " ", "%20") + "&to=2040%20%E6%96%B9%E6%A1%88",
	}
	// The baseline's answers, which the scenario's must differ from (else the changes
	// would not reach the door and the comparison below would prove nothing).
	baseline := map[string][]byte{}
	for _, d := range doors[:len(doors)-2] {
		code, b := do(h, "GET", d, nil)
		if code != 200 {
			t.Fatalf("%s: %d %s", d, code, b)
		}
		baseline[d] = b
	}
	code, b := do(h, "POST", "/api/v1/scenarios", map[string]any{"city": "baotou", "name": "oracle"})
	if code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	var sc struct{ ID int64 }
	_ = json.Unmarshal(b, &sc)
	for i, c := range changes {
		if code, b := do(h, "POST", fmt.Sprintf("/api/v1/scenarios/%d/changes", sc.ID), c); code != 201 {
			t.Fatalf("change %d: %d %s", i+1, code, b)
		}
	}

	clis := [][]string{
		{"indicator", "park-coverage", "--city", "baotou", "--caliber", "tdt1063-walk5", "--method", "buffer", "--level", "district", "--format", "json"},
		{"check", "corridors", "--city", "baotou", "--format", "json"},
		{"check", "outside", "--city", "baotou", "--format", "json"},
		{"indicator", "capacity", "--city", "baotou", "--category", "primary_school", "--band", "all", "--format", "json"},
	}
	cli := func(args []string) []byte { return runCLI(t, ctx, db, args) }
	onScenario := map[string][]byte{}
	for _, d := range doors {
		code, b := do(h, "GET", d+fmt.Sprintf("&scenario=%d", sc.ID), nil)
		if code != 200 {
			t.Fatalf("%s&scenario=: %d %s", d, code, b)
		}
		onScenario[d] = b
	}
	for _, args := range clis {
		onScenario[strings.Join(args, " ")] = cli(append(args, "--scenario", fmt.Sprint(sc.ID)))
	}
	for d, b := range baseline {
		var diffs []string
		var x, y any
		_ = json.Unmarshal(b, &x)
		_ = json.Unmarshal(onScenario[d], &y)
		if compareJSON("", normalise(x), normalise(y), &diffs); len(diffs) == 0 {
			t.Errorf("%s: the scenario changes nothing", d)
		}
	}
	if code, _ := do(h, "GET", doors[len(doors)-1], nil); code != 404 && code != 400 {
		t.Errorf("the diff to the scenario's edition on the baseline: %d, want 404", code)
	}
	// A scenario changes the current data: with as_of it is a 400 naming as_of, on the CLI too.
	if code, b := do(h, "GET", fmt.Sprintf("/api/v1/indicators/park-coverage?%s&scenario=%d&as_of=2024-01-01", cq, sc.ID), nil); code != 400 || !strings.Contains(string(b), `"parameter":"as_of"`) {
		t.Errorf("park coverage with scenario and as_of: %d %s", code, b)
	}
	var out, errOut bytes.Buffer
	if code := Main(ctx, Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return map[string]string{"DATABASE_URL": db.URL}[k] }},
		[]string{"indicator", "park-coverage", "--city", "baotou", "--scenario", fmt.Sprint(sc.ID), "--as-of", "2024-01-01"}); code != 1 || !strings.Contains(errOut.String(), "not both") {
		t.Errorf("CLI --scenario with --as-of: exit %d: %s", code, errOut.String())
	}

	// The oracle: the same changes applied with SQL, ids -n for the added features.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO parks (id, city_id, name, park_class, open_status, geom) VALUES (-1, $1::int, '口袋公园', 'garden', 'open', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)))`, []any{city, garden}},
		{`DELETE FROM parks WHERE id = $1`, []any{parkID}},
		{`INSERT INTO residential_land (id, city_id, population, households, geom) VALUES (-3, $1::int, 500, 200, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)))`, []any{city, onCorridor}},
		{`INSERT INTO facilities (id, city_id, category, name, geom) VALUES (-4, $1::int, 'clinic', '界外卫生站', ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))`, []any{city, outside}},
		{`DELETE FROM eco_corridors WHERE id = $1`, []any{lastID}},
		{`INSERT INTO growth_boundaries (id, city_id, edition, valid_from, geom) VALUES (-6, $1::int, '2040 方案', '2040-01-01', ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)))`, []any{city, proposal}},
		{`INSERT INTO facilities (id, city_id, category, name, capacity, geom) VALUES (-7, $1::int, 'primary_school', '新小学', 300, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))`, []any{city, school}},
		{`UPDATE network_edges SET walkable = false WHERE id = $1`, []any{roadID}},
	} {
		if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	h = server() // a fresh server: nothing cached from before the edit
	for _, d := range doors {
		code, b := do(h, "GET", d, nil)
		if code != 200 {
			t.Fatalf("%s after the SQL edit: %d %s", d, code, b)
		}
		sameAnswer(t, d, onScenario[d], b)
	}
	for _, args := range clis {
		k := strings.Join(args, " ")
		sameAnswer(t, k, onScenario[k], cli(args))
	}
}

// demoCity is a throwaway database with the demo city at scale 0.05; skipped under -short.
// runCLI runs the cityreach command args on db and returns what it printed; a non-zero
// exit fails the test.
func runCLI(t *testing.T, ctx context.Context, db *testdb.DB, args []string) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return db.URL
		}
		return ""
	}}
	if code := Main(ctx, env, args); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
	}
	return out.Bytes()
}

func demoCity(t *testing.T) (*testdb.DB, context.Context) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	return db, ctx
}

// sameAnswer compares two JSON answers of one door: numbers to 1e-9 relative (1e-6
// absolute; sums in another order), arrays of objects with an id (or GeoJSON features,
// by their properties' id or parcel_id) in id order, strings and booleans exactly. What
// only a stored run has (run, reused) and timings are left out.
func sameAnswer(t *testing.T, door string, scen, applied []byte) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(scen, &a); err != nil {
		t.Fatalf("%s on the scenario: %v: %.200s", door, err, scen)
	}
	if err := json.Unmarshal(applied, &b); err != nil {
		t.Fatalf("%s after the SQL edit: %v: %.200s", door, err, applied)
	}
	var diffs []string
	compareJSON("", normalise(a), normalise(b), &diffs)
	if len(diffs) > 0 {
		if len(diffs) > 12 {
			diffs = append(diffs[:12], fmt.Sprintf("… %d more", len(diffs)-12))
		}
		t.Errorf("%s: the scenario's answer differs from the answer after the SQL edit:\n  %s", door, strings.Join(diffs, "\n  "))
	}
}

// unstable are what differs between the two answers by design: provenance (the stored
// run, the data version, which on a scenario names it; the living circle's scenario
// member with what was recomputed), timings, and network.skipped, which on a scenario
// counts the baseline's skipped edges (a closed road leaves the graph without being
// counted as skipped).
var unstable = map[string]bool{"run": true, "reused": true, "data_version": true, "scenario": true,
	"compute_ms": true, "duration_ms": true, "timing": true, "timing_ms": true, "load_ms": true, "skipped": true}

func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if !unstable[k] {
				out[k] = normalise(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		sort.SliceStable(out, func(i, j int) bool {
			ki, oki := sortKey(out[i])
			kj, okj := sortKey(out[j])
			return oki && okj && ki < kj
		})
		return out
	}
	return v
}

func sortKey(v any) (float64, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return 0, false
	}
	if p, ok := m["properties"].(map[string]any); ok {
		m = p
	}
	for _, k := range []string{"id", "parcel_id"} {
		if f, ok := m[k].(float64); ok {
			return f, true
		}
	}
	return 0, false
}

func compareJSON(path string, a, b any, diffs *[]string) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: %T vs %T", path, a, b))
			return
		}
		for k := range x {
			if _, ok := y[k]; !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s only on the scenario", path, k))
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s only after the SQL edit", path, k))
				continue
			}
			compareJSON(path+"."+k, x[k], y[k], diffs)
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %d items vs %v", path, len(x), lenOf(b)))
			return
		}
		for i := range x {
			compareJSON(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], diffs)
		}
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > max(1e-6, 1e-9*math.Abs(y)) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %v vs %v", path, a, b))
		}
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %v vs %v", path, a, b))
		}
	}
}

func lenOf(v any) any {
	if x, ok := v.([]any); ok {
		return len(x)
	}
	return fmt.Sprintf("%T", v)
}
