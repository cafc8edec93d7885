package problems_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/problems"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// The fixture is drawn in EPSG:4546 metres relative to an origin near Baotou (testdb.Baotou): one
// district (150201), one 街道, three communities of 2 × 2 km side by side:
//
//	A 150201001001  x    0–2000   parcel pa [950,1050]²                      1,000 residents
//	B 150201001002  x 2000–4000   parcel pb [2950,3050]×[950,1050]           1,000
//	C 150201001003  x 4000–6000   parcels pc1 [4950,5050]×[950,1050] and
//	                               pc2 [5800,5900]×[1700,1800] (100 × 100 m)  1,000 each
//
// One street runs along y = 900 from x = 0 to 6000 (nodes every 500 m). Parks are 50 ×
// 50 m gardens (2,500 m²: a 300 m radius under GB/T 50563-2010), 50 m above a parcel:
// their 300 m buffer covers the whole parcel (its farthest corner is √(25²+150²) ≈ 152 m
// away) and nothing else (the next parcel is ≥ 775 m away).
//
//	2024 现状: park P_B over pb, park P_C over pc1; a kindergarten at (1000, 900).
//	2025 现状: P_A over pa added, P_B removed; facilities of the 12 other basic categories
//	           added at (1000, 900).
//
// Park coverage (threshold: the caliber's first target, 80 %):
//
//	2024: A 0 (problem), B 1, C 0.5 (pc1 of two equal parcels; problem)
//	2025: A 1, B 0 (problem), C 0.5 (problem)
//	→ A fixed, B new, C persisting.
//
// The 15-minute living circle (13 basic categories; all facilities sit at (1000, 900),
// 50 m from pa's edge and ≥ 1,900 m of street from pb, pc1 and pc2, beyond the longest
// reach of 1,000 m):
//
//	2024: A reaches only the kindergarten (1/13), B and C nothing: three problems
//	2025: A reaches all 13 (complete), B and C nothing
//	→ A fixed, B and C persisting.
//
// The complete-community scorecard, under a two-item checklist (checklist below: a
// 幼儿园 and a 社区综合服务站 within the 500 m tier; network reach, a facility inside the
// community counts): the facilities at (1000, 900) lie inside A and 1,000 m of street from
// B's nearest point (the node at x = 2000), so only A is served.
//
//	2024: A has the kindergarten only (score 1/2, missing community_service), B and C 0/2:
//	      three problems
//	2025: A has both (complete), B and C 0/2
//	→ A fixed, B and C persisting.
//
// 整治率: the city had 2 + 3 + 3 = 8 problems in 2024, of which 3 are fixed: 0.375. A: 3 of
// 3 (1.0); B: 0 of 2 (its coverage problem is new); C: 0 of 3.
var (
	env = testdb.Baotou.Box
	pt  = testdb.Baotou.Point
)

var basic = []string{"community_service", "clinic", "middle_school", "primary_school", "kindergarten", "vegetable_market",
	"elderly_care", "culture", "sports", "convenience_store", "supermarket", "pharmacy", "post_express"}

// fixture loads the city, publishes 2024 现状, edits it, publishes 2025 现状.
func fixture(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	var city int
	if err := pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('tj', '体检城', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) {
		t.Helper()
		var args []any
		if strings.Contains(sql, "$1") {
			args = []any{city}
		}
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO districts (id, city_id, adcode, name, geom) VALUES (1, $1, '150201', '西区', ` + env(0, 0, 6000, 2000) + `)`)
	exec(`INSERT INTO subdistricts (id, city_id, district_id, code, name, geom) VALUES (1, $1, 1, '150201001', '西街道', ` + env(0, 0, 6000, 2000) + `)`)
	for k, name := range []string{"A", "B", "C"} {
		exec(fmt.Sprintf(`INSERT INTO communities (city_id, subdistrict_id, code, name, population, households, geom) VALUES ($1, 1, '%012d', '社区%s', 2000, 700, %s)`,
			150201001001+k, name, env(float64(2000*k), 0, float64(2000*k+2000), 2000)))
	}
	for _, p := range [][4]float64{{950, 950, 1050, 1050}, {2950, 950, 3050, 1050}, {4950, 950, 5050, 1050}, {5800, 1700, 5900, 1800}} {
		exec(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 1000, 350, ` + env(p[0], p[1], p[2], p[3]) + `)`)
	}
	for i := 0; i < 12; i++ {
		exec(fmt.Sprintf(`INSERT INTO network_edges (city_id, source, target, highway, geom) VALUES ($1, %d, %d, 'residential',
			ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint(%f, %f), ST_MakePoint(%f, %f)), 4546), 4326))`,
			i+1, i+2, testdb.Baotou.X0+float64(500*i), testdb.Baotou.Y0+900, testdb.Baotou.X0+float64(500*i+500), testdb.Baotou.Y0+900))
	}
	exec(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, 'P_B', 'garden', ` + env(2975, 1100, 3025, 1150) + `), ($1, 'P_C', 'garden', ` + env(4975, 1100, 5025, 1150) + `)`)
	exec(`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, 'kindergarten', '幼儿园', ` + pt(1000, 900) + `)`)
	eds := edition.Store{Pool: pool}
	for _, step := range []struct {
		name  string
		edits []string
	}{
		{"2024 现状", nil},
		{"2025 现状", []string{
			`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, 'P_A', 'garden', ` + env(975, 1100, 1025, 1150) + `)`,
			`DELETE FROM parks WHERE city_id = $1 AND name = 'P_B'`,
		}},
	} {
		for _, e := range step.edits {
			exec(e)
		}
		if step.name == "2025 现状" {
			for _, cat := range basic {
				if cat != "kindergarten" {
					exec(`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, '` + cat + `', '` + cat + `', ` + pt(1000, 900) + `)`)
				}
			}
		}
		e, err := eds.Create(ctx, edition.New{City: "tj", Name: step.name}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eds.Publish(ctx, e.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	// After the last edition: a change the ledger between the two editions must not see.
	exec(`DELETE FROM parks WHERE city_id = $1 AND name = 'P_C'`)
}

func source(t *testing.T, pool *pgxpool.Pool) problems.Source {
	t.Helper()
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ws := walk.NewService(pool, nil)
	return problems.Source{Pool: pool, Coverage: &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg}, Walk: ws,
		Checks: &checks.Service{Store: &checks.Store{Pool: pool}, Config: checklist(), Reach: checks.NetworkReach{Walk: ws}}}
}

// checklist is the default configuration with a two-item scorecard the fixture can be
// worked by hand on.
func checklist() checks.Config {
	cfg := checks.DefaultConfig()
	cfg.Scorecard.Tier = 500
	cfg.Scorecard.Items = []checks.Item{
		{Key: "kindergarten", Label: "幼儿园", Categories: []string{"kindergarten"}},
		{Key: "community_service", Label: "社区综合服务站", Categories: []string{"community_service"}},
	}
	return cfg
}

// TestLedgerHandWorked compares the ledger of the fixture between its two editions with
// the hand-worked list above; ids with SHA-256 computed by PostgreSQL, locations and the
// sites' gains with PostGIS on the fixture's own rows.
func TestLedgerHandWorked(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	fixture(t, db.Pool)
	src := source(t, db.Pool)
	led, err := src.Ledger(ctx, problems.Query{City: "tj", From: "2024 现状", To: "2025 现状", Caliber: "gbt50563-2010", Sites: 10})
	if err != nil {
		t.Fatal(err)
	}
	if led.From == nil || led.From.Edition != "2024 现状" || led.To.Edition != "2025 现状" || led.Caliber != "gbt50563-2010" || led.Method != caliber.Buffer {
		t.Fatalf("ledger heading: from %+v to %+v, caliber %s %s", led.From, led.To, led.Caliber, led.Method)
	}
	if led.Thresholds[problems.ParkCoverage] != 0.8 || led.Thresholds[problems.LivingCircle] != 1 || led.Thresholds[problems.Complete] != 1 {
		t.Errorf("thresholds %v, want park-coverage 0.8 (GB/T 50563's first target), living-circle and complete-communities 1", led.Thresholds)
	}
	code := func(u string) string {
		return map[string]string{"A": "150201001001", "B": "150201001002", "C": "150201001003"}[u]
	}
	type want struct {
		ind, unit, status    string
		value, before, after float64
		missing              int // basic categories (living circle) or checklist items missing
		sites                int // candidate sites in the unit (park coverage)
	}
	const n = 1.0 / 13
	wants := []want{
		{problems.ParkCoverage, "A", problems.StatusFixed, 0, 0, 1, 0, 0},
		{problems.ParkCoverage, "B", problems.StatusNew, 0, math.NaN(), 0, 0, 1},
		{problems.ParkCoverage, "C", problems.StatusPersisting, 0.5, 0.5, 0.5, 0, 1},
		{problems.LivingCircle, "A", problems.StatusFixed, n, n, 1, 12, 0},
		{problems.LivingCircle, "B", problems.StatusPersisting, 0, 0, 0, 13, 0},
		{problems.LivingCircle, "C", problems.StatusPersisting, 0, 0, 0, 13, 0},
		{problems.Complete, "A", problems.StatusFixed, 0.5, 0.5, 1, 1, 0},
		{problems.Complete, "B", problems.StatusPersisting, 0, 0, 0, 2, 0},
		{problems.Complete, "C", problems.StatusPersisting, 0, 0, 0, 2, 0},
	}
	if len(led.Problems) != len(wants) {
		for _, p := range led.Problems {
			t.Logf("%s %s %s %v", p.Indicator, p.Unit.Code, p.Status, p.Value)
		}
		t.Fatalf("%d problems, want %d", len(led.Problems), len(wants))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for i, w := range wants {
		p := led.Problems[i]
		what := w.ind + " " + w.unit
		if p.Indicator != w.ind || p.Unit.Code != code(w.unit) || p.Status != w.status || !near(p.Value, w.value) {
			t.Errorf("%s: got %s %s %s value %v", what, p.Indicator, p.Unit.Code, p.Status, p.Value)
		}
		if math.IsNaN(w.before) != (p.Before == nil) || p.Before != nil && !near(*p.Before, w.before) {
			t.Errorf("%s: before %v, want %v", what, p.Before, w.before)
		}
		if p.After == nil || !near(*p.After, w.after) {
			t.Errorf("%s: after %v, want %v", what, p.After, w.after)
		}
		if len(p.Remedy.Missing) != w.missing || len(p.Remedy.MissingNames) != w.missing {
			t.Errorf("%s: missing %v, want %d categories", what, p.Remedy.Missing, w.missing)
		}
		if w.unit == "A" && w.ind == problems.LivingCircle && strings.Contains(strings.Join(p.Remedy.Missing, ","), "kindergarten") {
			t.Errorf("%s: the kindergarten was reached in 2024, yet missing: %v", what, p.Remedy.Missing)
		}
		if w.ind == problems.Complete {
			want := []string{"kindergarten", "community_service"}
			names := []string{"幼儿园", "社区综合服务站"}
			if w.unit == "A" {
				want, names = want[1:], names[1:]
			}
			if !slices.Equal(p.Remedy.Missing, want) || !slices.Equal(p.Remedy.MissingNames, names) {
				t.Errorf("%s: missing %v %v, want %v %v", what, p.Remedy.Missing, p.Remedy.MissingNames, want, names)
			}
		}
		// The stable id: SHA-256 of the key, computed by PostgreSQL.
		key := "tj/" + w.ind + "/community/" + code(w.unit)
		var id string
		if err := db.Pool.QueryRow(ctx, `SELECT 'P' || left(encode(sha256(convert_to($1, 'UTF8')), 'hex'), 16)`, key).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if p.Key != key || p.ID != id {
			t.Errorf("%s: id %s key %s, want %s %s", what, p.ID, p.Key, id, key)
		}
		// The location is the community's boundary.
		var d float64
		if err := db.Pool.QueryRow(ctx, `SELECT ST_HausdorffDistance(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 4546), ST_Transform(c.geom, 4546))
			FROM communities c JOIN cities ci ON ci.id = c.city_id WHERE ci.slug = 'tj' AND c.code = $2`, string(p.Geometry()), code(w.unit)).Scan(&d); err != nil {
			t.Fatal(err)
		}
		if d > 0.05 {
			t.Errorf("%s: the location is %.3f m off the community's boundary", what, d)
		}
		// Each site lies in the unit's gap parcel (pb, pc2) and covers all of it.
		if len(p.Remedy.Sites) != w.sites {
			t.Errorf("%s: %d sites, want %d: %+v", what, len(p.Remedy.Sites), w.sites, p.Remedy.Sites)
			continue
		}
		for _, s := range p.Remedy.Sites {
			var area float64
			var in bool
			if err := db.Pool.QueryRow(ctx, `SELECT ST_Area(r.geom_m), true FROM residential_land r JOIN cities ci ON ci.id = r.city_id
				WHERE ci.slug = 'tj' AND ST_Contains(r.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`, s.Lon, s.Lat).Scan(&area, &in); err != nil {
				t.Fatalf("%s: site %+v is in no parcel: %v", what, s, err)
			}
			if math.Abs(s.GainM2-area) > 1e-3 || math.Abs(area-10000) > 0.01 {
				t.Errorf("%s: site gain %v m², its parcel %v m² (10,000 by hand)", what, s.GainM2, area)
			}
		}
	}
	// 整治率.
	rate := func(r problems.Rate, earlier, fixed, persisting, nw int, v float64) {
		t.Helper()
		if r.Earlier != earlier || r.Fixed != fixed || r.Persisting != persisting || r.New != nw || r.Rate == nil || !near(*r.Rate, v) {
			t.Errorf("%s %s: %+v (rate %v), want earlier %d fixed %d persisting %d new %d rate %v", r.Level, r.Code, r, r.Rate, earlier, fixed, persisting, nw, v)
		}
	}
	rate(led.Rate, 8, 3, 5, 1, 0.375)
	if len(led.Units) != 3 || len(led.Districts) != 1 {
		t.Fatalf("units %+v districts %+v", led.Units, led.Districts)
	}
	rate(led.Units[0], 3, 3, 0, 0, 1)
	rate(led.Units[1], 2, 0, 2, 1, 0)
	rate(led.Units[2], 3, 0, 3, 0, 0)
	rate(led.Districts[0], 8, 3, 5, 1, 0.375)

	exportsEqual(t, led)

	// Filters: park coverage alone has 1 of 2 fixed; status and unit keep their problems
	// and that unit's rate.
	pc, err := src.Ledger(ctx, problems.Query{City: "tj", From: "2024 现状", To: "2025 现状", Caliber: "gbt50563-2010", Indicators: []string{problems.ParkCoverage}})
	if err != nil {
		t.Fatal(err)
	}
	rate(pc.Rate, 2, 1, 1, 1, 0.5)
	fixed, err := src.Ledger(ctx, problems.Query{City: "tj", From: "2024 现状", To: "2025 现状", Caliber: "gbt50563-2010", Status: problems.StatusFixed, Unit: code("A")})
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Problems) != 3 || len(fixed.Units) != 1 {
		t.Errorf("status=fixed unit=A: %d problems, units %+v", len(fixed.Problems), fixed.Units)
	}
	for _, p := range fixed.Problems {
		if p.Status != problems.StatusFixed {
			t.Errorf("status=fixed unit=A: %s is %s", p.Indicator, p.Status)
		}
	}
	rate(fixed.Rate, 8, 3, 5, 1, 0.375)
	// The scorecard alone: A's is fixed, B's and C's persist: 1 of 3.
	cc, err := src.Ledger(ctx, problems.Query{City: "tj", From: "2024 现状", To: "2025 现状", Indicators: []string{problems.Complete}})
	if err != nil {
		t.Fatal(err)
	}
	rate(cc.Rate, 3, 1, 2, 0, 1.0/3)
	// A process without the scorecard leaves it out, and refuses it when asked for.
	noChecks := src
	noChecks.Checks = nil
	if l, err := noChecks.Ledger(ctx, problems.Query{City: "tj", From: "2024 现状", To: "2025 现状", Caliber: "gbt50563-2010"}); err != nil || slices.Contains(l.Indicators, problems.Complete) {
		t.Errorf("without the scorecard: %v, %v", err, l)
	}
	if _, err := noChecks.Ledger(ctx, problems.Query{City: "tj", Indicators: []string{problems.Complete}}); err == nil {
		t.Error("without the scorecard, complete-communities was not refused")
	}

	// Without from, the ledger to 2025 compares with the published edition before it.
	def, err := src.Ledger(ctx, problems.Query{City: "tj", To: "2025 现状", Caliber: "gbt50563-2010", Indicators: []string{problems.ParkCoverage}})
	if err != nil {
		t.Fatal(err)
	}
	if def.From == nil || def.From.Edition != "2024 现状" {
		t.Errorf("default from: %+v, want 2024 现状", def.From)
	}
	// 2024 alone: nothing earlier, every problem open, no rate.
	first, err := src.Ledger(ctx, problems.Query{City: "tj", To: "2024 现状", Caliber: "gbt50563-2010", Indicators: []string{problems.ParkCoverage}})
	if err != nil {
		t.Fatal(err)
	}
	if first.From != nil || len(first.Problems) != 2 || first.Problems[0].Status != problems.StatusOpen || first.Rate.Rate != nil {
		t.Errorf("2024 alone: from %+v, %d problems, rate %v", first.From, len(first.Problems), first.Rate.Rate)
	}
	// Now (P_C deleted after 2025): C's coverage is 0, still a problem with the same id.
	now, err := src.Ledger(ctx, problems.Query{City: "tj", From: "2025 现状", Caliber: "gbt50563-2010", Indicators: []string{problems.ParkCoverage}})
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Problems) != 2 || now.Problems[1].Unit.Code != code("C") || now.Problems[1].Value != 0 || now.Problems[1].ID != led.Problems[2].ID ||
		now.Problems[1].Status != problems.StatusPersisting {
		t.Errorf("now: %+v", now.Problems)
	}
	for _, bad := range []problems.Query{
		{City: "tj", Indicators: []string{"parks"}},
		{City: "tj", Status: "closed"},
		{City: "tj", From: "2025 现状", To: "2024 现状"},
		{City: "tj", From: "2023 现状"},
		{City: "tj", MinCoverage: 1.5},
		{City: "tj", Sites: 1000},
		{City: ""},
	} {
		_, err := src.Ledger(ctx, bad)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.KindInvalid {
			t.Errorf("%+v: %v, want an Invalid fault", bad, err)
		}
	}
}

// exportsEqual reads the XLSX and the GeoJSON of led back and compares them with the
// hand-worked ledger: a row and a feature per problem, the site points, the rates.
func exportsEqual(t *testing.T, led *problems.Ledger) {
	t.Helper()
	var buf bytes.Buffer
	if err := problems.WriteXLSX(&buf, led, "zh"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck
	if got := f.GetSheetList(); !slices.Equal(got, []string{"问题清单", "整治率", "说明"}) {
		t.Errorf("sheets %v", got)
	}
	rows, err := f.GetRows("问题清单")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 || rows[0][0] != "问题编号" {
		t.Fatalf("问题清单: %d rows, header %v", len(rows), rows[0])
	}
	wantStatus := []string{"已整改", "新增", "持续", "已整改", "持续", "持续", "已整改", "持续", "持续"}
	for i, p := range led.Problems {
		r := rows[i+1]
		if r[0] != p.ID || r[1] != wantStatus[i] || r[3] != "150201" || r[6] != p.Unit.Code {
			t.Errorf("row %d: %v, want %s %s", i+1, r, p.ID, wantStatus[i])
		}
	}
	if !strings.Contains(rows[2][12], "公园选址 1 处") || !strings.Contains(rows[5][12], "幼儿园") || rows[8][12] != "补齐完整社区配置项：幼儿园、社区综合服务站" {
		t.Errorf("remedies: %q, %q, %q", rows[2][12], rows[5][12], rows[8][12])
	}
	rates, err := f.GetRows("整治率")
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 6 || !slices.Equal(rates[1], []string{"全市", "tj", "体检城", "8", "3", "5", "1", "0.375"}) ||
		!slices.Equal(rates[3], []string{"社区", "150201001001", "社区A", "3", "3", "0", "0", "1"}) {
		t.Errorf("整治率: %v", rates)
	}
	b, err := problems.GeoJSON(led, "en")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			ID         string         `json:"id"`
			Geometry   map[string]any `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 11 {
		t.Fatalf("%d features, want 9 problems and 2 sites", len(fc.Features))
	}
	for i, p := range led.Problems {
		ft := fc.Features[i]
		if ft.ID != p.ID || ft.Properties["status"] != p.Status || ft.Geometry["type"] != "MultiPolygon" {
			t.Errorf("feature %d: %s %v %v", i, ft.ID, ft.Properties["status"], ft.Geometry["type"])
		}
	}
	for _, ft := range fc.Features[9:] {
		if ft.Properties["kind"] != "site" || ft.Geometry["type"] != "Point" {
			t.Errorf("site feature %+v", ft)
		}
	}
}
