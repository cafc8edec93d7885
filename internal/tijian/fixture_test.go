package tijian_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"
	"github.com/xuri/excelize/v2"
	_ "modernc.org/sqlite"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tijian"
	"github.com/cityreach/cityreach/internal/walk"
)

// The fixture is drawn in EPSG:4546 metres relative to (x0, y0), near Baotou: one street
// along y = 0 from x = 0 to 2000 (nodes at 0, 100, 250, 750, 1250, 1750, 1900, 2000, none on
// a community boundary) with two footpaths south, from (100, 0) to Pk1 at (100, −170) and
// from (1900, 0) to Pk3 at (1900, −85), two districts side by side, one 街道 in each, communities C1
// [0, 500], C2 [500, 1000] in the first and C3 [1000, 2000] in the second (y from −500 to
// 500), five parcels north of the street, three parks south of it and three facilities
// 10 m off the street.
var (
	at     = testdb.Metric{SRID: 4546, X0: 480000, Y0: 4500000}
	env    = at.Envelope
	ptAt   = at.Point
	street = at.Line
)

func fixtureCity(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	ctx := context.Background()
	var city int
	if err := pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('tj', '体检城', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	nodes := []float64{0, 100, 250, 750, 1250, 1750, 1900, 2000}
	var stmts []string
	for i := 0; i+1 < len(nodes); i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO network_edges (city_id, source, target, highway, geom) VALUES ($1, %d, %d, 'residential', %s)`,
			i+1, i+2, street(nodes[i], 0, nodes[i+1], 0)))
	}
	// The footpaths to Pk1 and Pk3 (nodes 101, 102): a park is entered where a path meets it.
	stmts = append(stmts,
		`INSERT INTO network_edges (city_id, source, target, highway, geom) VALUES ($1, 2, 101, 'footway', `+street(100, 0, 100, -170)+`)`,
		`INSERT INTO network_edges (city_id, source, target, highway, geom) VALUES ($1, 7, 102, 'footway', `+street(1900, 0, 1900, -85)+`)`)
	stmts = append(stmts,
		`INSERT INTO districts (id, city_id, adcode, name, geom) VALUES (1, $1, '150201', '西区', `+env(0, -500, 1000, 500)+`), (2, $1, '150202', '东区', `+env(1000, -500, 2000, 500)+`)`,
		`INSERT INTO subdistricts (id, city_id, district_id, code, name, geom) VALUES (11, $1, 1, '150201001', '西街道', `+env(0, -500, 1000, 500)+`),
			(12, $1, 2, '150202001', '东街道', `+env(1000, -500, 2000, 500)+`)`,
		`INSERT INTO communities (id, city_id, subdistrict_id, code, name, population, households, geom) VALUES
			(101, $1, 11, '150201001001', 'C1', 1000, 100, `+env(0, -500, 500, 500)+`),
			(102, $1, 11, '150201001002', 'C2', 1000, 100, `+env(500, -500, 1000, 500)+`),
			(103, $1, 12, '150202001001', 'C3', 1000, 100, `+env(1000, -500, 2000, 500)+`)`)
	// Parcels: 20 × 20 m (the last 20 × 40 m), their point on surface 30 m (40 m) from the street.
	for _, p := range []struct{ x, h, pop float64 }{{100, 20, 100}, {400, 20, 200}, {700, 20, 300}, {1200, 20, 400}, {1900, 40, 500}} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, %g, 10, %s)`, p.pop, env(p.x-10, 20, p.x+10, 20+p.h)))
	}
	stmts = append(stmts,
		// 900 m² 游园: a 公园绿化活动场地 (≥ 400 m², 300 m); 6400 m² 广场 (500 m); 225 m² 游园: too small.
		`INSERT INTO parks (city_id, name, park_class, pocket, geom) VALUES ($1, 'Pk1', 'garden', true, `+env(85, -200, 115, -170)+`)`,
		`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, 'Pk2', 'square', `+env(1160, -300, 1240, -220)+`)`,
		`INSERT INTO parks (city_id, name, park_class, pocket, geom) VALUES ($1, 'Pk3', 'garden', true, `+env(1890, -100, 1905, -85)+`)`,
		`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, 'kindergarten', 'K1', `+ptAt(100, 10)+`)`,
		`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, 'kindergarten', 'K3', `+ptAt(1800, 10)+`)`,
		`INSERT INTO facilities (city_id, category, name, floor_area_m2, geom) VALUES ($1, 'clinic', 'H2', 150, `+ptAt(600, 10)+`)`)
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s, city); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return city
}

func source(t *testing.T, pool *pgxpool.Pool) tijian.Source {
	t.Helper()
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ws := walk.NewService(pool, nil)
	return tijian.Source{Pool: pool, Coverage: &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg}, Walk: ws,
		Checks: &checks.Service{Store: &checks.Store{Pool: pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: ws}}}
}

// want is the hand-worked table, by unit code: C1 C2 C3 | 街道 S1 S2 | districts D1 D2 | city.
//
// Park coverage (tijian2023-site400, buffer): Pk1's 300 m reach the whole parcel at x = 100
// (its farthest corner is 210 m away) and none of the parcel at 400 (nearest point 334 m);
// Pk2's 500 m the parcel at 1200 (260 m) and none of 700 (510 m) or 1900 (650 m); Pk3
// counts not. Covered land: C1 400 of 800 m², C2 0 of 400, C3 400 of 1200 (1900's is 800).
//
// Per-capita park area (公园绿地: squares excluded): D1 900 m² / 600 residents, D2 225 / 900,
// the city 1125 / 1500.
//
// Walking distance = home leg (30 m; 40 m for the parcel at 1900) + along the street + the
// facility's 10 m. Kindergarten (300 m): K1 reaches 100 (40 m), not 400 (340); K3 reaches
// 1900 (150), not 1200 (640). Clinic (1000 m) at 600: 540, 240, 140, 640 reached, 1900
// (1350) not. Parks and squares (300 m; no entrance: each is reached where a walkable edge
// meets it, else from an edge within 20 m, walkgraph.ParkAccessPoints): Pk1 at the end of
// its 170 m footpath, so 100 is at 30 + 170 = 200 m and 400 at 500; Pk3 at the end of its
// 85 m footpath, so 1900 is at 125 m; Pk2, nothing walkable within 20 m, is not reached —
// the kindergarten's pattern. (Re-worked for issue #18: before, each park was reached at
// its point on surface, attached within 200 m, with the same shares.) No other category has a facility,
// so every other share is 0 and no community is a complete circle.
//
// Complete communities (network reach, 500 m; a facility inside serves): K1 serves C1 (C2's
// nearest point, node 750, is 660 m away), K3 serves C3; the clinic (150 m² ≥ 120) serves C2
// and C1 (node 250, 360 m) but not C3 (node 1250, 660 m). Every other item fails everywhere.
var want = map[string]map[string]float64{
	"150201001001": {"park_site_coverage": 50, "svc_kindergarten": 50, "svc_park_square": 50, "svc_clinic": 100, "communities": 1, "fail_kindergarten": 0, "fail_clinic": 0},
	"150201001002": {"park_site_coverage": 0, "svc_kindergarten": 0, "svc_park_square": 0, "svc_clinic": 100, "communities": 1, "fail_kindergarten": 1, "fail_clinic": 0},
	"150202001001": {"park_site_coverage": 33.33, "svc_kindergarten": 66.67, "svc_park_square": 66.67, "svc_clinic": 33.33, "communities": 1, "fail_kindergarten": 0, "fail_clinic": 1},
	"150201001":    {"park_site_coverage": 33.33, "svc_kindergarten": 33.33, "svc_park_square": 33.33, "svc_clinic": 100, "communities": 2, "fail_kindergarten": 1, "fail_clinic": 0},
	"150202001":    {"park_site_coverage": 33.33, "svc_kindergarten": 66.67, "svc_park_square": 66.67, "svc_clinic": 33.33, "communities": 1, "fail_kindergarten": 0, "fail_clinic": 1},
	"150201":       {"park_site_coverage": 33.33, "svc_kindergarten": 33.33, "svc_park_square": 33.33, "svc_clinic": 100, "communities": 2, "fail_kindergarten": 1, "fail_clinic": 0, "park_per_capita": 1.5},
	"150202":       {"park_site_coverage": 33.33, "svc_kindergarten": 66.67, "svc_park_square": 66.67, "svc_clinic": 33.33, "communities": 1, "fail_kindergarten": 0, "fail_clinic": 1, "park_per_capita": 0.25},
	"150200":       {"park_site_coverage": 33.33, "svc_kindergarten": 50, "svc_park_square": 50, "svc_clinic": 66.67, "communities": 3, "fail_kindergarten": 1, "fail_clinic": 1, "park_per_capita": 0.75},
}

// checkHandWorked compares tables with want: every listed value, every other failing item
// = the unit's communities, no complete community or circle, every other share 0, and no
// per-capita figure below the districts.
func checkHandWorked(t *testing.T, tb *tijian.Tables) {
	t.Helper()
	if len(tb.Units) != len(want) {
		t.Fatalf("%d units, want %d", len(tb.Units), len(want))
	}
	for _, u := range tb.Units {
		w, ok := want[u.Code]
		if !ok {
			t.Errorf("unexpected unit %s %s", u.Level, u.Code)
			continue
		}
		for _, in := range tb.Indicators {
			got := u.Values[in.Key]
			exp, listed := w[in.Key]
			switch {
			case listed:
			case in.Key == "park_per_capita":
				if got != nil {
					t.Errorf("%s: per-capita park area %v below the districts, want null", u.Code, *got)
				}
				continue
			case strings.HasPrefix(in.Key, "fail_"):
				exp = w["communities"]
			case in.Key == "lc_population_share" || strings.HasPrefix(in.Key, "svc_") || in.Key == "complete_communities" || in.Key == "lc_complete":
				exp = 0
			default:
				t.Errorf("%s: no expectation for %s", u.Code, in.Key)
				continue
			}
			if got == nil || math.Abs(*got-exp) > 1e-9 {
				t.Errorf("%s %s: got %v, want %v", u.Code, in.Key, fmtPtr(got), exp)
			}
		}
	}
}

func fmtPtr(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// TestTablesOnAHandWorkedFixture: the API's values are the hand-worked ones; the XLSX read
// back has a sheet per 维度 and every cell equals the API's value for its unit; the
// GeoPackage read back (SQLite, the geometry blobs decoded) holds every unit below the city
// with the API's values and its polygon; and as_of an edition gives the figures before
// the edits that followed it.
func TestTablesOnAHandWorkedFixture(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	fixtureCity(t, db.Pool)
	src := source(t, db.Pool)
	var kinder, clinic float64
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT reach_m FROM facility_categories WHERE code = 'kindergarten'), (SELECT reach_m FROM facility_categories WHERE code = 'clinic')`).Scan(&kinder, &clinic); err != nil || kinder != 300 || clinic != 1000 {
		t.Fatalf("the hand-worked tiers are 300 m and 1000 m, the database has %v and %v (%v)", kinder, clinic, err)
	}
	tb, err := src.Compute(ctx, tijian.Query{City: "tj"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Caliber != tijian.DefaultCaliber || tb.Method != caliber.Buffer || tb.ScorecardMethod != "network" {
		t.Errorf("caliber %s, method %s, scorecard %s", tb.Caliber, tb.Method, tb.ScorecardMethod)
	}
	checkHandWorked(t, tb)
	parents := map[string]string{"150201001001": "150201001", "150201001002": "150201001", "150202001001": "150202001", "150201001": "150201", "150202001": "150202", "150201": "150200", "150202": "150200", "150200": ""}
	for _, u := range tb.Units {
		if u.ParentCode != parents[u.Code] {
			t.Errorf("%s: parent %q, want %q", u.Code, u.ParentCode, parents[u.Code])
		}
	}

	dir := t.TempDir()
	for _, lang := range []string{"zh", "en"} {
		path := filepath.Join(dir, "tijian-"+lang+".xlsx")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.WriteXLSX(f, lang); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		readXLSX(t, path, lang, tb)
	}
	gpkg := filepath.Join(dir, "tijian.gpkg")
	if err := tb.WriteGeoPackage(ctx, gpkg, "zh"); err != nil {
		t.Fatal(err)
	}
	readGeoPackage(t, gpkg, tb)

	// As of an edition: delete K1 and Pk1 after it; the edition keeps them.
	if _, err := (edition.Store{Pool: db.Pool}).Create(ctx, edition.New{City: "tj", Name: "2025 现状"}, "test"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`DELETE FROM facilities WHERE name = 'K1'`, `DELETE FROM parks WHERE name = 'Pk1'`} {
		if _, err := db.Pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	past, err := src.Compute(ctx, tijian.Query{City: "tj", AsOf: "2025 现状"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if past.AsOf == nil || past.AsOf.Edition != "2025 现状" {
		t.Errorf("as_of %+v", past.AsOf)
	}
	checkHandWorked(t, past)
	now, err := src.Compute(ctx, tijian.Query{City: "tj", Level: "community"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range now.Units {
		if u.Code == "150201001001" && (*u.Values["park_site_coverage"] != 0 || *u.Values["fail_kindergarten"] != 1 || *u.Values["svc_kindergarten"] != 0) {
			t.Errorf("C1 now, without Pk1 and K1: coverage %v, failing kindergarten %v, kindergarten share %v; want 0, 1, 0",
				*u.Values["park_site_coverage"], *u.Values["fail_kindergarten"], *u.Values["svc_kindergarten"])
		}
		if u.Level != "community" {
			t.Errorf("level=community gave a %s", u.Level)
		}
	}
	if _, err := src.Compute(ctx, tijian.Query{City: "tj", AsOf: "2025 现状", Scenario: 1}, nil); err == nil {
		t.Error("scenario with as_of: no error")
	}
}

// readXLSX reads the workbook back: an About sheet, then one sheet per dimension named in
// lang, each row a unit (matched by level and code) whose cells equal the API's values.
func readXLSX(t *testing.T, path, lang string, tb *tijian.Tables) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // test clean-up
	sheets := f.GetSheetList()
	if len(sheets) != 1+len(tb.Dimensions) {
		t.Fatalf("%s: sheets %v, want About + %d dimensions", lang, sheets, len(tb.Dimensions))
	}
	byKey := map[string]tijian.Unit{}
	for _, u := range tb.Units {
		byKey[u.Code] = u
	}
	cols := 0
	for i, d := range tb.Dimensions {
		if sheets[i+1] != d.Name(lang) {
			t.Errorf("sheet %d is %q, want %q", i+1, sheets[i+1], d.Name(lang))
		}
		rows, err := f.GetRows(sheets[i+1])
		if err != nil {
			t.Fatal(err)
		}
		var inds []tijian.Indicator
		for _, in := range tb.Indicators {
			if in.Dimension == d.ID {
				inds = append(inds, in)
			}
		}
		if len(rows) != 1+len(tb.Units) || len(rows[0]) != 4+len(inds) {
			t.Fatalf("%s: %d rows × %d columns, want %d × %d", sheets[i+1], len(rows), len(rows[0]), 1+len(tb.Units), 4+len(inds))
		}
		for j, in := range inds {
			if rows[0][4+j] != in.Name(lang) {
				t.Errorf("%s: header %q, want %q", sheets[i+1], rows[0][4+j], in.Name(lang))
			}
		}
		for _, row := range rows[1:] {
			u, ok := byKey[row[1]]
			if !ok {
				t.Errorf("%s: a row of unknown code %q", sheets[i+1], row[1])
				continue
			}
			if row[2] != u.Name || row[3] != u.ParentCode {
				t.Errorf("%s %s: name %q parent %q", sheets[i+1], u.Code, row[2], row[3])
			}
			for j, in := range inds {
				cell := ""
				if 4+j < len(row) {
					cell = row[4+j]
				}
				api := u.Values[in.Key]
				if api == nil {
					if cell != "—" {
						t.Errorf("%s %s %s: %q, want —", sheets[i+1], u.Code, in.Key, cell)
					}
					continue
				}
				raw, err := f.GetCellValue(sheets[i+1], cellName(4+j, rowIndex(rows, row)), excelize.Options{RawCellValue: true})
				v, perr := strconv.ParseFloat(raw, 64)
				if err != nil || perr != nil || v != *api {
					t.Errorf("%s %s %s: XLSX %q, API %v", sheets[i+1], u.Code, in.Key, raw, *api)
				}
				cols++
			}
		}
	}
	if cols == 0 {
		t.Error("no value compared")
	}
}

func rowIndex(rows [][]string, row []string) int {
	for i := range rows {
		if &rows[i][0] == &row[0] {
			return i + 1
		}
	}
	return -1
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col+1, row)
	return name
}

// readGeoPackage reads the data package back with SQLite: the GeoPackage tables, one
// feature table per level below the city, every unit's values as the API gives them, and
// its geometry blob (GP header, envelope, WKB) a polygon of the unit's area.
func readGeoPackage(t *testing.T, path string, tb *tijian.Tables) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // test clean-up
	var app, ver int
	if err := db.QueryRow(`PRAGMA application_id`).Scan(&app); err != nil || app != 0x47504B47 {
		t.Errorf("application_id %x (%v)", app, err)
	}
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&ver); err != nil || ver != 10300 {
		t.Errorf("user_version %d (%v)", ver, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM gpkg_contents c JOIN gpkg_geometry_columns g USING (table_name) WHERE c.data_type = 'features' AND c.srs_id = 4326 AND g.srs_id = 4326`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d feature tables (%v), want 3", n, err)
	}
	areas := map[string]float64{"150201001001": 500 * 1000, "150201001002": 500 * 1000, "150202001001": 1000 * 1000, "150201001": 1000 * 1000, "150202001": 1000 * 1000, "150201": 1e6, "150202": 1e6}
	seen := 0
	for _, u := range tb.Units {
		if u.Level == "city" {
			continue
		}
		var blob []byte
		var code string
		if err := db.QueryRow(`SELECT geom, code FROM "tijian_`+u.Level+`" WHERE code = ?`, u.Code).Scan(&blob, &code); err != nil {
			t.Errorf("%s: %v", u.Code, err)
			continue
		}
		if string(blob[:2]) != "GP" || blob[3]&1 != 1 || binary.LittleEndian.Uint32(blob[4:]) != 4326 {
			t.Errorf("%s: geometry header % x", u.Code, blob[:8])
		}
		g, err := wkb.Unmarshal(blob[8+32:])
		if err != nil {
			t.Fatalf("%s: %v", u.Code, err)
		}
		mp, ok := g.(orb.MultiPolygon)
		// The area in degrees² at 40.6° N: 1 m ≈ 1/111,000° of latitude and 1/84,300° of longitude.
		if a := planar.Area(mp) * 111000 * 84300; !ok || math.Abs(a-areas[u.Code])/areas[u.Code] > 0.01 {
			t.Errorf("%s: %T of about %.0f m², want %.0f", u.Code, g, a, areas[u.Code])
		}
		for _, in := range tb.Indicators {
			var v sql.NullFloat64
			if err := db.QueryRow(`SELECT "`+in.Key+`" FROM "tijian_`+u.Level+`" WHERE code = ?`, u.Code).Scan(&v); err != nil {
				t.Fatalf("%s %s: %v", u.Code, in.Key, err)
			}
			api := u.Values[in.Key]
			if (api == nil) != !v.Valid || (api != nil && *api != v.Float64) {
				t.Errorf("%s %s: GeoPackage %v, API %v", u.Code, in.Key, v, fmtPtr(api))
			}
		}
		seen++
	}
	if seen != 7 {
		t.Errorf("%d units read back, want 7", seen)
	}
	// GDAL reads it too (its GeoPackage driver checks the tables and the blobs).
	testdb.NeedTool(t, "ogrinfo")
	out, err := exec.Command("ogrinfo", "-ro", "-q", "-sql", "SELECT code, park_site_coverage FROM tijian_community ORDER BY code", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	got := map[string]string{}
	var code string
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), " = "); ok {
			switch k {
			case "code (String)":
				code = v
			case "park_site_coverage (Real)":
				got[code] = v
			}
		}
	}
	for _, u := range tb.Units {
		if u.Level == "community" {
			if v, err := strconv.ParseFloat(got[u.Code], 64); err != nil || v != *u.Values["park_site_coverage"] {
				t.Errorf("ogrinfo: %s coverage %q, API %v", u.Code, got[u.Code], *u.Values["park_site_coverage"])
			}
		}
	}
}
