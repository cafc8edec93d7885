package capacity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/scenario"
)

// TestScenarioMapEqualsSQL: the capacity layer on a scenario (map.geojson?scenario=) that
// adds a kindergarten with 180 places and a residential parcel of 400 residents around it,
// reshapes the parcel nearest to it and deletes another, draws
//
//   - per parcel the figures of the figures route on the same scenario (capacity?scenario=),
//     and the SQL/pgRouting computation of oracle_test.go run on the tables after the same
//     changes are written to them with plain SQL (the added features under the ids -n the
//     overlays give them): demand, ratio (A_i), served, need, attainment, gap and shortfall
//     of every parcel to 1e-9, and the scenario's figures differ from the baseline layer's;
//   - the reshaped parcel with its new geometry and the added one with its own: each equal,
//     coordinate by coordinate, to ST_AsGeoJSON of the row after the SQL edit, and the
//     reshaped one unlike its baseline geometry; the deleted one not at all;
//   - by community the areas of the figures route, with the stored community polygons.
//
// Refusals stay 4xx problem+json: a malformed id (400 naming scenario), an unknown one
// (404), another city (400 naming city), level=city (400 naming level).
func TestScenarioMapEqualsSQL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, svc, city := demoOracle(t)
	log := slog.New(slog.DiscardHandler)
	st := &scenario.Store{Pool: db.Pool, Layers: layers.Default()}
	scen := &scenario.Service{Store: st, Walk: svc.Walk, LivingCircle: &scenario.WalkLivingCircle{Walk: svc.Walk, Store: st}, Capacity: svc, Log: log}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}},
		capacityhttp.Handler{Svc: svc, Log: log, Scenarios: scen}))
	get := func(target string) (int, http.Header, []byte) {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		return w.Code, w.Header(), w.Body.Bytes()
	}
	str := func(sql string, args ...any) string {
		t.Helper()
		var s string
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return s
	}

	// The changes, placed from the seeded tables: the kindergarten at the point on surface
	// of the parcel (within 50 m of a walkable edge, 100 m inside a community with
	// residents by age) farthest from any kindergarten, a parcel of radius 30 m around it,
	// and the parcel nearest to it made a circle of radius 45 m around its own point on
	// surface.
	school := str(`SELECT ST_AsGeoJSON(ST_Transform(ST_PointOnSurface(r.geom_m), 4326), 9) FROM residential_land r
		WHERE EXISTS (SELECT 1 FROM network_edges e WHERE e.walkable AND ST_DWithin(e.geom_m, ST_PointOnSurface(r.geom_m), 50))
		  AND EXISTS (SELECT 1 FROM communities c WHERE ST_Contains(ST_Buffer(c.geom_m, -100), ST_PointOnSurface(r.geom_m))
		              AND EXISTS (SELECT 1 FROM community_age_population a WHERE a.community_id = c.id AND a.band = '3-6' AND a.population > 0))
		ORDER BY (SELECT min(ST_Distance(r.geom_m, f.geom_m)) FROM facilities f WHERE f.category = 'kindergarten') DESC, r.id LIMIT 1`)
	added := str(`SELECT ST_AsGeoJSON(ST_Buffer(ST_GeomFromGeoJSON($1)::geography, 30)::geometry, 9)`, school)
	var reshaped int64
	if err := db.Pool.QueryRow(ctx, `SELECT r.id FROM residential_land r ORDER BY ST_Distance(r.geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)), r.id LIMIT 1`,
		school).Scan(&reshaped); err != nil {
		t.Fatal(err)
	}
	reshape := str(`SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 45)::geometry, 9) FROM residential_land WHERE id = $1`, reshaped)
	var gone int64
	if err := db.Pool.QueryRow(ctx, `SELECT max(id) FROM residential_land WHERE id <> $1`, reshaped).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	feature := func(geometry string, props map[string]any) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(geometry), "properties": props})
		return b
	}
	sc, err := st.Create(ctx, "baotou", "capacity map", "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range []scenario.ChangeInput{
		{Layer: "facilities", Op: scenario.OpAdd, Feature: feature(school, map[string]any{"category": "kindergarten", "name": "新幼儿园", "capacity": 180})},
		{Layer: "residential_land", Op: scenario.OpAdd, Feature: feature(added, map[string]any{"population": 400, "households": 160})},
		{Layer: "residential_land", Op: scenario.OpModify, Target: reshaped, Feature: feature(reshape, map[string]any{})},
		{Layer: "residential_land", Op: scenario.OpDelete, Target: gone},
	} {
		if sc, err = st.Get(ctx, sc.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddChange(ctx, sc, in); err != nil {
			t.Fatalf("change %d: %v", i+1, err)
		}
	}

	const q = "/api/v1/indicators/capacity/map.geojson?city=baotou&category=kindergarten"
	layer := func(target string) map[int64]feat {
		t.Helper()
		code, hdr, b := get(target)
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("%s: %d %s %.300s", target, code, hdr.Get("Content-Type"), b)
		}
		var fc struct{ Features []feat }
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		out := map[int64]feat{}
		for _, f := range fc.Features {
			out[f.ID] = f
		}
		if len(out) != len(fc.Features) {
			t.Fatalf("%s: %d features, %d ids", target, len(fc.Features), len(out))
		}
		return out
	}
	base := layer(q)
	onScenario := layer(fmt.Sprintf("%s&scenario=%d", q, sc.ID))
	if _, hdr, _ := get(fmt.Sprintf("%s&scenario=%d", q, sc.ID)); hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("the scenario's layer is cacheable: Cache-Control %q", hdr.Get("Cache-Control"))
	}
	if onScenario[-2].Properties["demand"] <= 0 {
		t.Errorf("the added parcel has no children 3–6: the comparison is not discriminating")
	}
	if _, ok := onScenario[gone]; ok || len(onScenario) != len(base) {
		t.Errorf("%d features on the scenario, %d on the baseline (deleted parcel %d drawn: %v): want as many (one added, one deleted)", len(onScenario), len(base), gone, ok)
	}

	// The figures route on the same scenario: every parcel's figures, the same features.
	code, _, b := get(fmt.Sprintf("/api/v1/indicators/capacity?city=baotou&category=kindergarten&level=parcel&scenario=%d", sc.ID))
	if code != http.StatusOK {
		t.Fatalf("capacity?scenario=: %d %s", code, b)
	}
	var rep capacity.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Parcels) != len(onScenario) {
		t.Errorf("%d parcels in the figures, %d features", len(rep.Parcels), len(onScenario))
	}
	for _, p := range rep.Parcels {
		f, ok := onScenario[p.ID]
		if !ok {
			t.Errorf("parcel %d of the figures is not drawn", p.ID)
			continue
		}
		want := map[string]float64{"demand": p.Demand, "ratio": p.Access, "served": p.Served, "need": p.Need, "attainment": p.Attainment,
			"gap": p.Gap, "shortfall": math.Max(0, p.Gap)}
		for k, v := range want {
			if f.Properties[k] != v {
				t.Errorf("parcel %d: %s %v on the map, %v in the figures", p.ID, k, f.Properties[k], v)
			}
		}
	}
	kept := false
	for _, f := range rep.Facilities {
		kept = kept || (f.ID == -1 && f.Capacity == 180 && f.Demand > 0)
	}
	if !kept {
		t.Error("the added kindergarten is not among the facilities with its 180 places and children in reach")
	}
	moved := 0
	for id, f := range base {
		if g, ok := onScenario[id]; ok && math.Abs(g.Properties["gap"]-f.Properties["gap"]) > 1e-9 {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("the scenario moves no parcel's gap: the comparison is not discriminating")
	}

	// By community: the areas of the figures route, with the stored polygons.
	code, _, b = get(fmt.Sprintf("/api/v1/indicators/capacity?city=baotou&category=kindergarten&level=community&scenario=%d", sc.ID))
	var areas capacity.Report
	if code != http.StatusOK || json.Unmarshal(b, &areas) != nil {
		t.Fatalf("capacity?level=community&scenario=: %d %.300s", code, b)
	}
	byCommunity := layer(fmt.Sprintf("%s&level=community&scenario=%d", q, sc.ID))
	drawn := 0
	for _, a := range areas.Areas {
		f, ok := byCommunity[a.ID]
		if a.ID == 0 {
			continue
		}
		if !ok {
			t.Errorf("community %d of the figures is not drawn", a.ID)
			continue
		}
		drawn++
		if f.Properties["gap"] != a.Gap || f.Properties["attainment"] != a.Attainment || f.Properties["demand"] != a.Demand {
			t.Errorf("community %d: map %v, figures %+v", a.ID, f.Properties, a.Figure)
		}
		if g := str(`SELECT ST_AsGeoJSON(geom, 7) FROM communities WHERE id = $1`, a.ID); !sameCoordinates(t, f.Geometry, json.RawMessage(g)) {
			t.Errorf("community %d is not drawn with its stored polygon", a.ID)
		}
	}
	if drawn != len(byCommunity) {
		t.Errorf("%d communities drawn, %d in the figures", len(byCommunity), drawn)
	}

	// The baseline geometry of the reshaped parcel, before the SQL edit.
	before := str(`SELECT ST_AsGeoJSON(geom, 7) FROM residential_land WHERE id = $1`, reshaped)

	// The oracle: the same changes written to the tables with SQL, then the SQL/pgRouting
	// computation of oracle_test.go on them.
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO facilities (id, city_id, category, name, capacity, geom) VALUES (-1, $1, 'kindergarten', '新幼儿园', 180, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))`, []any{city, school}},
		{`INSERT INTO residential_land (id, city_id, population, households, geom) VALUES (-2, $1, 400, 160, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)))`, []any{city, added}},
		{`UPDATE residential_land SET geom = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) WHERE id = $2`, []any{reshape, reshaped}},
		{`DELETE FROM residential_land WHERE id = $1`, []any{gone}},
	} {
		if _, err := db.Pool.Exec(ctx, s.sql, s.args...); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
	}
	for _, id := range []int64{reshaped, -2} {
		f, ok := onScenario[id]
		if !ok {
			t.Fatalf("parcel %d is not drawn on the scenario", id)
		}
		if !sameCoordinates(t, f.Geometry, json.RawMessage(str(`SELECT ST_AsGeoJSON(geom, 7) FROM residential_land WHERE id = $1`, id))) {
			t.Errorf("parcel %d: drawn %.200s, not its geometry after the edit", id, f.Geometry)
		}
	}
	if sameCoordinates(t, onScenario[reshaped].Geometry, json.RawMessage(before)) || !sameCoordinates(t, base[reshaped].Geometry, json.RawMessage(before)) {
		t.Errorf("parcel %d: the scenario draws its baseline geometry, or the baseline does not", reshaped)
	}

	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS ora_e, ora_pt, ora_att, ora_s, ora_nodes, ora_d, ora_p`) //nolint:errcheck
	oracleSetup(t, ctx, conn, city, "kindergarten", rep.Bands, rep.D0, false)
	access := oracleAccess(t, ctx, conn, rep.D0, false)
	demand, need := oracleNeed(t, ctx, conn, "kindergarten")
	if len(access) != len(onScenario) {
		t.Errorf("%d parcels in SQL, %d features", len(access), len(onScenario))
	}
	worst := 0.0
	for id, a := range access {
		f, ok := onScenario[id]
		if !ok {
			t.Errorf("parcel %d of the SQL is not drawn", id)
			continue
		}
		served := a * demand[id]
		att := 0.0
		if need[id] > 0 {
			att = served / need[id]
		}
		want := map[string]float64{"demand": demand[id], "ratio": a, "served": served, "need": need[id], "attainment": att,
			"gap": need[id] - served, "shortfall": math.Max(0, need[id]-served)}
		for k, v := range want {
			d := math.Abs(f.Properties[k] - v)
			worst = math.Max(worst, d)
			if d > 1e-9 {
				t.Errorf("parcel %d: %s %.12f on the map, SQL/pgRouting %.12f", id, k, f.Properties[k], v)
			}
		}
	}
	t.Logf("%d parcels equal to SQL/pgRouting (largest difference %.3g); the scenario moves the gap of %d; parcel -2 demand %.3f gap %.3f, reshaped %d gap %.3f → %.3f",
		len(access), worst, moved, onScenario[-2].Properties["demand"], onScenario[-2].Properties["gap"], reshaped, base[reshaped].Properties["gap"], onScenario[reshaped].Properties["gap"])

	// Refusals: 4xx problem+json naming what is wrong.
	for _, c := range []struct {
		target string
		status int
		member string
	}{
		{q + "&scenario=abc", http.StatusBadRequest, `"parameter":"scenario"`},
		{q + "&scenario=987654", http.StatusNotFound, ""},
		{fmt.Sprintf("%s&scenario=%d", strings.Replace(q, "baotou", "nowhere", 1), sc.ID), http.StatusBadRequest, `"parameter":"city"`},
		{fmt.Sprintf("%s&level=city&scenario=%d", q, sc.ID), http.StatusBadRequest, `"parameter":"level"`},
	} {
		code, hdr, b := get(c.target)
		if code != c.status || hdr.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), c.member) {
			t.Errorf("%s: %d %s %s, want %d problem+json with %s", c.target, code, hdr.Get("Content-Type"), b, c.status, c.member)
		}
	}
}

// feat is a feature of the capacity layer with its numeric properties.
type feat struct {
	ID         int64              `json:"id"`
	Geometry   json.RawMessage    `json:"geometry"`
	Properties map[string]float64 `json:"-"`
}

func (f *feat) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	f.ID, f.Geometry, f.Properties = raw.ID, raw.Geometry, map[string]float64{}
	for k, v := range raw.Properties {
		if x, ok := v.(float64); ok {
			f.Properties[k] = x
		}
	}
	return nil
}

// sameCoordinates reports whether two GeoJSON geometries have the same type and the same
// coordinates to 1e-7 degrees.
func sameCoordinates(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return x.Type == y.Type && closeCoords(x.Coordinates, y.Coordinates)
}

func closeCoords(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Abs(x-y) <= 1e-7
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !closeCoords(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}
