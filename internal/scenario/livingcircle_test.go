package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walk/walkhttp"
)

// The living-circle fixture lives in UTM 49N (EPSG:32649) around (600000, 4500000), in
// local metres: one straight street y = 0 from x = 0 to 1000, nodes 101…111 every 100 m,
// edges 201…210 (edge 20i runs from x = 100(i−1) to 100i). Parcels are 20 m squares
// centred 20 m south of the street (a 20 m access leg), facilities 10 m north of it (a
// 10 m access leg). Only kindergarten (tier 300 m) and primary_school (500 m) are basic.
//
//	parcel      x    residents  community   kindergarten K1(150)   primary PS2(300) / PS1(900)
//	P1         100   100        C1          50+30 = 80             200+30 = 230
//	P2         400   200        C1          250+30 = 280           100+30 = 130
//	P4         480    50        C1          330+30 = 360           180+30 = 210
//	P3         800   300        C2          650+30 = 680           100+30 = 130
//	P5   (700,−500)   10        C2          unattached (500 m from the street)
//
// One district D and one 街道 S hold everything; C1 = x < 500, C2 = x > 500.
const (
	lcSRID = 32649
	lcX0   = 600000.0
	lcY0   = 4500000.0
)

type lcEnv struct {
	t      *testing.T
	pool   *pgxpool.Pool
	engine *gin.Engine
	token  string
	svc    *Service
	lc     *WalkLivingCircle
	city   int
}

func (e *lcEnv) exec(sql string, args ...any) {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET LOCAL cityreach.bulk_load = on`); err != nil {
		e.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		e.t.Fatalf("%v\n%s", err, sql)
	}
	if err := tx.Commit(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// lcServices builds the scenario, walking and auth services over pool and an engine with
// the scenario routes and the living-circle endpoints; the walking service reads the
// change detectors on every call, so a promotion is seen at once.
func lcServices(t *testing.T, pool *pgxpool.Pool) *lcEnv {
	gin.SetMode(gin.TestMode)
	e := &lcEnv{t: t, pool: pool}
	ts := &auth.Store{Pool: pool}
	_, secret, err := ts.Create(context.Background(), "alice", auth.Editor)
	if err != nil {
		t.Fatal(err)
	}
	e.token = secret
	ws := walk.NewService(pool, nil)
	st := &Store{Pool: pool, Layers: layers.Default()}
	e.lc = &WalkLivingCircle{Walk: ws, Store: st}
	e.svc = &Service{Store: st, LivingCircle: e.lc}
	e.engine = httpapi.Must(httpapi.NewEngine(httpapi.Options{MaxBody: 32 << 20, Policy: httpapi.Policy{Tokens: ts, AnonymousRead: true}},
		AdapterHandler(e.svc), walkhttp.Handler{Svc: ws, Scenarios: e.svc}))
	return e
}

func lcFixture(t *testing.T) *lcEnv {
	db := testdb.New(t)
	e := lcServices(t, db.Pool)
	if err := e.pool.QueryRow(context.Background(), `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('lc', 'LC', '150200', $1) RETURNING id`, lcSRID).Scan(&e.city); err != nil {
		t.Fatal(err)
	}
	city := e.city
	const pt = `ST_Transform(ST_SetSRID(ST_MakePoint($X + x, $Y + y), 32649), 4326)`
	sub := func(s string) string {
		return strings.NewReplacer("$X", fmt.Sprint(lcX0), "$Y", fmt.Sprint(lcY0)).Replace(s)
	}
	e.exec(sub(`INSERT INTO network_edges (id, city_id, source, target, walkable, highway, geom)
		SELECT 200 + i, $1, 100 + i, 101 + i, true, 'footway',
		       ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint($X + 100 * (i - 1), $Y), ST_MakePoint($X + 100 * i, $Y)), 32649), 4326)
		FROM generate_series(1, 10) i`), city)
	e.exec(sub(`INSERT INTO residential_land (id, city_id, population, households, geom)
		SELECT id, $1, pop, 0, ST_Multi(ST_Transform(ST_SetSRID(ST_MakeEnvelope($X + x - 10, $Y + y - 10, $X + x + 10, $Y + y + 10), 32649), 4326))
		FROM (VALUES (1, 100, -20, 100), (2, 400, -20, 200), (3, 800, -20, 300), (4, 480, -20, 50), (5, 700, -500, 10)) v(id, x, y, pop)`), city)
	e.exec(sub(`INSERT INTO facilities (id, city_id, category, name, geom)
		SELECT id, $1, c, c || ' ' || id, `+pt+`
		FROM (VALUES (1, 'kindergarten', 150, 10), (2, 'primary_school', 900, 10), (3, 'primary_school', 300, 10)) v(id, c, x, y)`), city)
	box := func(x1, x2 float64) string {
		return fmt.Sprintf(`ST_Multi(ST_Transform(ST_SetSRID(ST_MakeEnvelope(%g, %g, %g, %g), 32649), 4326))`, lcX0+x1, lcY0-600, lcX0+x2, lcY0+100)
	}
	e.exec(`INSERT INTO districts (id, city_id, adcode, name, geom) VALUES (1, $1, '150202', 'D', `+box(-50, 1050)+`)`, city)
	e.exec(`INSERT INTO subdistricts (id, city_id, district_id, code, name, geom) VALUES (1, $1, 1, '150202001', 'S', `+box(-50, 1050)+`)`, city)
	e.exec(`INSERT INTO communities (id, city_id, subdistrict_id, code, name, population, households, geom) VALUES
		(1, $1, 1, '150202001001', 'C1', 0, 0, `+box(-50, 500)+`), (2, $1, 1, '150202001002', 'C2', 0, 0, `+box(500, 1050)+`)`, city)
	e.exec(`UPDATE facility_categories SET basic = code IN ('kindergarten', 'primary_school')`)
	return e
}

func (e *lcEnv) call(status int, method, path string, body any) map[string]any {
	e.t.Helper()
	en := &env{t: e.t, engine: e.engine, tokens: map[string]string{"alice": e.token}}
	return en.must(status, "alice", method, path, body)
}

// closedStreet creates a scenario of the fixture city that closes network edge id to
// walkers, and returns its path.
func (e *lcEnv) closedStreet(name string, id int) string {
	e.t.Helper()
	sc := e.call(201, "POST", "/api/v1/scenarios", map[string]any{"city": "lc", "name": name})
	path := fmt.Sprintf("/api/v1/scenarios/%v", sc["id"])
	e.call(201, "POST", path+"/changes", map[string]any{"layer": "network_edges", "op": "modify", "target_id": id,
		"feature": json.RawMessage(`{"type":"Feature","geometry":null,"properties":{"walkable":false}}`)})
	return path
}

// bothWays runs check on the scenario's living-circle comparison computed incrementally
// (FullShare 2) and then in full (FullShare -1), failing when the other way was taken.
func (e *lcEnv) bothWays(label, path string, check func(lc map[string]any)) {
	e.t.Helper()
	defer func() { e.lc.FullShare = 0 }()
	for _, share := range []float64{2, -1} {
		e.lc.FullShare = share
		lc := livingIndicator(e.t, e.call(200, "GET", path+"/compare?indicators=living-circle", nil))
		if full := lc["full_recomputation"] == true; full != (share < 0) {
			e.t.Errorf("%s: FullShare %v, full recomputation %v", label, share, full)
		}
		check(lc)
	}
}

// lonLatGeoJSON is a local-metre point of the fixture as GeoJSON in EPSG:4326, computed by
// PostGIS with 15 decimals (about 1e-10 m).
func (e *lcEnv) lonLatGeoJSON(x, y float64) json.RawMessage {
	e.t.Helper()
	var s string
	if err := e.pool.QueryRow(context.Background(), `SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 32649), 4326), 15)`,
		lcX0+x, lcY0+y).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return json.RawMessage(s)
}

type near func(what string, got any, want float64)

func approx(t *testing.T) near {
	return func(what string, got any, want float64) {
		t.Helper()
		g, ok := got.(float64)
		if !ok || math.Abs(g-want) > 1e-9 {
			t.Errorf("%s = %v, want %.12f", what, got, want)
		}
	}
}

// area returns the area id of level l of a compare indicator.
func levelArea(t *testing.T, ind map[string]any, level string, id float64) map[string]any {
	t.Helper()
	for _, l := range ind["levels"].([]any) {
		lm := l.(map[string]any)
		if lm["level"] != level {
			continue
		}
		for _, a := range lm["areas"].([]any) {
			if am := a.(map[string]any); am["id"] == id {
				return am
			}
		}
	}
	t.Fatalf("no %s %v in %v", level, id, ind["levels"])
	return nil
}

func livingIndicator(t *testing.T, cmp map[string]any) map[string]any {
	t.Helper()
	for _, x := range cmp["indicators"].([]any) {
		if m := x.(map[string]any); m["id"] == IndicatorLivingCircle {
			return m
		}
	}
	t.Fatalf("no living-circle indicator in %v", cmp["indicators"])
	return nil
}

// TestLivingCircleScenarioHandFixture, values worked on paper (see the fixture):
//
// Scenario A adds a kindergarten K2 at (800, 10). Its walk to P3 is 10 + 0 + 20 = 30 m,
// to P4 10 + 300 + 20 + 20 = 350 m (> 300), so only P3 gains the kindergarten. C2:
// kindergarten 0/310 → 300/310 = 0.967742 ≥ 0.9, primary 300/310: C2 becomes a complete
// 15-minute living circle; C1 stays at 300/350 = 0.857143 (incomplete). District, 街道 and
// city: kindergarten 300/660 → 600/660 = 0.909091, primary 650/660: D and S become
// complete too. The kindergarten's residential-land share of C2 goes 0 → 400/800.
// Complete communities 0 → 1 of 2. Status changes: D, S, C2 (values 0.909091, 0.909091,
// 0.967742). Only kindergarten pairs are recomputed, of all 5 parcels (all within 1001 m).
//
// Scenario B closes edge 203 (x 200→300): PS2 re-attaches to edge 204 at the same point,
// P1 loses its primary school (PS2 is now beyond the gap, PS1 830 m away), P2 and P4 lose
// the kindergarten (K1 is cut off). C1: kindergarten 100/350 = 0.285714, primary
// 250/350 = 0.714286; C2 unchanged; city kindergarten 100/660, primary 550/660. No status
// flips. The same figures with the recomputation forced incremental and forced full.
//
// Throughout, the baseline tables are byte-for-byte unchanged, and the endpoint refuses
// bad scenario, city and level parameters.
func TestLivingCircleScenarioHandFixture(t *testing.T) {
	e := lcFixture(t)
	before := fingerprint(t, e.pool)
	is := approx(t)

	// The baseline, from the endpoint without scenario=.
	var base walk.Report
	b, _ := json.Marshal(e.call(200, "GET", "/api/v1/indicators/living-circle?city=lc&level=community", nil))
	_ = json.Unmarshal(b, &base)
	if base.CompleteCommunities != 0 || len(base.Areas) != 2 || base.Areas[1].Complete {
		t.Fatalf("baseline: %d complete, %+v", base.CompleteCommunities, base.Areas)
	}

	// Scenario A: a kindergarten.
	sa := e.call(201, "POST", "/api/v1/scenarios", map[string]any{"city": "lc", "name": "kindergarten for C2"})
	pa := fmt.Sprintf("/api/v1/scenarios/%v", sa["id"])
	e.call(201, "POST", pa+"/changes", map[string]any{"layer": "facilities", "op": "add",
		"feature": feature(string(e.lonLatGeoJSON(800, 10)), map[string]any{"category": "kindergarten", "name": "K2"})})

	// Per parcel (scenario= on the parcels endpoint), worked from the table above: K2 at
	// x = 800 is 30 m from P3 and 320 + 30 = 350 m from P4 (K1: 360 m); P5 is unattached.
	for _, q := range []struct {
		query string
		want  map[float64][2]any // parcel → distance, facility name
	}{
		{"city=lc", map[float64][2]any{1: {80.0, "kindergarten 1"}, 2: {280.0, "kindergarten 1"}, 3: {680.0, "kindergarten 1"}, 4: {360.0, "kindergarten 1"}, 5: {nil, nil}}},
		{fmt.Sprintf("scenario=%v", sa["id"]), map[float64][2]any{1: {80.0, "kindergarten 1"}, 2: {280.0, "kindergarten 1"}, 3: {30.0, "K2"}, 4: {350.0, "K2"}, 5: {nil, nil}}},
	} {
		fc := e.call(200, "GET", "/api/v1/indicators/living-circle/parcels?category=kindergarten&"+q.query, nil)
		feats := fc["features"].([]any)
		if len(feats) != 5 || fc["numberMatched"] != 5.0 {
			t.Fatalf("%s: %d features, numberMatched %v", q.query, len(feats), fc["numberMatched"])
		}
		for _, f := range feats {
			p := f.(map[string]any)["properties"].(map[string]any)
			w := q.want[p["id"].(float64)]
			if d, ok := p["kindergarten_m"].(float64); (w[0] == nil) != !ok || (ok && math.Abs(d-w[0].(float64)) > 1e-6) || p["kindergarten_facility_name"] != w[1] {
				t.Errorf("%s parcel %v: %v m at %v, want %v at %v", q.query, p["id"], p["kindergarten_m"], p["kindergarten_facility_name"], w[0], w[1])
			}
		}
	}

	cmp := e.call(200, "GET", pa+"/compare?indicators=living-circle", nil)
	lc := livingIndicator(t, cmp)
	if lc["recomputed"] != 5.0 || lc["recomputed_pairs"] != 5.0 || lc["full_recomputation"] != nil {
		t.Errorf("recomputed %v parcels, %v pairs, full %v; want 5, 5 (kindergarten only), incremental", lc["recomputed"], lc["recomputed_pairs"], lc["full_recomputation"])
	}
	if n := len(lc["levels"].([]any)); n != 4 {
		t.Fatalf("%d levels, want city, district, subdistrict, community", n)
	}
	c2 := levelArea(t, lc, "community", 2)
	is("C2 baseline kindergarten", c2["baseline"].(map[string]any)["share.kindergarten"], 0)
	is("C2 scenario kindergarten", c2["scenario"].(map[string]any)["share.kindergarten"], 300.0/310)
	is("C2 delta kindergarten", c2["delta"].(map[string]any)["share.kindergarten"], 300.0/310)
	is("C2 primary", c2["scenario"].(map[string]any)["share.primary_school"], 300.0/310)
	is("C2 complete before", c2["baseline"].(map[string]any)["complete"], 0)
	is("C2 complete after", c2["scenario"].(map[string]any)["complete"], 1)
	is("C2 missing after", c2["scenario"].(map[string]any)["missing"], 0)
	is("C2 residents", c2["scenario"].(map[string]any)["population"], 310)
	c1 := levelArea(t, lc, "community", 1)
	is("C1 kindergarten", c1["scenario"].(map[string]any)["share.kindergarten"], 300.0/350)
	is("C1 delta kindergarten", c1["delta"].(map[string]any)["share.kindergarten"], 0)
	is("C1 complete", c1["scenario"].(map[string]any)["complete"], 0)
	for _, l := range []struct {
		level string
		id    float64
	}{{"city", float64(e.city)}, {"district", 1}, {"subdistrict", 1}} {
		a := levelArea(t, lc, l.level, l.id)
		is(l.level+" kindergarten before", a["baseline"].(map[string]any)["share.kindergarten"], 300.0/660)
		is(l.level+" kindergarten after", a["scenario"].(map[string]any)["share.kindergarten"], 600.0/660)
		is(l.level+" primary", a["scenario"].(map[string]any)["share.primary_school"], 650.0/660)
		is(l.level+" complete after", a["scenario"].(map[string]any)["complete"], 1)
		if l.level == "city" {
			is("complete communities before", a["baseline"].(map[string]any)["complete_communities"], 0)
			is("complete communities after", a["scenario"].(map[string]any)["complete_communities"], 1)
			is("complete communities delta", a["delta"].(map[string]any)["complete_communities"], 1)
			is("communities", a["scenario"].(map[string]any)["communities"], 2)
			is("complete 街道 after", a["scenario"].(map[string]any)["complete_subdistricts"], 1)
		}
	}
	var flips []string
	for _, x := range lc["status_changes"].([]any) {
		m := x.(map[string]any)
		flips = append(flips, fmt.Sprintf("%s %v %v→%v %.6f", m["level"], m["id"], m["from"], m["to"], m["value"]))
	}
	sort.Strings(flips)
	if want := []string{"community 2 false→true 0.967742", "district 1 false→true 0.909091", "subdistrict 1 false→true 0.909091"}; fmt.Sprint(flips) != fmt.Sprint(want) {
		t.Errorf("status changes %v, want %v", flips, want)
	}
	// One level only.
	one := livingIndicator(t, e.call(200, "GET", pa+"/compare?indicators=living-circle&level=community", nil))
	if n := len(one["levels"].([]any)); n != 1 || len(one["status_changes"].([]any)) != 1 {
		t.Errorf("level=community: %d levels, status changes %v", n, one["status_changes"])
	}
	e.call(400, "GET", pa+"/compare?indicators=living-circle&level=street", nil)

	// scenario= on the indicator endpoint: the same figures in the indicator's own report.
	q := url.Values{"scenario": {fmt.Sprint(sa["id"])}, "level": {"community"}}
	rep := e.call(200, "GET", "/api/v1/indicators/living-circle?"+q.Encode(), nil)
	is("scenario= complete communities", rep["complete_communities"], 1)
	areas := rep["areas"].([]any)
	if s := areas[1].(map[string]any)["status"]; s != walk.StatusComplete {
		t.Errorf("scenario= C2 status %v", s)
	}
	if sr := rep["scenario"].(map[string]any); sr["id"] != sa["id"] || sr["recomputed_parcels"] != 5.0 || sr["full_recomputation"] != false {
		t.Errorf("scenario= run %v", sr)
	}
	q.Set("city", "lc")
	e.call(200, "GET", "/api/v1/indicators/living-circle?"+q.Encode(), nil)
	// A tier beyond the search cutoff is a search to the larger cutoff on the scenario:
	// kindergarten within 1200 m reaches every attached parcel.
	q.Set("reach", "kindergarten:1200")
	rep = e.call(200, "GET", "/api/v1/indicators/living-circle?"+q.Encode(), nil)
	for i, want := range []float64{1, 300.0 / 310} {
		cov := rep["areas"].([]any)[i].(map[string]any)["coverage"].([]any)
		for _, c := range cov {
			if cm := c.(map[string]any); cm["code"] == "kindergarten" {
				is(fmt.Sprintf("C%d kindergarten within 1200 m", i+1), cm["population_share"], want)
			}
		}
	}
	// communities.geojson takes scenario= too.
	en := &env{t: t, engine: e.engine}
	code, geo := en.do("", "GET", "/api/v1/indicators/living-circle/communities.geojson?scenario="+fmt.Sprint(sa["id"]), nil)
	if code != 200 || geo["features"].([]any)[1].(map[string]any)["properties"].(map[string]any)["status"] != walk.StatusComplete {
		t.Errorf("communities.geojson?scenario=: %d %v", code, geo)
	}
	for _, bad := range []struct {
		q      string
		status int
		want   string
	}{
		{"scenario=x", 400, "scenario"},
		{"scenario=-3", 400, "scenario"},
		{"scenario=999999", 404, ""},
		{"scenario=" + fmt.Sprint(sa["id"]) + "&city=baotou", 400, "city"},
		{"scenario=" + fmt.Sprint(sa["id"]) + "&level=street", 400, "level"},
		{"scenario=" + fmt.Sprint(sa["id"]) + "&share=2", 400, "share"},
		{"scenario=" + fmt.Sprint(sa["id"]) + "&reach=nope:100", 400, "reach"},
	} {
		code, out := en.do("", "GET", "/api/v1/indicators/living-circle?"+bad.q, nil)
		if code != bad.status || out["type"] == nil || (bad.want != "" && out["parameter"] != bad.want) {
			t.Errorf("%s: %d %v, want %d naming %q", bad.q, code, out, bad.status, bad.want)
		}
	}

	// Scenario B: a closed road, incremental (forced) and full (forced) alike.
	e.bothWays("B", e.closedStreet("road works", 203), func(lc map[string]any) {
		c1 := levelArea(t, lc, "community", 1)
		is("B: C1 kindergarten", c1["scenario"].(map[string]any)["share.kindergarten"], 100.0/350)
		is("B: C1 kindergarten delta", c1["delta"].(map[string]any)["share.kindergarten"], -200.0/350)
		is("B: C1 primary", c1["scenario"].(map[string]any)["share.primary_school"], 250.0/350)
		is("B: C1 primary delta", c1["delta"].(map[string]any)["share.primary_school"], -100.0/350)
		is("B: C1 missing", c1["scenario"].(map[string]any)["missing"], 2)
		c2 := levelArea(t, lc, "community", 2)
		is("B: C2 primary", c2["scenario"].(map[string]any)["share.primary_school"], 300.0/310)
		is("B: C2 kindergarten", c2["scenario"].(map[string]any)["share.kindergarten"], 0)
		d := levelArea(t, lc, "district", 1)
		is("B: district kindergarten", d["scenario"].(map[string]any)["share.kindergarten"], 100.0/660)
		is("B: district primary", d["scenario"].(map[string]any)["share.primary_school"], 550.0/660)
		if n := len(lc["status_changes"].([]any)); n != 0 {
			t.Errorf("B: %d status changes, want none", n)
		}
	})

	if after := fingerprint(t, e.pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("living-circle scenario work changed the baseline:\nbefore %v\nafter  %v", before, after)
	}
}

// lcEdit draws one random change of the living circle's layers on the current baseline of
// the demo city and adds it through Store.AddChange (the API's validation and dry run):
// a facility added near a parcel (any category recorded in the facilities table), deleted,
// moved or re-categorised (also a facility added earlier in the scenario), a new
// development, a parcel deleted or with new residents, a road closed or deleted, a
// footbridge between two nodes 40–250 m apart, or a park added near a parcel (with an
// entrance or none: then the streets crossing it), closed, reopened, moved, given an
// entrance (also a park added earlier) or deleted.
type lcEditor struct {
	t       *testing.T
	e       *lcEnv
	rng     *rand.Rand
	cats    []string
	touched map[string]bool
}

func (ed *lcEditor) scalar(sql string, args ...any) string {
	ed.t.Helper()
	en := &env{t: ed.t, pool: ed.e.pool}
	return en.scalar(sql, args...)
}

func (ed *lcEditor) pick(table, where string) int64 {
	ed.t.Helper()
	for range 20 {
		var id int64
		fmt.Sscan(ed.scalar(`SELECT id::text FROM `+table+` WHERE city_id = (SELECT id FROM cities WHERE slug = 'baotou') AND `+where+ //nolint:errcheck // parses an id the query returns as text
			` ORDER BY id OFFSET floor($1::float8 * (SELECT count(*) FROM `+table+` WHERE `+where+`)) LIMIT 1`, ed.rng.Float64()), &id)
		if key := fmt.Sprint(table, id); id != 0 && !ed.touched[key] {
			ed.touched[key] = true
			return id
		}
	}
	ed.t.Fatalf("no untouched row of %s", table)
	return 0
}

// nearParcel is a point within ±150 m of a random parcel's point on surface (GeoJSON, EPSG:4326).
func (ed *lcEditor) nearParcel() string {
	return ed.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_Translate(ST_PointOnSurface(geom_m), $2::float8, $3::float8), 4326), 15) FROM residential_land
		ORDER BY id OFFSET floor($1::float8 * (SELECT count(*) FROM residential_land)) LIMIT 1`,
		ed.rng.Float64(), ed.rng.Float64()*300-150, ed.rng.Float64()*300-150)
}

func (ed *lcEditor) edit(sc *Scenario, prior []Change) string {
	ed.t.Helper()
	ctx := context.Background()
	cat := ed.cats[ed.rng.IntN(len(ed.cats))]
	var in ChangeInput
	switch k := ed.rng.IntN(14); k {
	case 11: // a park near a parcel: a diamond 30–80 m across, with a recorded entrance or none
		g := ed.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_Translate(ST_PointOnSurface(geom_m), $2::float8, $3::float8), $4::float8, 'quad_segs=1'), 4326), 15)
			FROM residential_land ORDER BY id OFFSET floor($1::float8 * (SELECT count(*) FROM residential_land)) LIMIT 1`,
			ed.rng.Float64(), ed.rng.Float64()*300-150, ed.rng.Float64()*300-150, 15+ed.rng.Float64()*25)
		in = ChangeInput{Layer: "parks", Op: OpAdd, Feature: feature(g, map[string]any{"name": "新公园", "park_class": []string{"garden", "square", "community"}[ed.rng.IntN(3)]})}
		if ed.rng.IntN(2) == 0 {
			in.Entrances = json.RawMessage(ed.scalar(`SELECT ST_AsGeoJSON(ST_Multi(ST_PointN(ST_ExteriorRing(ST_GeomFromGeoJSON($1)), 1)), 15)`, g))
		}
	case 12: // a park (or one added earlier) closed, reopened, moved or given a new entrance
		target := ed.pick("parks", "true")
		for _, c := range prior {
			if c.Layer == "parks" && c.Op == OpAdd && ed.rng.IntN(2) == 0 {
				target = c.FeatureID()
			}
		}
		props := map[string]any{"open_status": []string{"open", "shared", "closed"}[ed.rng.IntN(3)]}
		geom := "null"
		if target > 0 && ed.rng.IntN(2) == 0 {
			geom = ed.scalar(`SELECT ST_AsGeoJSON(ST_Translate(geom, $2::float8, $3::float8), 15) FROM parks WHERE id = $1`,
				target, ed.rng.Float64()*0.002-0.001, ed.rng.Float64()*0.002-0.001)
		}
		in = ChangeInput{Layer: "parks", Op: OpModify, Target: target, Feature: feature(geom, props)}
		if target > 0 && ed.rng.IntN(2) == 0 {
			in.Entrances = json.RawMessage(ed.scalar(`SELECT ST_AsGeoJSON(ST_Multi(ST_PointOnSurface(geom)), 15) FROM parks WHERE id = $1`, target))
		}
	case 13:
		in = ChangeInput{Layer: "parks", Op: OpDelete, Target: ed.pick("parks", "true")}
	case 0, 1:
		in = ChangeInput{Layer: "facilities", Op: OpAdd, Feature: feature(ed.nearParcel(), map[string]any{"category": cat, "name": "新设施"})}
	case 2:
		in = ChangeInput{Layer: "facilities", Op: OpDelete, Target: ed.pick("facilities", "true")}
	case 3: // moved, perhaps re-categorised; or a facility added earlier re-categorised
		target := ed.pick("facilities", "true")
		for _, c := range prior {
			if c.Layer == "facilities" && c.Op == OpAdd && ed.rng.IntN(2) == 0 {
				target = c.FeatureID()
			}
		}
		props := map[string]any{}
		if ed.rng.IntN(2) == 0 {
			props["category"] = cat
		}
		geom := ed.nearParcel()
		if ed.rng.IntN(3) == 0 {
			geom = "null"
			props["category"] = cat
		}
		in = ChangeInput{Layer: "facilities", Op: OpModify, Target: target, Feature: feature(geom, props)}
	case 4, 5:
		dev := ed.scalar(`SELECT ST_AsGeoJSON(ST_Translate(geom, $2::float8, $3::float8), 15) FROM residential_land
			ORDER BY id OFFSET floor($1::float8 * (SELECT count(*) FROM residential_land)) LIMIT 1`, ed.rng.Float64(), ed.rng.Float64()*0.004-0.002, ed.rng.Float64()*0.004-0.002)
		in = ChangeInput{Layer: "residential_land", Op: OpAdd, Feature: feature(dev, map[string]any{"population": ed.rng.IntN(3000), "households": 0})}
	case 6:
		in = ChangeInput{Layer: "residential_land", Op: OpDelete, Target: ed.pick("residential_land", "true")}
	case 7:
		in = ChangeInput{Layer: "residential_land", Op: OpModify, Target: ed.pick("residential_land", "true"),
			Feature: feature("null", map[string]any{"population": ed.rng.IntN(5000), "households": 0})}
	case 8:
		in = ChangeInput{Layer: "network_edges", Op: OpModify, Target: ed.pick("network_edges", "walkable"),
			Feature: feature("null", map[string]any{"walkable": false})}
	case 9:
		in = ChangeInput{Layer: "network_edges", Op: OpDelete, Target: ed.pick("network_edges", "walkable")}
	default:
		bridge := ed.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_MakeLine(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m)), 4326), 15)
			FROM (SELECT * FROM network_edges WHERE walkable ORDER BY id OFFSET floor($1::float8 * (SELECT count(*) FROM network_edges)) LIMIT 1) a
			JOIN network_edges b ON b.city_id = a.city_id AND b.walkable AND b.source <> a.source
			WHERE ST_DWithin(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m), 250) AND NOT ST_DWithin(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m), 40)
			ORDER BY b.id LIMIT 1`, ed.rng.Float64()*0.9)
		if bridge == "" {
			return ed.edit(sc, prior)
		}
		in = ChangeInput{Layer: "network_edges", Op: OpAdd, Feature: feature(bridge, map[string]any{"highway": "footway", "bridge": true, "name": "人行天桥"})}
	}
	c, err := ed.e.svc.Store.AddChange(ctx, sc, in)
	if err != nil {
		ed.t.Fatalf("change %s %s %d: %v", in.Layer, in.Op, in.Target, err)
	}
	return fmt.Sprintf("%s:%s:%d", c.Layer, c.Op, c.FeatureID())
}

// TestLivingCircleIncrementalEqualsPromoted: on the demo city (scale 0.05), 14 random
// sequences of 1–6 edits (facilities added, deleted, moved, re-categorised; developments
// added, parcels deleted or re-populated; roads closed or deleted; footbridges added;
// parks added with or without entrances, closed, reopened, moved, deleted),
// each made through Store.AddChange. The scenario's incremental result (forced
// incremental whatever its size) is then set against a full recomputation made
// independently: the scenario is promoted into the baseline tables and a fresh walking
// service loads the promoted data from PostGIS and computes the reach of every parcel from
// scratch. Every parcel's distance to every category, its attachment, the facility counts
// and the figures of every area at every level agree. The next sequence starts from the
// promoted baseline.
func TestLivingCircleIncrementalEqualsPromoted(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	ctx := context.Background()
	db := testdb.New(t)
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	e := lcServices(t, db.Pool)
	e.lc.FullShare = 2
	ed := &lcEditor{t: t, e: e, rng: rand.New(rand.NewPCG(13, 2026)), touched: map[string]bool{}}
	rows, err := db.Pool.Query(ctx, `SELECT code FROM facility_categories WHERE source = 'facilities' ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		ed.cats = append(ed.cats, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	levels := []string{walk.LevelCity, walk.LevelDistrict, walk.LevelSubdistrict, walk.LevelCommunity}
	totalRecomputed, totalParcels := 0, 0
	for seq := range 14 {
		sc, err := e.svc.Store.Create(ctx, "baotou", fmt.Sprintf("random %d", seq), "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		var edits []string
		for range 1 + ed.rng.IntN(6) {
			full, _ := e.svc.Store.Get(ctx, sc.ID, true)
			edits = append(edits, ed.edit(sc, full.Changes))
		}
		sc, _ = e.svc.Store.Get(ctx, sc.ID, true)
		b, err := e.lc.baseline(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.lc.apply(ctx, sc, b)
		if err != nil {
			t.Fatal(err)
		}
		if a.Full {
			t.Fatalf("seq %d fell back to a full recomputation with FullShare 2", seq)
		}
		inc, err := walk.IndicatorLevels(a.Net, a.In, a.Reach, walk.Options{}, levels)
		if err != nil {
			t.Fatal(err)
		}
		totalRecomputed += a.Recomputed
		totalParcels += len(a.In.Parcels)
		t.Logf("seq %d %v: %d of %d parcels, %d pairs recomputed", seq, edits, a.Recomputed, len(a.In.Parcels), a.Pairs)

		// The independent full recomputation: promote, reload from PostGIS, compute.
		pr, err := e.svc.Store.Promote(ctx, sc.ID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		newID := map[int64]int64{}
		for _, f := range pr.Features {
			if f.Op == OpAdd {
				newID[-int64(f.N)] = f.FeatureID
			}
		}
		ws := walk.NewService(db.Pool, nil)
		city, _ := ws.City(ctx, "baotou")
		n, in, r, err := ws.Baseline(ctx, city)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Parcels) != len(a.In.Parcels) || len(in.Facilities) != len(a.In.Facilities) || n.Graph.NumEdges() != a.Net.Graph.NumEdges() {
			t.Fatalf("seq %d: promoted %d parcels, %d facilities, %d edges; scenario %d, %d, %d", seq,
				len(in.Parcels), len(in.Facilities), n.Graph.NumEdges(), len(a.In.Parcels), len(a.In.Facilities), a.Net.Graph.NumEdges())
		}
		at := map[int64]int{}
		for i, p := range in.Parcels {
			at[p.ID] = i
		}
		for p, pc := range a.In.Parcels {
			id := pc.ID
			if id < 0 {
				id = newID[id]
			}
			j, ok := at[id]
			if !ok {
				t.Fatalf("seq %d: scenario parcel %d is not in the promoted baseline", seq, pc.ID)
			}
			if a.Reach.Attached[p] != r.Attached[j] {
				t.Fatalf("seq %d: parcel %d attached %v, promoted %v", seq, pc.ID, a.Reach.Attached[p], r.Attached[j])
			}
			for k := range r.Categories {
				g, w := a.Reach.Dist[k][p], r.Dist[k][j]
				if !(g == w || math.Abs(g-w) <= 1e-9) {
					t.Fatalf("seq %d %v: parcel %d, %s: %.9f m incrementally, %.9f m after promotion", seq, edits, pc.ID, r.Categories[k].Code, g, w)
				}
				// The nearest facility (walk.Parcels' facility_id): the promoted one, by id.
				gi, wi := a.Reach.Nearest[k][p], r.Nearest[k][j]
				if (gi < 0) != (wi < 0) {
					t.Fatalf("seq %d: parcel %d, %s: nearest facility %d incrementally, %d after promotion", seq, pc.ID, r.Categories[k].Code, gi, wi)
				}
				if gi >= 0 {
					gid := a.In.Facilities[gi].ID
					if gid < 0 {
						gid = newID[gid]
					}
					if gid != in.Facilities[wi].ID {
						t.Fatalf("seq %d %v: parcel %d, %s: nearest facility %d incrementally, %d after promotion", seq, edits, pc.ID, r.Categories[k].Code, gid, in.Facilities[wi].ID)
					}
				}
			}
		}
		gj, _ := json.Marshal([]any{a.Reach.Facilities, a.Reach.Unattached.Parcels})
		wj, _ := json.Marshal([]any{r.Facilities, r.Unattached.Parcels})
		if string(gj) != string(wj) || math.Abs(a.Reach.Unattached.Population-r.Unattached.Population) > 1e-6 {
			t.Fatalf("seq %d: counts %s %v, promoted %s %v", seq, gj, a.Reach.Unattached, wj, r.Unattached)
		}
		want, err := walk.IndicatorLevels(n, in, r, walk.Options{}, levels)
		if err != nil {
			t.Fatal(err)
		}
		for li := range levels {
			g, w := inc[li], want[li]
			if g.CompleteCommunities != w.CompleteCommunities || g.CompleteSubdistricts != w.CompleteSubdistricts || g.Communities != w.Communities || len(g.Areas) != len(w.Areas) {
				t.Fatalf("seq %d %s: complete %d/%d, %d 街道; promoted %d/%d, %d", seq, levels[li], g.CompleteCommunities, g.Communities, g.CompleteSubdistricts,
					w.CompleteCommunities, w.Communities, w.CompleteSubdistricts)
			}
			for i := range w.Areas {
				ga, wa := g.Areas[i], w.Areas[i]
				if ga.ID != wa.ID || ga.Status != wa.Status || ga.Parcels != wa.Parcels || math.Abs(ga.Population-wa.Population) > 1e-6 ||
					math.Abs(ga.ResidentialM2-wa.ResidentialM2) > 1e-6 {
					t.Fatalf("seq %d %s area %d: %+v, promoted %+v", seq, levels[li], wa.ID, ga, wa)
				}
				for k := range wa.Coverage {
					if math.Abs(ga.Coverage[k].PopulationShare-wa.Coverage[k].PopulationShare) > 1e-9 || math.Abs(ga.Coverage[k].AreaShare-wa.Coverage[k].AreaShare) > 1e-9 {
						t.Fatalf("seq %d %s area %d %s: %+v, promoted %+v", seq, levels[li], wa.ID, wa.Coverage[k].Code, ga.Coverage[k], wa.Coverage[k])
					}
				}
			}
		}
	}
	if totalRecomputed >= totalParcels {
		t.Errorf("recomputed %d of %d parcels over the sequences: nothing was saved", totalRecomputed, totalParcels)
	}
}
