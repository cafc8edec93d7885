package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/checks/checkshttp"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
)

// baselineTables are every table scenario work must leave alone.
var baselineTables = []string{"cities", "districts", "subdistricts", "communities", "parks", "park_entrances", "eco_corridors",
	"eco_redlines", "basic_farmland", "growth_boundaries", "residential_land", "facilities", "network_edges", "feature_history",
	"bulk_loads", "city_layers"}

// fingerprint is the md5 of every baseline table's rows in id order (computed by PostgreSQL).
func fingerprint(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range baselineTables {
		order := "t.id"
		if tb == "city_layers" {
			order = "t.city_id, t.layer, t.data_source"
		}
		var h *string
		if err := pool.QueryRow(context.Background(), `SELECT md5(string_agg(t::text, '|' ORDER BY `+order+`)) FROM `+tb+` t`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if h != nil {
			out[tb] = *h
		}
	}
	return out
}

type env struct {
	t      testing.TB
	pool   *pgxpool.Pool
	engine *gin.Engine
	tokens map[string]string
	svc    *Service
}

func newEnv(t *testing.T) *env {
	gin.SetMode(gin.TestMode)
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, pool: db.Pool, tokens: map[string]string{}}
	ts := &auth.Store{Pool: db.Pool}
	for name, role := range map[string]auth.Role{"alice": auth.Editor, "bob": auth.Editor, "vic": auth.Viewer, "root": auth.Admin} {
		_, secret, err := ts.Create(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = secret
	}
	reg, _ := caliber.NewRegistry()
	cov := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg}
	chk := &checks.Service{Store: &checks.Store{Pool: db.Pool}, Config: checks.DefaultConfig(), Reach: checks.BufferReach{}}
	e.svc = &Service{Store: &Store{Pool: db.Pool, Layers: layers.Default()}, Coverage: cov, Checks: chk}
	e.engine = httpapi.Must(httpapi.NewEngine(httpapi.Options{MaxBody: 32 << 20, Policy: httpapi.Policy{Tokens: ts, AnonymousRead: true}},
		AdapterHandler(e.svc), coveragehttp.Handler{Svc: cov, Pool: db.Pool, Scenarios: e.svc}, checkshttp.Handler{Service: chk, Scenarios: e.svc}))
	return e
}

func (e *env) do(who, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	w := httptest.NewRecorder()
	e.engine.ServeHTTP(w, req)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func (e *env) must(status int, who, method, path string, body any) map[string]any {
	e.t.Helper()
	code, out := e.do(who, method, path, body)
	if code != status {
		e.t.Fatalf("%s %s as %s: %d, want %d: %v", method, path, who, code, status, out)
	}
	return out
}

func (e *env) scalar(sql string, args ...any) string {
	e.t.Helper()
	var s *string
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	if s == nil {
		return ""
	}
	return *s
}

func feature(geometry string, props map[string]any) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(geometry), "properties": props})
	return b
}

// TestScenarioLifecycle: a scenario with a park, a clinic, a new development, a footbridge,
// a closed road and a park removed; validation like the layers API; compare, scenario=
// on coverage and the checks; the baseline untouched throughout; promotion applies it all
// in one transaction under the token's name, and the recomputed baseline equals the
// scenario's incremental figure.
func TestScenarioLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	e := newEnv(t)
	before := fingerprint(t, e.pool)

	e.must(401, "", "POST", "/api/v1/scenarios", map[string]any{"city": "baotou", "name": "x"})
	e.must(403, "vic", "POST", "/api/v1/scenarios", map[string]any{"city": "baotou", "name": "x"})
	e.must(400, "alice", "POST", "/api/v1/scenarios", map[string]any{"city": "nowhere", "name": "x"})
	sc := e.must(201, "alice", "POST", "/api/v1/scenarios", map[string]any{"city": "baotou", "name": "Pocket park on the gap"})
	base := fmt.Sprintf("/api/v1/scenarios/%v", sc["id"])

	// A 2800 m² garden on the parcel with the largest gap under TD/T 1063 (any park, 300 m;
	// the demo city at this scale is wholly covered under GB/T 50563).
	q := coverage.Query{City: "baotou", Caliber: "tdt1063-walk5", Method: "buffer"}
	cal, _ := e.svc.Coverage.Validate(context.Background(), &q)
	bl, err := e.svc.baseline(context.Background(), "baotou", cal, caliber.Buffer)
	if err != nil {
		t.Fatal(err)
	}
	worst, worstGap := int64(0), 0.0
	for i, g := range bl.Res.Gaps {
		if a := area(g); a > worstGap {
			worst, worstGap = bl.Snap.Parcels[i].ID, a
		}
	}
	gap := e.scalar(`SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 30)::geometry, 9) FROM residential_land WHERE id = $1`, worst)
	park := map[string]any{"layer": "parks", "op": "add", "feature": feature(gap, map[string]any{"name": "新口袋公园", "park_class": "garden", "open_status": "open"})}
	e.must(403, "bob", "POST", base+"/changes", park)
	c1 := e.must(201, "alice", "POST", base+"/changes", park)
	if c1["n"].(float64) != 1 {
		t.Fatalf("first change numbered %v", c1["n"])
	}
	// Validation: invalid geometry (a bow tie), unknown and missing attributes, a
	// constraint of the table (households ≤ population), a wrong geometry type.
	bowtie := `{"type":"Polygon","coordinates":[[[109.8,40.6],[109.81,40.61],[109.81,40.6],[109.8,40.61],[109.8,40.6]]]}`
	for _, bad := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"layer": "parks", "op": "add", "feature": feature(bowtie, map[string]any{"name": "x", "park_class": "garden"})}, 422, "Self-intersection"},
		{map[string]any{"layer": "parks", "op": "add", "feature": feature(gap, map[string]any{"name": "x", "park_class": "garden", "colour": "green"})}, 422, "unknown attribute"},
		{map[string]any{"layer": "parks", "op": "add", "feature": feature(gap, map[string]any{"name": "x"})}, 422, "park_class is required"},
		{map[string]any{"layer": "residential_land", "op": "add", "feature": feature(gap, map[string]any{"population": 10, "households": 50})}, 422, "residential_land_households_le_population"},
		{map[string]any{"layer": "facilities", "op": "add", "feature": feature(gap, map[string]any{"category": "clinic"})}, 422, "holds Point"},
		{map[string]any{"layer": "parks", "op": "delete", "target_id": 999999999}, 422, "no feature"},
		{map[string]any{"layer": "cities", "op": "add"}, 400, "layer must be"},
	} {
		code, out := e.do("alice", "POST", base+"/changes", bad.body)
		if code != bad.status || !strings.Contains(fmt.Sprint(out), bad.want) {
			t.Errorf("bad change %v: %d %v, want %d mentioning %q", bad.body["layer"], code, out, bad.status, bad.want)
		}
	}
	// A clinic, a new development, a footbridge between two nodes 30–80 m apart, a closed
	// road, a park removed.
	pt := e.scalar(`SELECT ST_AsGeoJSON(ST_PointOnSurface(geom), 9) FROM communities ORDER BY id LIMIT 1`)
	e.must(201, "alice", "POST", base+"/changes", map[string]any{"layer": "facilities", "op": "add", "feature": feature(pt, map[string]any{"category": "clinic", "name": "新社区卫生站", "floor_area_m2": 1200})})
	dev := e.scalar(`SELECT ST_AsGeoJSON(ST_Translate(geom, 0.002, 0), 9) FROM residential_land ORDER BY id LIMIT 1`)
	e.must(201, "alice", "POST", base+"/changes", map[string]any{"layer": "residential_land", "op": "add", "feature": feature(dev, map[string]any{"population": 900, "households": 300})})
	bridge := e.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_MakeLine(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m)), 4326), 9)
		FROM network_edges a JOIN network_edges b ON b.city_id = a.city_id AND b.source > a.source
		WHERE a.walkable AND b.walkable AND ST_DWithin(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m), 80)
		  AND NOT ST_DWithin(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m), 30) ORDER BY a.id, b.id LIMIT 1`)
	fb := e.must(201, "alice", "POST", base+"/changes", map[string]any{"layer": "network_edges", "op": "add", "feature": feature(bridge, map[string]any{"highway": "footway", "bridge": true, "name": "人行天桥"})})
	if fb["properties"].(map[string]any)["source"] == nil {
		t.Errorf("the footbridge was not joined to the network: %v", fb)
	}
	road := e.scalar(`SELECT id::text FROM network_edges WHERE walkable ORDER BY id LIMIT 1`)
	var roadID int64
	fmt.Sscan(road, &roadID) //nolint:errcheck // parses an id the query returns as text
	e.must(201, "alice", "POST", base+"/changes", map[string]any{"layer": "network_edges", "op": "modify", "target_id": roadID, "feature": json.RawMessage(`{"type":"Feature","geometry":null,"properties":{"walkable":false}}`)})
	var gone int64
	fmt.Sscan(e.scalar(`SELECT id::text FROM parks ORDER BY area_m2 LIMIT 1`), &gone) //nolint:errcheck // parses an id the query returns as text
	e.must(201, "alice", "POST", base+"/changes", map[string]any{"layer": "parks", "op": "delete", "target_id": gone})
	// A change to remove and a modify of the added park (-1).
	e.must(201, "alice", "POST", base+"/changes", map[string]any{"layer": "parks", "op": "modify", "target_id": -1, "feature": json.RawMessage(`{"type":"Feature","geometry":null,"properties":{"name":"新口袋公园（改名）"}}`)})
	e.must(409, "alice", "DELETE", base+"/changes/1", nil) // change 7 edits the park change 1 adds
	e.must(204, "alice", "DELETE", base+"/changes/7", nil)

	got := e.must(200, "", "GET", base, nil) // anonymous read is on
	if n := len(got["changes"].([]any)); n != 6 {
		t.Fatalf("%d changes, want 6", n)
	}
	const cq = "caliber=tdt1063-walk5&method=buffer"
	cmp := e.must(200, "vic", "GET", base+"/compare?"+cq, nil)
	inds := cmp["indicators"].([]any)
	pc := inds[0].(map[string]any)
	city := pc["levels"].([]any)[0].(map[string]any)["areas"].([]any)[0].(map[string]any)
	dCovered := city["delta"].(map[string]any)["covered_m2"].(float64)
	if !(dCovered > 0) {
		t.Errorf("the park on the gap covers nothing new: %v", city)
	}
	nc := cmp["newly_covered"].(map[string]any)["features"].([]any)
	if len(nc) == 0 {
		t.Errorf("no newly covered land")
	}
	sum := 0.0
	for _, f := range nc {
		sum += f.(map[string]any)["properties"].(map[string]any)["area_m2"].(float64)
	}
	for _, f := range cmp["newly_uncovered"].(map[string]any)["features"].([]any) {
		sum -= f.(map[string]any)["properties"].(map[string]any)["area_m2"].(float64)
	}
	// The new development adds its own covered land to covered_m2 and to newly covered alike.
	if math.Abs(sum-dCovered) > 1 {
		t.Errorf("newly covered − uncovered = %.2f m², covered delta %.2f m²", sum, dCovered)
	}
	if len(inds) < 2 || inds[1].(map[string]any)["id"] != IndicatorCompleteCommunities {
		t.Errorf("no complete-communities delta: %v", inds)
	}
	scenCovered := city["scenario"].(map[string]any)["covered_m2"].(float64)
	rep := e.must(200, "", "GET", "/api/v1/indicators/park-coverage?city=baotou&"+cq+"&scenario="+fmt.Sprint(sc["id"]), nil)
	if v := rep["city_figure"].(map[string]any)["covered_m2"].(float64); math.Abs(v-scenCovered) > 1e-6 {
		t.Errorf("scenario= gives %.6f m², compare %.6f", v, scenCovered)
	}
	// The per-parcel coverage on the scenario adds up to its figure: one page (limit 5000)
	// holds every parcel of baseline + scenario, the new development's included.
	pp := e.must(200, "", "GET", "/api/v1/indicators/park-coverage/parcels?city=baotou&"+cq+"&scenario="+fmt.Sprint(sc["id"]), nil)
	ppSum, ppArea := 0.0, 0.0
	for _, f := range pp["features"].([]any) {
		ppSum += f.(map[string]any)["properties"].(map[string]any)["covered_m2"].(float64)
		ppArea += f.(map[string]any)["properties"].(map[string]any)["area_m2"].(float64)
	}
	if total := city["scenario"].(map[string]any)["total_m2"].(float64); math.Abs(ppArea-total) > 1e-6 {
		t.Errorf("scenario parcels' area %.6f m², the scenario's residential land %.6f m² (the new development's parcel has a negative id)", ppArea, total)
	}
	if pp["next"] != nil || math.Abs(ppSum-scenCovered) > 1e-6 {
		t.Errorf("scenario parcels add up to %.6f m² (next %v), the scenario figure %.6f m²", ppSum, pp["next"], scenCovered)
	}
	// The gap layer and the next sites on the scenario; after promotion the baseline's must
	// be the same (checked below).
	gapSum := func(fc map[string]any) (sum float64, n int) {
		for _, f := range fc["features"].([]any) {
			sum += f.(map[string]any)["properties"].(map[string]any)["gap_m2"].(float64)
			n++
		}
		return sum, n
	}
	scenGaps, scenGapN := gapSum(e.must(200, "", "GET", "/api/v1/indicators/park-coverage/gaps?city=baotou&"+cq+"&scenario="+fmt.Sprint(sc["id"]), nil))
	scenTotal := city["scenario"].(map[string]any)["total_m2"].(float64)
	if math.Abs(scenGaps-(scenTotal-scenCovered)) > 0.01*float64(scenGapN)+0.01 { // gap_m2 is rounded to 0.01
		t.Errorf("scenario gaps add up to %.2f m², total − covered = %.2f m²", scenGaps, scenTotal-scenCovered)
	}
	scenSites := e.must(200, "", "GET", "/api/v1/indicators/park-coverage/sites?city=baotou&caliber=tdt1063-walk5&n=3&scenario="+fmt.Sprint(sc["id"]), nil)
	e.must(400, "", "GET", "/api/v1/indicators/park-coverage/gaps?city=baotou&scenario=zero", nil)
	e.must(404, "", "GET", "/api/v1/indicators/park-coverage/gaps?city=baotou&scenario=999999", nil)
	e.must(200, "", "GET", "/api/v1/checks/complete-communities?city=baotou&scenario="+fmt.Sprint(sc["id"]), nil)
	e.must(200, "", "GET", "/api/v1/checks/outside-boundary?city=baotou&scenario="+fmt.Sprint(sc["id"]), nil)
	e.must(400, "", "GET", "/api/v1/checks/corridors?city=baotou&scenario=x", nil)
	sites := e.must(201, "alice", "POST", "/api/v1/indicators/park-coverage/sites/scenario?city=baotou&caliber=tdt1063-walk5&n=3", nil)
	if n, _ := sites["changes"].([]any); len(n) != 3 {
		t.Errorf("sites scenario has %d changes, want 3: %v", len(n), sites)
	}

	if after := fingerprint(t, e.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("scenario work changed the baseline:\nbefore %v\nafter  %v", before, after)
	}

	// Atomic promotion: two additions of the same growth-boundary edition each pass their
	// dry run, and the second violates growth_boundaries_edition_unique half-way.
	bad := e.must(201, "bob", "POST", "/api/v1/scenarios", map[string]any{"city": "baotou", "name": "fails half-way"})
	bbase := fmt.Sprintf("/api/v1/scenarios/%v", bad["id"])
	e.must(201, "bob", "POST", bbase+"/changes", park)
	gb := map[string]any{"layer": "growth_boundaries", "op": "add", "feature": feature(gap, map[string]any{"edition": "2035 draft", "valid_from": "2030-01-01"})}
	e.must(201, "bob", "POST", bbase+"/changes", gb)
	e.must(201, "bob", "POST", bbase+"/changes", gb)
	e.must(403, "alice", "POST", bbase+"/promote", nil)
	_, out := e.do("bob", "POST", bbase+"/promote", nil)
	if !strings.Contains(fmt.Sprint(out), "growth_boundaries_edition_unique") || out["change"] != float64(3) {
		t.Errorf("failed promotion: %v", out)
	}
	if after := fingerprint(t, e.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a failed promotion changed the baseline")
	}

	// Promotion: in history under alice's name; the baseline now gives the scenario's figure.
	pr := e.must(200, "alice", "POST", base+"/promote", nil)
	if n := len(pr["features"].([]any)); n != 6 {
		t.Errorf("promoted %d changes, want 6", n)
	}
	e.must(409, "alice", "POST", base+"/promote", nil)
	hist := e.scalar(`SELECT string_agg(layer || ':' || op, ',' ORDER BY id) FROM feature_history WHERE actor = 'alice'`)
	if hist != "parks:insert,facilities:insert,residential_land:insert,network_edges:insert,network_edges:update,parks:delete,park_entrances:delete" { // the entrances go with the park (ON DELETE CASCADE)
		t.Errorf("history of alice: %s", hist)
	}
	if e.scalar(`SELECT name FROM parks WHERE name LIKE '新口袋公园%'`) != "新口袋公园" {
		t.Errorf("the park was not promoted")
	}
	full := e.must(200, "", "GET", "/api/v1/indicators/park-coverage?city=baotou&"+cq, nil)
	if v := full["city_figure"].(map[string]any)["covered_m2"].(float64); math.Abs(v-scenCovered) > 0.01 {
		t.Errorf("after promotion the baseline covers %.4f m², the scenario predicted %.4f", v, scenCovered)
	}
	if g, n := gapSum(e.must(200, "", "GET", "/api/v1/indicators/park-coverage/gaps?city=baotou&"+cq, nil)); n != scenGapN || math.Abs(g-scenGaps) > 0.01*float64(n)+0.01 {
		t.Errorf("after promotion the gaps are %d pieces, %.2f m²; the scenario predicted %d, %.2f m²", n, g, scenGapN, scenGaps)
	}
	fullSites := e.must(200, "", "GET", "/api/v1/indicators/park-coverage/sites?city=baotou&caliber=tdt1063-walk5&n=3", nil)
	if ss, _ := scenSites["sites"].([]any); len(ss) != 3 {
		t.Errorf("scenario sites: %v", scenSites)
	}
	t.Logf("scenario gaps: %d pieces, %.2f m²; first site %v", scenGapN, scenGaps, scenSites["sites"].([]any)[0])
	// The same sites, squares and gains; the figures to 1e-9 (the scenario's are assembled
	// from the baseline's per-parcel areas, the promoted city's computed whole).
	fs, ss := fullSites["sites"].([]any), scenSites["sites"].([]any)
	for k := range fs {
		f, s := fs[k].(map[string]any), ss[min(k, len(ss)-1)].(map[string]any)
		if len(fs) != len(ss) || fmt.Sprint(f["geometry"]) != fmt.Sprint(s["geometry"]) {
			t.Fatalf("after promotion the sites are\n%v\nthe scenario's were\n%v", fs, ss)
		}
		for _, key := range []string{"coverage_after", "population_share_after", "gain_m2", "gain_population"} {
			tol := 1e-9
			if strings.HasPrefix(key, "gain") {
				tol = 1e-6
			}
			if math.Abs(f[key].(float64)-s[key].(float64)) > tol {
				t.Errorf("site %d %s: %v after promotion, %v on the scenario", k+1, key, f[key], s[key])
			}
		}
	}
}
