package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/testdb"
)

// The fixture city lies in CGCS2000 / 3-degree Gauss–Krüger CM 111E (EPSG:4546), near
// Baotou. Every fixture shape is written in metres relative to (x0, y0) in that CRS,
// stored in 4326 like any import, and measured again on geom_m; the expected values are
// worked by hand from the rectangles.
const (
	fixSRID = 4546
	x0      = 480000.0
	y0      = 4500000.0
)

// rectWKT is the rectangle [x1,x2]×[y1,y2] (fixture metres) as WKT in EPSG:4546.
func rectWKT(x1, y1, x2, y2 float64) string {
	return fmt.Sprintf("POLYGON((%[1]f %[2]f,%[3]f %[2]f,%[3]f %[4]f,%[1]f %[4]f,%[1]f %[2]f))", x0+x1, y0+y1, x0+x2, y0+y2)
}

func ringWKT(pts ...[2]float64) string {
	var b strings.Builder
	b.WriteString("POLYGON((")
	for _, p := range append(pts, pts[0]) {
		fmt.Fprintf(&b, "%f %f,", x0+p[0], y0+p[1])
	}
	return strings.TrimSuffix(b.String(), ",") + "))"
}

func pointWKT(x, y float64) string { return fmt.Sprintf("POINT(%f %f)", x0+x, y0+y) }

type fixture struct {
	t    *testing.T
	pool *pgxpool.Pool
	city int
}

func (f fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// geom4326 is the SQL expression turning $2 (WKT in the fixture CRS) into the stored 4326
// MultiPolygon or Point.
const multi = `ST_Multi(ST_Transform(ST_GeomFromText($2, 4546), 4326))`
const point = `ST_Transform(ST_GeomFromText($2, 4546), 4326)`

func newFixture(t *testing.T) fixture {
	db := testdb.New(t)
	f := fixture{t: t, pool: db.Pool}
	if err := db.Pool.QueryRow(context.Background(),
		`INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('fixture', 'Fixture', '150200', $1) RETURNING id`, fixSRID).Scan(&f.city); err != nil {
		t.Fatal(err)
	}
	return f
}

// controlLines: the growth boundary in two editions, farmland and a red line.
//
//	edition 2021 (2021-01-01 … 2024-01-01): [0,1000]×[0,1000]                      1 000 000 m²
//	edition 2024 (from 2024-01-01):         [100,1000]×[0,1000] ∪ [1000,1300]×[0,200] 960 000 m²
//	farmland:  [800,1200]×[850,1000]  → overlaps both editions in [800,1000]×[850,1000] = 30 000 m²
//	red line:  [2000,2500]×[0,500]    → overlaps nothing
//	diff 2021→2024: added [1000,1300]×[0,200] = 60 000 m², removed [0,100]×[0,1000] = 100 000 m²
func (f fixture) controlLines() {
	f.exec(`INSERT INTO growth_boundaries (city_id, edition, valid_from, valid_to, geom) VALUES ($1, '2021', '2021-01-01', '2024-01-01', `+multi+`)`, f.city, rectWKT(0, 0, 1000, 1000))
	f.exec(`INSERT INTO growth_boundaries (city_id, edition, valid_from, geom) VALUES ($1, '2024', '2024-01-01', `+multi+`)`, f.city,
		ringWKT([2]float64{100, 0}, [2]float64{1300, 0}, [2]float64{1300, 200}, [2]float64{1000, 200}, [2]float64{1000, 1000}, [2]float64{100, 1000}))
	f.exec(`INSERT INTO basic_farmland (city_id, name, geom) VALUES ($1, 'farm', `+multi+`)`, f.city, rectWKT(800, 850, 1200, 1000))
	f.exec(`INSERT INTO eco_redlines (city_id, name, geom) VALUES ($1, 'red', `+multi+`)`, f.city, rectWKT(2000, 0, 2500, 500))
}

func (f fixture) facility(cat string, x, y float64, floor any) {
	f.exec(`INSERT INTO facilities (city_id, category, name, floor_area_m2, geom) VALUES ($1, $3, $3, $4, `+point+`)`, f.city, pointWKT(x, y), cat, floor)
}

func service(pool *pgxpool.Pool) *Service {
	return &Service{Store: &Store{Pool: pool}, Config: DefaultConfig(), Reach: BufferReach{}}
}

func TestControlLinesPostGIS(t *testing.T) {
	f := newFixture(t)
	f.controlLines()
	svc := service(f.pool)
	ctx := context.Background()
	for _, tc := range []struct{ date, edition, want string }{{"", "", "2024"}, {"2022-06-01", "", "2021"}, {"", "2021", "2021"}} {
		rep, err := svc.ControlLines(ctx, Request{City: "fixture", Date: tc.date, Edition: tc.edition, Overrides: map[string]string{"base_area_m2": "700000"}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Edition == nil || rep.Edition.Edition != tc.want {
			t.Fatalf("date %q edition %q: used %+v, want %s", tc.date, tc.edition, rep.Edition, tc.want)
		}
		if len(rep.Overlaps) != 1 {
			t.Fatalf("overlaps = %+v, want exactly the boundary × farmland one", rep.Overlaps)
		}
		o := rep.Overlaps[0]
		if o.A != LayerGrowthBoundary || o.B != LayerFarmland {
			t.Errorf("overlap between %s and %s", o.A, o.B)
		}
		near(t, "overlap area", o.Area, 30000, 0.05)
		if rep.Conforms || rep.Pairs[0].Count != 0 || rep.Pairs[2].Count != 0 {
			t.Errorf("pairs %+v: the red line must overlap nothing", rep.Pairs)
		}
		if tc.want == "2024" {
			// 960 000 / 700 000 = 1.3714… > 1.3
			if e := rep.Expansion; e == nil || e.Ratio == nil || *e.WithinCap {
				t.Fatalf("expansion %+v", rep.Expansion)
			}
			near(t, "expansion ratio", *rep.Expansion.Ratio, 960000.0/700000, 1e-6)
		}
	}
	if _, err := svc.ControlLines(ctx, Request{City: "fixture", Date: "2019-01-01"}); err == nil {
		t.Error("a date before every edition must be refused")
	}

	d, err := svc.GrowthDiff(ctx, Request{City: "fixture", From: "2021", To: "2024-03-01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != 1 || len(d.Removed) != 1 {
		t.Fatalf("diff added %d removed %d polygons, want 1 and 1", len(d.Added), len(d.Removed))
	}
	near(t, "added", d.AddedArea, 60000, 0.05)
	near(t, "removed", d.RemovedArea, 100000, 0.05)
	near(t, "net", d.NetChange, -40000, 0.1)
	if d.Expansion.Ratio != nil {
		t.Errorf("no base area configured: ratio must be null, got %v", *d.Expansion.Ratio)
	}
}

func TestOutsideBoundaryPostGIS(t *testing.T) {
	f := newFixture(t)
	f.controlLines()
	// Against edition 2024: [1100,1200]×[500,600] wholly outside (10 000 m²),
	// [950,1050]×[500,600] half outside (5 000 m²), [200,300]² inside.
	f.exec(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 300, 100, `+multi+`)`, f.city, rectWKT(1100, 500, 1200, 600))
	f.exec(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 200, 80, `+multi+`)`, f.city, rectWKT(950, 500, 1050, 600))
	f.exec(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 900, 300, `+multi+`)`, f.city, rectWKT(200, 200, 300, 300))
	f.facility("clinic", 1500, 1500, nil)
	f.facility("clinic", 500, 500, nil)
	rep, err := service(f.pool).Outside(context.Background(), Request{City: "fixture"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Residential) != 2 || len(rep.Facilities) != 1 {
		t.Fatalf("outside: %d residential, %d facilities; want 2 and 1", len(rep.Residential), len(rep.Facilities))
	}
	near(t, "largest outside", rep.Residential[0].OutsideArea, 10000, 0.01)
	near(t, "half outside", rep.Residential[1].OutsideArea, 5000, 0.01)
	near(t, "total outside", rep.ResidentialOutside, 15000, 0.02)
	near(t, "population outside", rep.PopulationOutside, 300+100, 0.01)
}

func TestCorridorsPostGIS(t *testing.T) {
	f := newFixture(t)
	// The 1 000 m strip narrowing to 80 m over 300 m (corridor_test.go), at y = 3 000.
	ring := [][2]float64{{0, -75}, {350, -75}, {350, -40}, {650, -40}, {650, -75}, {1000, -75}, {1000, 75}, {650, 75}, {650, 40}, {350, 40}, {350, 75}, {0, 75}}
	for i := range ring {
		ring[i][1] += 3000
	}
	f.exec(`INSERT INTO eco_corridors (city_id, name, design_width_m, geom) VALUES ($1, 'narrowing', 150, `+multi+`)`, f.city, ringWKT(ring...))
	// The broken corridor: two 400 m × 150 m pieces 120 m apart, at y = 4 000.
	f.exec(`INSERT INTO eco_corridors (city_id, name, design_width_m, geom) VALUES ($1, 'broken', 150, ST_Transform(ST_Collect(ST_GeomFromText($2, 4546), ST_GeomFromText($3, 4546)), 4326))`,
		f.city, rectWKT(0, 4000, 400, 4150), rectWKT(520, 4000, 920, 4150))
	// Encroachment: 100 m × 25 m of residential land and one facility inside the first.
	f.exec(`INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 50, 20, `+multi+`)`, f.city, rectWKT(100, 3050, 200, 3100))
	f.facility("canteen", 500, 3000, nil)
	f.facility("canteen", 500, 3500, nil)

	rep, err := service(f.pool).Corridors(context.Background(), Request{City: "fixture"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Corridors) != 2 {
		t.Fatalf("%d corridors", len(rep.Corridors))
	}
	n, b := rep.Corridors[0], rep.Corridors[1]
	near(t, "narrowing min width", n.MinWidth, 80, 1)
	near(t, "narrowing narrow length", n.NarrowLength, 300, 1)
	near(t, "narrowing share", n.Share, 0.70, 0.001)
	near(t, "residential in corridor", n.Encroachment.ResidentialArea, 2500, 0.01)
	if len(n.Encroachment.Facilities) != 1 {
		t.Errorf("facilities in corridor: %+v, want one", n.Encroachment.Facilities)
	}
	if len(b.Breaks) != 1 {
		t.Fatalf("breaks %+v", b.Breaks)
	}
	near(t, "break", b.Breaks[0].Length, 120, 0.01)
	// City: compliant 700 + 800 of required 1 000 + 920.
	near(t, "city share", rep.Share, 1500.0/1920, 0.002)
}

// scorecardFixture: community A lacks a nursery and its supermarket has 250 m² (< 300):
// by hand 9 of 11 items, missing [nursery, supermarket]. Community B, 5 km east, has
// everything; its clinic has no recorded floor area (met, flagged) and its kindergarten
// stands 300 m outside it (within the 500 m tier).
func (f fixture) scorecard() {
	for i, x := range []float64{0, 5000} {
		f.exec(`INSERT INTO communities (city_id, code, name, population, households, geom) VALUES ($1, $3, $3, 3000, 1000, `+multi+`)`,
			f.city, rectWKT(x, 5000, x+500, 5500), fmt.Sprintf("15020200100%d", i))
		f.facility("community_service", x+100, 5100, 800) // 800 m² ≥ 30 m² × 1000/100
		f.facility("elderly_care", x+110, 5100, 400)
		f.facility("post_express", x+120, 5100, nil)
		f.facility("post_express", x+130, 5100, nil)
		for _, c := range []string{"convenience_store", "vegetable_market", "canteen", "household_services", "pharmacy"} {
			f.facility(c, x+150, 5200, nil)
		}
		f.facility("activity_ground", x+160, 5200, 200)
		f.exec(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, 'garden', 'garden', `+multi+`)`, f.city, rectWKT(x+100, 5300, x+200, 5350))
	}
	// A
	f.facility("kindergarten", 200, 5200, nil)
	f.facility("clinic", 210, 5200, 150)
	f.facility("supermarket", 220, 5200, 250)
	// B
	f.facility("kindergarten", 5250, 4700, 1200)
	f.facility("clinic", 5210, 5200, nil)
	f.facility("supermarket", 5220, 5200, 2000)
	f.facility("nursery", 5230, 5200, 300)
}

func TestScorecardPostGIS(t *testing.T) {
	f := newFixture(t)
	f.scorecard()
	rep, err := service(f.pool).CompleteCommunities(context.Background(), Request{City: "fixture"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scores) != 2 || rep.Method != "buffer" {
		t.Fatalf("%d communities, method %s", len(rep.Scores), rep.Method)
	}
	a, b := rep.Scores[0], rep.Scores[1]
	if a.Met != 9 || a.Total != 11 || !slices.Equal(a.Missing, []string{"nursery", "supermarket"}) || a.Complete {
		t.Errorf("A: %d/%d missing %v", a.Met, a.Total, a.Missing)
	}
	if !b.Complete || b.Met != 11 || !slices.Equal(b.Flagged, []string{"clinic"}) {
		t.Errorf("B: %d/%d missing %v flagged %v", b.Met, b.Total, b.Missing, b.Flagged)
	}
	if rep.Complete != 1 || rep.Target != 40 || rep.Meets {
		t.Errorf("complete %d target %d meets %v", rep.Complete, rep.Target, rep.Meets)
	}
	// With a 200 m tier B's kindergarten (300 m away) no longer serves it.
	rep, err = service(f.pool).CompleteCommunities(context.Background(), Request{City: "fixture", Overrides: map[string]string{"tier_m": "200"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Scores[1].Missing; !slices.Equal(got, []string{"kindergarten"}) {
		t.Errorf("tier 200 m: B missing %v, want [kindergarten]", got)
	}
}

func TestHandlers(t *testing.T) {
	f := newFixture(t)
	f.controlLines()
	f.scorecard()
	h := Handler{Service: service(f.pool), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	gin.SetMode(gin.TestMode)
	srv := httptest.NewServer(httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: h.Log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, h)))
	defer srv.Close()
	get := func(path string) (int, string, []byte) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close() //nolint:errcheck // test clean-up
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), b
	}
	for _, bad := range []struct {
		path string
		code int
	}{
		{"/api/v1/checks/corridors", 400},
		{"/api/v1/checks/corridors?city=Robert');DROP", 400},
		{"/api/v1/checks/corridors?city=nowhere", 404},
		{"/api/v1/checks/control-lines?city=fixture&date=2024-13-01", 400},
		{"/api/v1/checks/control-lines?city=fixture&date=yesterday", 400},
		{"/api/v1/checks/control-lines?city=fixture&date=1990-01-01", 400},
		{"/api/v1/checks/control-lines?city=fixture&edition=1999", 400},
		{"/api/v1/checks/growth-boundary/diff?city=fixture&from=2021", 400},
		{"/api/v1/checks/corridors?city=fixture&format=kml", 400},
		{"/api/v1/checks/corridors?city=fixture&min_width_m=-5", 400},
		{"/api/v1/checks/corridors?city=fixture&min_width_m=NaN", 400},
		{"/api/v1/checks/corridors?city=fixture&sortby=name", 400},
		{"/api/v1/checks/corridors?city=fixture&city=other", 400},
		{"/api/v1/checks/complete-communities?city=fixture&tier_m=1e9", 400},
	} {
		code, ct, body := get(bad.path)
		if code != bad.code || ct != "application/problem+json" {
			t.Errorf("%s: %d %s %s, want %d problem+json", bad.path, code, ct, body, bad.code)
		}
	}
	code, ct, body := get("/api/v1/checks/control-lines?city=fixture&format=geojson")
	if code != 200 || ct != GeoJSONType {
		t.Fatalf("geojson: %d %s %s", code, ct, body)
	}
	var fc struct {
		Type     string
		Features []struct {
			Geometry struct {
				Type        string
				Coordinates json.RawMessage
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(body, &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 1 {
		t.Fatalf("geojson %s: %v", body, err)
	}
	if g := fc.Features[0]; g.Geometry.Type != "Polygon" || g.Properties["area_m2"].(float64) < 29999.9 || g.Properties["area_m2"].(float64) > 30000.1 {
		t.Errorf("overlap feature %+v", g)
	}
	code, _, body = get("/api/v1/checks/complete-communities?city=fixture")
	var sc ScorecardReport
	if code != 200 || json.Unmarshal(body, &sc) != nil || sc.Complete != 1 {
		t.Errorf("scorecard: %d %s", code, body)
	}
	for _, p := range []string{"/api/v1/checks/corridors?city=fixture&format=geojson", "/api/v1/checks/outside-boundary?city=fixture&format=geojson",
		"/api/v1/checks/growth-boundary/diff?city=fixture&from=2021&to=2024&format=geojson", "/api/v1/checks/complete-communities?city=fixture&format=geojson"} {
		if code, ct, body := get(p); code != 200 || ct != GeoJSONType {
			t.Errorf("%s: %d %s %s", p, code, ct, body)
		}
	}
}
