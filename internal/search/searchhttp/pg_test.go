package searchhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/search"
	"github.com/cityreach/cityreach/internal/testdb"
)

// The fixture, in the metric CRS EPSG:4546 (CGCS2000 / 3° Gauss-Krüger CM 111°E) around
// x0, y0, stored in WGS 84 as the layers keep it. Names are chosen so that a search for 青山
// has one match of every kind and rank; the rankings below are worked out by hand from the
// rule exact > prefix > substring, then district > subdistrict > community > park >
// facility, then shorter name, then name.
const x0, y0 = 415000.0, 4495000.0

func sq(x, y, w, h float64) string {
	return fmt.Sprintf("ST_Transform(ST_GeomFromText('MULTIPOLYGON(((%[1]f %[2]f,%[3]f %[2]f,%[3]f %[4]f,%[1]f %[4]f,%[1]f %[2]f)))', 4546), 4326)", x, y, x+w, y+h)
}

func pt(x, y float64) string {
	return fmt.Sprintf("ST_Transform(ST_SetSRID(ST_MakePoint(%f, %f), 4546), 4326)", x, y)
}

func fixture(t *testing.T) *testdb.DB {
	db := testdb.New(t)
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO cities (id, slug, name, adcode, metric_srid) VALUES (1, 'fx', '样例市', '150200', 4546), (2, 'other', '他市', '150300', 4546)`,
		// District 1: 10 × 10 km; its one subdistrict and communities fill its 1 km south-west corner.
		`INSERT INTO districts (id, city_id, adcode, name, name_en, kind, geom) VALUES
		   (1, 1, '150204', '青山区', 'Qingshan District', '区', ` + sq(x0, y0, 10000, 10000) + `),
		   (2, 1, '150205', '山城区', 'Hill Town', '区', ` + sq(x0+10000, y0, 2000, 2000) + `)`,
		`INSERT INTO subdistricts (id, city_id, district_id, code, name, geom) VALUES
		   (1, 1, 1, '150204001', '青山路街道', ` + sq(x0, y0, 1000, 1000) + `),
		   (2, 1, 2, '150205001', '幸福街道', ` + sq(x0+10000, y0, 2000, 2000) + `)`,
		// The three communities' convex hull is the subdistrict's square. Community 1 is an L: a 200 m square with a 20 m wide, 400 m long strip on its east
		// side; its largest inscribed circle is the square's (centre x0+100, y0+100, r 100).
		`INSERT INTO communities (id, city_id, subdistrict_id, code, name, population, households, geom) VALUES
		   (1, 1, 1, '150204001001', '青山社区', 100, 40, ST_Transform(ST_GeomFromText('MULTIPOLYGON(((415000 4495000,415600 4495000,415600 4495020,415200 4495020,415200 4495200,415000 4495200,415000 4495000)))', 4546), 4326)),
		   (2, 1, 1, '150204001002', '北青山社区', 100, 40, ` + sq(x0, y0+500, 1000, 500) + `),
		   (3, 1, 1, '150204001003', '南社区', 100, 40, ` + sq(x0+800, y0, 200, 200) + `)`,
		`INSERT INTO parks (id, city_id, name, park_class, open_status, geom) VALUES
		   (1, 1, '青山', 'community', 'open', ` + sq(x0+300, y0+600, 100, 50) + `),
		   (2, 1, '青山公园', 'comprehensive', 'open', ` + sq(x0+5000, y0+5000, 300, 300) + `),
		   (3, 1, '达标率50%公园', 'garden', 'open', ` + sq(x0+6000, y0+6000, 50, 50) + `),
		   (4, 2, '青山', 'garden', 'open', ` + sq(x0, y0, 50, 50) + `)`,
		`INSERT INTO facilities (id, city_id, category, name, geom) VALUES
		   (1, 1, 'pharmacy', '青山药店', ` + pt(x0+50, y0+50) + `),
		   (2, 1, 'supermarket', '小青山超市', ` + pt(x0+7000, y0+7000) + `)`,
	}
	for _, s := range stmts {
		if _, err := db.Pool.Exec(ctx, s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
	return db
}

func engine(_ *testing.T, db *testdb.DB) *gin.Engine {
	return httpapi.Must(httpapi.NewEngine(httpapi.Options{MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Handler{Store: search.Store{Pool: db.Pool}}))
}

func get(t *testing.T, e http.Handler, path string, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if out != nil && rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if rec.Code != 200 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s: %d without a problem document", path, rec.Code)
	}
	return rec.Code
}

// refusals checks that each path gets its status (as a problem document, see get).
func refusals(t *testing.T, e http.Handler, want map[string]int) {
	t.Helper()
	for path, code := range want {
		if got := get(t, e, path, nil); got != code {
			t.Errorf("%s: %d, want %d", path, got, code)
		}
	}
}

func names(r search.Result) string {
	var s []string
	for _, h := range r.Hits {
		s = append(s, h.Type+":"+h.Name+":"+h.Match)
	}
	return strings.Join(s, " ")
}

func TestSearchRanking(t *testing.T) {
	db := fixture(t)
	e := engine(t, db)
	var r search.Result
	if c := get(t, e, "/api/v1/search?q=%E9%9D%92%E5%B1%B1&city=fx", &r); c != 200 {
		t.Fatalf("status %d", c)
	}
	want := "park:青山:exact district:青山区:prefix subdistrict:青山路街道:prefix community:青山社区:prefix " +
		"park:青山公园:prefix facility:青山药店:prefix community:北青山社区:substring facility:小青山超市:substring"
	if got := names(r); got != want || r.Total != 8 {
		t.Errorf("青山 in fx:\n got %s (total %d)\nwant %s (total 8)", got, r.Total, want)
	}
	// Where each lies and what it is.
	by := map[string]search.Hit{}
	for _, h := range r.Hits {
		by[h.Name] = h
	}
	if w := by["青山社区"].Within; w == nil || *w != "青山路街道" {
		t.Errorf("community within %v", w)
	}
	if w := by["青山路街道"].Within; w == nil || *w != "青山区" {
		t.Errorf("subdistrict within %v", w)
	}
	if w := by["青山药店"].Within; w == nil || *w != "青山社区" { // (x0+50, y0+50) is in the L's square
		t.Errorf("facility within %v", w)
	}
	if k := by["青山药店"].Kind; k == nil || *k != "pharmacy" {
		t.Errorf("facility kind %v", k)
	}
	// The bbox of park 青山 is its rectangle (x0+300..x0+400, y0+600..y0+650) in WGS 84.
	var w, s, ee, n float64
	if err := db.Pool.QueryRow(context.Background(), `SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT `+sq(x0+300, y0+600, 100, 50)+` g) x`).Scan(&w, &s, &ee, &n); err != nil {
		t.Fatal(err)
	}
	b := by["青山"].BBox
	if math.Abs(b[0]-w) > 1e-7 || math.Abs(b[1]-s) > 1e-7 || math.Abs(b[2]-ee) > 1e-7 || math.Abs(b[3]-n) > 1e-7 {
		t.Errorf("bbox %v, want %v", b, []float64{w, s, ee, n})
	}
	if p := by["青山"].Point; p[0] < w || p[0] > ee || p[1] < s || p[1] > n {
		t.Errorf("point %v outside the park", p)
	}

	// Paging: the 4th to 6th of the same order, with the same total.
	r = search.Result{}
	get(t, e, "/api/v1/search?q=%E9%9D%92%E5%B1%B1&city=fx&limit=3&offset=3", &r)
	if got := names(r); got != "community:青山社区:prefix park:青山公园:prefix facility:青山药店:prefix" || r.Total != 8 {
		t.Errorf("page 2: %s (total %d)", got, r.Total)
	}
	r = search.Result{}
	get(t, e, "/api/v1/search?q=%E9%9D%92%E5%B1%B1&city=fx&offset=50", &r)
	if len(r.Hits) != 0 || r.Total != 8 {
		t.Errorf("past the end: %s (total %d)", names(r), r.Total)
	}
	// Types filter.
	r = search.Result{}
	get(t, e, "/api/v1/search?q=%E9%9D%92%E5%B1%B1&city=fx&types=facility,park", &r)
	if got := names(r); got != "park:青山:exact park:青山公园:prefix facility:青山药店:prefix facility:小青山超市:substring" {
		t.Errorf("types: %s", got)
	}
	// Every city: the other city's park 青山 joins, after fx's by id.
	r = search.Result{}
	get(t, e, "/api/v1/search?q=%E9%9D%92%E5%B1%B1&types=park", &r)
	if r.Total != 3 || r.Hits[0].City != "fx" || r.Hits[1].City != "other" || r.Hits[1].Match != "exact" {
		t.Errorf("all cities: %s %+v", names(r), r.Hits)
	}
	// English names, case-insensitively: Hill Town is 山城区.
	r = search.Result{}
	get(t, e, "/api/v1/search?q=HILL+town&city=fx", &r)
	if names(r) != "district:山城区:exact" {
		t.Errorf("HILL town: %s", names(r))
	}
	r = search.Result{}
	get(t, e, "/api/v1/search?q=hill&city=fx", &r)
	if names(r) != "district:山城区:prefix" {
		t.Errorf("hill: %s", names(r))
	}
	// LIKE wildcards in the text match themselves only.
	r = search.Result{}
	get(t, e, "/api/v1/search?q=50%25&city=fx", &r)
	if names(r) != "park:达标率50%公园:substring" {
		t.Errorf("50%%: %s", names(r))
	}
	for _, q := range []string{"5_%25", "%25%25", "_"} {
		r = search.Result{}
		get(t, e, "/api/v1/search?q="+q+"&city=fx", &r)
		if r.Total != 0 {
			t.Errorf("%s matched %s", q, names(r))
		}
	}
	refusals(t, e, map[string]int{
		"/api/v1/search?q=a&city=nowhere": 404,
		"/api/v1/search?q=a&filter=x":     400,
		"/api/v1/search?city=fx":          400,
		"/api/v1/search?q=a&types=lake":   400,
		"/api/v1/search?q=a&limit=1000":   400,
	})
}

func TestSearchUsesTrigramIndex(t *testing.T) {
	db := fixture(t)
	ctx := context.Background()
	// Enough rows that the planner prefers the index to reading the table.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO facilities (id, city_id, category, name, geom)
		SELECT 100 + g, 1, 'pharmacy', '药店' || g, `+pt(x0+1, y0+1)+` FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	// VACUUM moves the rows out of the GIN pending list (as autovacuum does after a load).
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE facilities`); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Pool.Query(ctx, `EXPLAIN SELECT id FROM facilities WHERE lower(name) LIKE lower('%青山药%')`)
	var all []string
	for rows.Next() {
		var l string
		_ = rows.Scan(&l)
		all = append(all, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(all, "\n"), "facilities_name_trgm") {
		t.Errorf("a three-character substring search does not use the trigram index:\n%s", strings.Join(all, "\n"))
	}
}

func TestLabels(t *testing.T) {
	db := fixture(t)
	e := engine(t, db)
	ctx := context.Background()
	type fc struct {
		Features []struct {
			ID         int64
			Properties search.Label
			Geometry   struct{ Coordinates [2]float64 }
		}
	}
	// The label point in metric coordinates, to compare with the hand-worked centre.
	metric := func(p [2]float64) (x, y float64) {
		if err := db.Pool.QueryRow(ctx, `SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 4546) g) q`, p[0], p[1]).Scan(&x, &y); err != nil {
			t.Fatal(err)
		}
		return
	}
	near := func(what string, gx, gy, wx, wy, tol float64) {
		if math.Hypot(gx-wx, gy-wy) > tol {
			t.Errorf("%s: label at (%.1f, %.1f), want (%.1f, %.1f) ± %.0f m", what, gx, gy, wx, wy, tol)
		}
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE communities SET synthetic = true WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	var c fc
	if code := get(t, e, "/api/v1/labels?city=fx&layer=communities", &c); code != 200 || len(c.Features) != 3 {
		t.Fatalf("communities: %d, %d features", code, len(c.Features))
	}
	if c.Features[0].Properties.Synthetic || !c.Features[1].Properties.Synthetic {
		t.Errorf("synthetic flags %v %v, want false true", c.Features[0].Properties.Synthetic, c.Features[1].Properties.Synthetic)
	}
	// The L: the centre of its 200 m square, radius 100 m (not its centroid, which the
	// strip pulls east).
	x, y := metric(c.Features[0].Geometry.Coordinates)
	near("the L community", x, y, x0+100, y0+100, 2)
	if r := c.Features[0].Properties.RadiusM; math.Abs(r-100) > 2 {
		t.Errorf("the L's radius %.2f, want 100", r)
	}
	// District 1 is labelled on the hull of its communities (the square x0..x0+1000, y0..y0+1000),
	// not at the centre of its 10 km square; district 2 has no communities: its own centre.
	c = fc{}
	get(t, e, "/api/v1/labels?city=fx&layer=districts", &c)
	if len(c.Features) != 2 || c.Features[0].Properties.NameEN == nil || *c.Features[0].Properties.NameEN != "Qingshan District" {
		t.Fatalf("districts: %+v", c.Features)
	}
	x, y = metric(c.Features[0].Geometry.Coordinates)
	near("district 1", x, y, x0+500, y0+500, 2)
	x, y = metric(c.Features[1].Geometry.Coordinates)
	near("district 2", x, y, x0+11000, y0+1000, 2)
	refusals(t, e, map[string]int{
		"/api/v1/labels?city=nowhere&layer=parks":   404,
		"/api/v1/labels?city=fx&layer=facilities":   400,
		"/api/v1/labels?city=fx":                    400,
		"/api/v1/labels?city=fx&layer=parks&bbox=1": 400,
	})
}
