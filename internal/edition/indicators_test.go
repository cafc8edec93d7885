package edition_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// The fixture city is drawn in EPSG:4546 metres relative to (x0, y0), near Baotou: a
// 100 m street grid of 11 × 11 nodes, one residential parcel of 70 × 70 m in each block
// but the park blocks, parks in some blocks, two districts, four 街道, eight communities
// and a few facilities.
const (
	x0 = 480000.0
	y0 = 4500000.0
)

var local = testdb.Local{X0: x0, Y0: y0}

func env(a, b, c, d float64) string { return local.Box(a, b, c, d) }

func ptAt(x, y float64) string { return local.Point(x, y) }

// parkBlocks have no parcel.
var parkBlocks = map[[2]int]bool{{2, 2}: true, {7, 3}: true, {4, 8}: true, {8, 8}: true, {1, 7}: true}

// fixtureCity bulk-loads the city as the demo loader does (no history) and returns its id.
func fixtureCity(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var city int
	stmts := []string{`SELECT set_config('cityreach.bulk_load', 'on', true)`}
	if err := tx.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('ed', '版本城', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	node := func(i, j string) string { return "(" + i + ")*11+(" + j + ")+1" }
	for _, d := range [][2]string{{"i+1", "j"}, {"i", "j+1"}} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO network_edges (city_id, source, target, highway, geom)
			SELECT $1, %s, %s, 'residential', ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint(%f + 100*i, %f + 100*j), ST_MakePoint(%f + 100*(%s), %f + 100*(%s))), 4546), 4326)
			FROM generate_series(0, 10) i, generate_series(0, 10) j WHERE %s <= 10 AND %s <= 10`,
			node("i", "j"), node(d[0], d[1]), x0, y0, x0, d[0], y0, d[1], d[0], d[1]))
	}
	for i := 0; i < 10; i++ {
		for j := 0; j < 10; j++ {
			if !parkBlocks[[2]int{i, j}] {
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, %d, %d, %s)`,
					100+10*i+j, 30, env(float64(100*i+15), float64(100*j+15), float64(100*i+85), float64(100*j+85))))
			}
		}
	}
	for k, b := range [][2]int{{2, 2}, {7, 3}, {4, 8}} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '公园%d', 'garden', %s)`,
			k, env(float64(100*b[0]+20), float64(100*b[1]+20), float64(100*b[0]+80), float64(100*b[1]+80))))
	}
	stmts = append(stmts,
		`INSERT INTO districts (id, city_id, adcode, name, geom) VALUES (1, $1, '150201', '西区', `+env(0, 0, 500, 1000)+`), (2, $1, '150202', '东区', `+env(500, 0, 1000, 1000)+`)`,
		`INSERT INTO subdistricts (city_id, district_id, code, name, geom) VALUES
			($1, 1, '150201001', '西南', `+env(0, 0, 500, 500)+`), ($1, 1, '150201002', '西北', `+env(0, 500, 500, 1000)+`),
			($1, 2, '150202001', '东南', `+env(500, 0, 1000, 500)+`), ($1, 2, '150202002', '东北', `+env(500, 500, 1000, 1000)+`)`)
	for k := 0; k < 8; k++ {
		x, y := float64(250*(k%4)), float64(500*(k/4))
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO communities (city_id, code, name, population, households, geom) VALUES ($1, '%012d', '社区%d', 0, 0, %s)`,
			150201001001+k, k, env(x, y, x+250, y+500)))
	}
	for _, f := range []struct {
		cat  string
		x, y float64
	}{{"kindergarten", 250, 250}, {"kindergarten", 750, 750}, {"primary_school", 500, 500}, {"clinic", 300, 700}, {"vegetable_market", 600, 200}} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, '%s', '%s', %s)`, f.cat, f.cat, ptAt(f.x, f.y)))
	}
	for _, s := range stmts {
		var args []any
		if strings.Contains(s, "$1") {
			args = []any{city}
		}
		if _, err := tx.Exec(ctx, s, args...); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return city
}

// restore loads into the empty database dst only the rows of city as cityreach_as_of gives
// them in src at at, geometries as exact EWKB; dst's own triggers derive the rest, as for
// any load.
func restore(t *testing.T, src, dst *pgxpool.Pool, city int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := dst.Exec(ctx, `INSERT INTO cities (id, slug, name, adcode, metric_srid) SELECT $1, slug, name, adcode, metric_srid FROM jsonb_populate_record(NULL::cities, $2)`,
		city, mustJSON(t, src, `SELECT to_jsonb(c) - 'geom' - 'extent_m' FROM cities c WHERE id = $1`, city)); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"districts", "subdistricts", "communities", "parks", "park_entrances", "residential_land", "facilities", "network_edges"} {
		ident := pgx.Identifier{table}.Sanitize()
		rows := mustJSON(t, src, `SELECT coalesce(jsonb_agg(to_jsonb(r) || jsonb_build_object('geom', r.geom::text)), '[]') FROM cityreach_as_of(NULL::`+ident+`, $1, $2) r`, city, at)
		var cols string
		if err := dst.QueryRow(ctx, `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attname <> 'geom_m'`, table).Scan(&cols); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.Exec(ctx, `INSERT INTO `+ident+` (`+cols+`) SELECT `+cols+` FROM jsonb_populate_recordset(NULL::`+ident+`, $1)`, rows); err != nil {
			t.Fatalf("restoring %s: %v", table, err)
		}
	}
}

func mustJSON(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) json.RawMessage {
	t.Helper()
	var b json.RawMessage
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&b); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return b
}

// TestIndicatorsAsOfEqualRestoredDatabase: the park coverage (buffer and network) and the
// living circle computed as of an edition equal the same indicators computed afresh, as
// current data, on a second database holding only the rows of that edition (restore), to
// 1e-9; and differ from the figures of the data now, which was edited after the edition
// (so the comparison is not vacuous). Edits before the edition (history) and after it
// (history again, also of bulk-loaded rows), deletes and inserts all take part.
func TestIndicatorsAsOfEqualRestoredDatabase(t *testing.T) {
	a, b := testdb.New(t), testdb.New(t)
	ctx := context.Background()
	city := fixtureCity(t, a.Pool)
	exec := func(sql string) {
		t.Helper()
		if _, err := a.Pool.Exec(ctx, sql, city); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// Before the edition: park 公园2 shrinks to 50 × 50 m (2,500 m²: the 300 m band).
	exec(`UPDATE parks SET name = '公园2 改', geom = ` + env(420, 820, 470, 870) + ` WHERE city_id = $1 AND name = '公园2'`)
	ed, err := edition.Store{Pool: a.Pool}.Create(ctx, edition.New{City: "ed", Name: "2024 现状"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	// After it: a park goes, one comes, one grows past 5,000 m² (the 500 m band), a parcel
	// goes, another changes its residents, a facility goes, one comes, a street goes.
	exec(`DELETE FROM parks WHERE city_id = $1 AND name = '公园1'`)
	exec(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '新公园', 'garden', ` + env(820, 820, 880, 880) + `)`)
	exec(`UPDATE parks SET geom = ` + env(210, 210, 290, 290) + ` WHERE city_id = $1 AND name = '公园0'`)
	exec(`UPDATE parks SET name = '公园2 再改' WHERE city_id = $1 AND name = '公园2 改'`)
	exec(`DELETE FROM residential_land WHERE city_id = $1 AND population = 199`)
	exec(`UPDATE residential_land SET population = 5000 WHERE city_id = $1 AND population = 100`)
	exec(`DELETE FROM facilities WHERE city_id = $1 AND category = 'clinic'`)
	exec(`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, 'kindergarten', 'new', ` + ptAt(750, 250) + `)`)
	exec(`DELETE FROM network_edges WHERE city_id = $1 AND source = 5*11+5+1 AND target = 6*11+5+1`)

	restore(t, a.Pool, b.Pool, city, ed.AsOf)

	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	covA := &coverage.Service{Store: coverage.Store{Pool: a.Pool}, Calibers: reg}
	covB := &coverage.Service{Store: coverage.Store{Pool: b.Pool}, Calibers: reg}
	for _, method := range []string{caliber.Buffer, caliber.Network} {
		q := coverage.Query{City: "ed", Caliber: "gbt50563-2010", Method: method, Level: coverage.LevelCommunity}
		restored, err := covB.Indicator(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		now, err := covA.Indicator(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"2024 现状", ed.AsOf.Format(time.RFC3339Nano)} {
			qa := q
			qa.AsOf = ref
			past, err := covA.Indicator(ctx, qa)
			if err != nil {
				t.Fatalf("%s as of %s: %v", method, ref, err)
			}
			if past.AsOf == nil || !past.AsOf.At.Equal(ed.AsOf) {
				t.Errorf("%s as of %s: the answer says as_of %+v, want %s", method, ref, past.AsOf, ed.AsOf)
			}
			sameFigures(t, method+" as of "+ref, past, restored)
		}
		// The gap layer as of the edition (the gaps route, tiles and OGC collection read
		// it) equals the restored database's, feature for feature.
		qa := q
		qa.AsOf = "2024 现状"
		pastGaps, _, err := covA.Gaps(ctx, qa, 0)
		if err != nil {
			t.Fatalf("%s gaps as of: %v", method, err)
		}
		restoredGaps, _, err := covB.Gaps(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		nowGaps, _, err := covA.Gaps(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		if string(pastGaps) != string(restoredGaps) {
			t.Errorf("%s gaps as of the edition differ from the restored database's: %s", method, firstDiff(string(pastGaps), string(restoredGaps)))
		}
		if string(nowGaps) == string(restoredGaps) {
			t.Errorf("%s: the gaps now equal the edition's: the edits should have changed them", method)
		}
		if math.Abs(now.City1.Ratio-restored.City1.Ratio) < 1e-6 {
			t.Errorf("%s: the figure now (%v) equals the edition's (%v): the edits should have changed it", method, now.City1.Ratio, restored.City1.Ratio)
		}
	}

	wA, wB := walk.NewService(a.Pool, nil), walk.NewService(b.Pool, nil)
	for _, level := range []string{walk.LevelCommunity, walk.LevelDistrict} {
		opt := walk.Options{Level: level}
		past, err := wA.LivingCircleAsOf(ctx, "ed", opt, "2024 现状")
		if err != nil {
			t.Fatal(err)
		}
		restored, err := wB.LivingCircle(ctx, "ed", opt)
		if err != nil {
			t.Fatal(err)
		}
		now, err := wA.LivingCircle(ctx, "ed", opt)
		if err != nil {
			t.Fatal(err)
		}
		if past.AsOf == nil || past.AsOf.Edition != "2024 现状" {
			t.Errorf("living circle as of: the answer says %+v", past.AsOf)
		}
		// Everything but the answer's as_of and the load's duration must be the same.
		past.AsOf = nil
		past.Network.LoadMS, restored.Network.LoadMS, now.Network.LoadMS = 0, 0, 0
		pj, rj, nj := mustMarshal(t, past), mustMarshal(t, restored), mustMarshal(t, now)
		if pj != rj {
			t.Errorf("living circle %s as of the edition differs from the restored database's: %s", level, firstDiff(pj, rj))
		}
		if nj == rj {
			t.Errorf("living circle %s: the figures now equal the edition's: the edits should have changed them", level)
		}
	}

	// The complete-community scorecard (its layers and the walking network its reach walks)
	// as of the edition equals the scorecard of the restored database.
	scorecard := func(pool *pgxpool.Pool, asOf string) string {
		t.Helper()
		svc := &checks.Service{Store: &checks.Store{Pool: pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: walk.NewService(pool, nil)}}
		rep, err := svc.CompleteCommunities(ctx, checks.Request{City: "ed", AsOf: asOf})
		if err != nil {
			t.Fatalf("scorecard as of %q: %v", asOf, err)
		}
		if (asOf != "") != (rep.AsOf != nil) {
			t.Errorf("scorecard as of %q: the answer says as_of %+v", asOf, rep.AsOf)
		}
		rep.AsOf = nil
		return mustMarshal(t, rep)
	}
	past, restored, now := scorecard(a.Pool, "2024 现状"), scorecard(b.Pool, ""), scorecard(a.Pool, "")
	if past != restored {
		t.Errorf("scorecard as of the edition differs from the restored database's: %s", firstDiff(past, restored))
	}
	if now == restored {
		t.Error("scorecard: the figures now equal the edition's: the edits should have changed them")
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameFigures compares every figure of two coverage reports to 1e-9 (relative to the
// area or population it is part of).
func sameFigures(t *testing.T, what string, got, want *coverage.Report) {
	t.Helper()
	close := func(x, y, scale float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, scale) }
	figs := func(r *coverage.Report) map[string]coverage.AreaFigure {
		m := map[string]coverage.AreaFigure{}
		for _, f := range append([]coverage.AreaFigure{*r.City1}, r.Areas...) {
			m[fmt.Sprintf("%s/%d", f.Level, f.ID)] = f
		}
		return m
	}
	g, w := figs(got), figs(want)
	if len(g) != len(w) {
		t.Fatalf("%s: %d figures, the restored database %d", what, len(g), len(w))
	}
	for k, wf := range w {
		gf, ok := g[k]
		if !ok || gf.Parcels != wf.Parcels || !close(gf.CoveredM2, wf.CoveredM2, wf.TotalM2) || !close(gf.TotalM2, wf.TotalM2, wf.TotalM2) ||
			!close(gf.Ratio, wf.Ratio, 1) || !close(gf.CoveredPopulation, wf.CoveredPopulation, wf.Population) || !close(gf.PopulationShare, wf.PopulationShare, 1) {
			t.Errorf("%s, %s: %+v, restored database %+v", what, k, gf, wf)
		}
	}
}

// firstDiff shows where two JSON texts part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-120)
	return fmt.Sprintf("…%s… vs …%s…", a[lo:min(len(a), i+80)], b[lo:min(len(b), i+80)])
}
