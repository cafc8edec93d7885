package tijian_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tijian"
	"github.com/cityreach/cityreach/internal/tijian/tijianhttp"
)

// siteCoverageSQL is 公园绿化活动场地服务半径覆盖率 per community computed directly in PostGIS,
// independently of internal/coverage: the union of the buffers (8 segments a quarter, as
// GEOS's) of every open or shared park or square of 400 m² and more — 500 m from 5,000 m²,
// else 300 m — intersected with each residential parcel, summed over the parcels whose
// point on surface lies in the community, over their area.
const siteCoverageSQL = `
WITH sa AS (
	SELECT ST_Union(ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END, 'quad_segs=8')) AS g
	FROM parks WHERE city_id = $1 AND area_m2 >= 400 AND open_status IN ('open', 'shared')),
parcel AS (
	SELECT r.area_m2 AS a, ST_Area(ST_Intersection(r.geom_m, sa.g)) AS c, ST_PointOnSurface(r.geom_m) AS pt
	FROM residential_land r CROSS JOIN sa WHERE r.city_id = $1)
SELECT m.code, 100 * sum(parcel.c) / sum(parcel.a)
FROM communities m JOIN parcel ON ST_Intersects(m.geom_m, parcel.pt)
WHERE m.city_id = $1 GROUP BY m.code HAVING sum(parcel.a) > 0`

// parkPerCapitaSQL is 人均公园绿地面积 per district in PostGIS: the area of every park but
// the squares whose point on surface lies in the district, over the residents of the
// parcels whose point on surface does.
const parkPerCapitaSQL = `
SELECT d.adcode,
	(SELECT coalesce(sum(p.area_m2), 0) FROM parks p WHERE p.city_id = d.city_id AND p.park_class <> 'square' AND ST_Intersects(d.geom_m, ST_PointOnSurface(p.geom_m)))
	/ (SELECT sum(r.population) FROM residential_land r WHERE r.city_id = d.city_id AND ST_Intersects(d.geom_m, ST_PointOnSurface(r.geom_m)))
FROM districts d WHERE d.city_id = $1`

// TestDemoCityThroughTheAPI seeds the demo city (scale 0.05) and asks the routes: the
// community-level park coverage of GET /api/v1/tijian equals the PostGIS computation above
// for every community (to 0.02 percentage points: the buffers' polygons differ in detail),
// the districts' per-capita park area equals its SQL (to 0.01 m²), the XLSX route's workbook
// read back equals the JSON of every unit, and bad input is a 400 problem naming the
// parameter.
func TestDemoCityThroughTheAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	engine := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: quiet, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}},
		tijianhttp.Handler{Src: source(t, db.Pool), Log: quiet}))
	get := func(path string, want int) []byte {
		t.Helper()
		r := testdb.Serve(engine, httptest.NewRequest(http.MethodGet, path, nil))
		if r.Code != want {
			t.Fatalf("GET %s: %d %s, want %d", path, r.Code, r.Body, want)
		}
		return r.Body
	}
	var all tijian.Tables
	if err := json.Unmarshal(get("/api/v1/tijian?city="+seed.Slug, http.StatusOK), &all); err != nil {
		t.Fatal(err)
	}
	var city int
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = $1`, seed.Slug).Scan(&city); err != nil {
		t.Fatal(err)
	}
	cov := testdb.Pairs[string, float64](ctx, t, db.Pool, siteCoverageSQL, city)
	pc := testdb.Pairs[string, *float64](ctx, t, db.Pool, parkPerCapitaSQL, city) // null: a district without residents
	var communities, districts int
	worst := 0.0
	for _, u := range all.Units {
		switch u.Level {
		case "community":
			want, ok := cov[u.Code]
			got := u.Values["park_site_coverage"]
			if ok != (got != nil) || (ok && math.Abs(*got-want) > 0.02) {
				t.Errorf("community %s: coverage %v, PostGIS %.4f (%v)", u.Code, fmtPtr(got), want, ok)
			}
			if ok && got != nil {
				worst = max(worst, math.Abs(*got-want))
			}
			communities++
		case "district":
			got, want := u.Values["park_per_capita"], pc[u.Code]
			if (got == nil) != (want == nil) || (got != nil && math.Abs(*got-*want) > 0.01) {
				t.Errorf("district %s: park per capita %v, PostGIS %v", u.Code, fmtPtr(got), fmtPtr(want))
			}
			districts++
		}
	}
	t.Logf("%d communities: largest difference from PostGIS %.4f percentage points", communities, worst)
	if communities < 10 || communities != len(cov) || districts != len(pc) {
		t.Errorf("%d communities (%d with residential land in PostGIS), %d districts (%d)", communities, len(cov), districts, len(pc))
	}

	// The workbook of the XLSX route, read back, equals the JSON.
	path := filepath.Join(t.TempDir(), "demo.xlsx")
	if err := os.WriteFile(path, get("/api/v1/tijian/xlsx?lang=en&city="+seed.Slug, http.StatusOK), 0o600); err != nil {
		t.Fatal(err)
	}
	readXLSX(t, path, "en", &all)

	for _, bad := range []struct{ query, param string }{
		{"city=" + seed.Slug + "&level=street", "level"},
		{"city=" + seed.Slug + "&scenario=1", "scenario"},
		{"city=" + seed.Slug + "&method=walk", "method"},
		{"level=community", "city"},
	} {
		var p map[string]any
		if err := json.Unmarshal(get("/api/v1/tijian?"+bad.query, http.StatusBadRequest), &p); err != nil || p["parameter"] != bad.param {
			t.Errorf("%s: problem %v, want one naming %s", bad.query, p, bad.param)
		}
	}
	var p map[string]any
	if err := json.Unmarshal(get("/api/v1/tijian/xlsx?lang=fr&city="+seed.Slug, http.StatusBadRequest), &p); err != nil || p["parameter"] != "lang" {
		t.Errorf("lang=fr: %v", p)
	}
}
