package coverage

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/testdb"
)

// parcelFeatures pages GET /api/v1/indicators/park-coverage/parcels?<query> through to the
// end (limit per page) and returns every feature's properties and the numberMatched.
func parcelFeatures(t *testing.T, h http.Handler, query string, limit string) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	after, matched := "0", 0
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/indicators/park-coverage/parcels?"+query+"&limit="+limit+"&after="+after, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/geo+json" {
			t.Fatalf("parcels: %d %s", rec.Code, rec.Body.String())
		}
		var fc struct {
			Features []struct {
				Geometry   map[string]any `json:"geometry"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
			Matched  int             `json:"numberMatched"`
			Returned int             `json:"numberReturned"`
			Next     json.RawMessage `json:"next"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
			t.Fatal(err)
		}
		if fc.Returned != len(fc.Features) {
			t.Fatalf("numberReturned %d, %d features", fc.Returned, len(fc.Features))
		}
		for _, f := range fc.Features {
			if f.Geometry["type"] != "MultiPolygon" {
				t.Fatalf("parcel %v: geometry %v", f.Properties["id"], f.Geometry["type"])
			}
			out = append(out, f.Properties)
		}
		matched = fc.Matched
		if string(fc.Next) == "null" || len(fc.Next) == 0 {
			return out, matched
		}
		after = string(fc.Next)
	}
}

// TestParcelsAgreeWithPostGIS checks the per-parcel coverage endpoint of GB/T 50563-2010
// with the buffer method against PostGIS, parcel by parcel:
// ST_Area(ST_Intersection(parcel, ST_Union(ST_Buffer(park, radius)))) over the parks the
// standard counts (written from the standard, as TestBufferAgreesWithPostGIS); that every
// parcel of the city comes once over the pages (numberMatched the count); and that the
// parcels add up to the indicator's city figure (covered area and covered residents).
func TestParcelsAgreeWithPostGIS(t *testing.T) {
	pool := newDB(t)
	ctx := t.Context()
	gen := generateCity(11, 400, 12)
	cityID := gen.load(t, pool, "parcels")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg, Log: log}
	store, err := featureapi.NewStore(ctx, pool, layers.Default())
	if err != nil {
		t.Fatal(err)
	}
	ogc, err := ogcapi.New(ctx, pool, store, layers.Default(), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := ogc.Catalog.Register(AdapterParcelCollection(svc)); err != nil {
		t.Fatal(err)
	}
	gaps, err := AdapterGapCollection(ctx, pool, svc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ogc.Catalog.Register(gaps); err != nil {
		t.Fatal(err)
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, AdapterHandler(svc, pool, log), ogc))

	// The default caliber of a city that records none is GB/T 50563-2010, with its method.
	feats, matched := parcelFeatures(t, h, "city=parcels", "150")
	rows, err := pool.Query(ctx, `
		WITH u AS (SELECT ST_Union(ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END)) g FROM parks
		           WHERE city_id = $1 AND park_class <> 'square' AND open_status <> 'closed'
		             AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000)))
		SELECT r.id, coalesce(ST_Area(ST_Intersection(r.geom_m, u.g)), 0), ST_Area(r.geom_m), r.population
		FROM residential_land r LEFT JOIN u ON true WHERE r.city_id = $1`, cityID)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ covered, area, pop float64 }
	wants := map[int64]want{}
	for rows.Next() {
		var id int64
		var w want
		if err := rows.Scan(&id, &w.covered, &w.area, &w.pop); err != nil {
			t.Fatal(err)
		}
		wants[id] = w
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if matched != len(wants) || len(feats) != len(wants) {
		t.Fatalf("numberMatched %d, %d features, PostGIS counts %d parcels", matched, len(feats), len(wants))
	}
	var sumCov, sumPop, worst, worstRel float64
	partly := 0
	seen := map[int64]bool{}
	for _, p := range feats {
		id := int64(p["id"].(float64))
		w, ok := wants[id]
		if !ok || seen[id] {
			t.Fatalf("parcel %d: unknown or repeated", id)
		}
		seen[id] = true
		cov := p["covered_m2"].(float64)
		d := math.Abs(cov - w.covered)
		worst, worstRel = math.Max(worst, d), math.Max(worstRel, d/math.Max(w.area, 1))
		if d > 1e-6 {
			t.Errorf("parcel %d: covered %.9f m², PostGIS %.9f m²", id, cov, w.covered)
		}
		if share := p["share"].(float64); math.Abs(share-w.covered/w.area) > 1e-9 {
			t.Errorf("parcel %d: share %.12f, PostGIS %.12f", id, share, w.covered/w.area)
		}
		if w.covered > 1 && w.covered < w.area-1 {
			partly++
		}
		sumCov += cov
		sumPop += p["covered_population"].(float64)
	}
	t.Logf("%d parcels (%d partly covered): largest difference from PostGIS %.3g m² (%.3g of the parcel)", len(feats), partly, worst, worstRel)
	if partly < 10 {
		t.Fatalf("only %d parcels partly covered: the fixture tests little", partly)
	}

	// The parcels add up to the indicator's headline figures.
	rep, err := svc.Indicator(ctx, Query{City: "parcels"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Caliber.ID != "gbt50563-2010" || rep.Method != caliber.Buffer {
		t.Fatalf("indicator under %s/%s", rep.Caliber.ID, rep.Method)
	}
	if math.Abs(sumCov-rep.City1.CoveredM2) > 1e-6 || math.Abs(sumPop-rep.City1.CoveredPopulation) > 1e-6 {
		t.Fatalf("parcels sum to %.6f m² and %.6f residents, the indicator %.6f m² and %.6f", sumCov, sumPop, rep.City1.CoveredM2, rep.City1.CoveredPopulation)
	}

	// The network method: each parcel at most its buffer figure; the sum is the figure.
	net, _ := parcelFeatures(t, h, "city=parcels&caliber=gbt50563-2010&method=network", "5000")
	byID := map[int64]float64{}
	for _, p := range feats {
		byID[int64(p["id"].(float64))] = p["covered_m2"].(float64)
	}
	sumCov = 0
	for _, p := range net {
		c := p["covered_m2"].(float64)
		if c > byID[int64(p["id"].(float64))]+1e-6 {
			t.Fatalf("parcel %v: network %v m² above buffer %v m²", p["id"], c, byID[int64(p["id"].(float64))])
		}
		sumCov += c
	}
	nrep, err := svc.Indicator(ctx, Query{City: "parcels", Method: caliber.Network})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(sumCov-nrep.City1.CoveredM2) > 1e-6 {
		t.Fatalf("network: parcels sum to %.6f m², the indicator %.6f m²", sumCov, nrep.City1.CoveredM2)
	}

	// The OGC collection: the same parcels and figures, numberMatched the parcel count, paged
	// by its next links; the queryables list the properties.
	ogcFeats, ogcMatched := testdb.OGCItems(t, h, ogcapi.Prefix+"/collections/park_coverage_parcels/items?city=parcels&caliber_id=gbt50563-2010&method=network&limit=70")
	if ogcMatched != len(wants) || len(ogcFeats) != len(net) {
		t.Fatalf("OGC: numberMatched %d, %d features; %d parcels", ogcMatched, len(ogcFeats), len(wants))
	}
	for i, p := range net {
		o := ogcFeats[i]
		if o["id"] != p["id"] || o["covered_m2"] != p["covered_m2"] || o["share"] != p["share"] || o["method"] != "network" {
			t.Fatalf("OGC feature %d: %v, endpoint %v", i, o, p)
		}
	}
	for _, bad := range []string{"items?city=parcels&bbox=0,0,1,1", "items?city=parcels&caliber_id=nope", "items?city=parcels&offset=5",
		"items?city=parcels&filter=covered_m2>1"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ogcapi.Prefix+"/collections/park_coverage_parcels/"+bad, nil))
		if rec.Code != 400 {
			t.Errorf("OGC %s: %d %s, want 400", bad, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ogcapi.Prefix+"/collections/park_coverage_parcels/queryables", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"covered_m2"`) {
		t.Errorf("queryables: %d %s", rec.Code, rec.Body.String())
	}

	for _, c := range []struct{ q, param string }{
		{"city=parcels&limit=0", "limit"}, {"city=parcels&limit=5001", "limit"}, {"city=parcels&after=x", "after"},
		{"city=parcels&caliber=nope", "caliber"}, {"city=parcels&method=bird", "method"}, {"", "city"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/indicators/park-coverage/parcels?"+c.q, nil))
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		if rec.Code != 400 || m["parameter"] != c.param {
			t.Errorf("%s: %d %v, want 400 naming %s", c.q, rec.Code, m, c.param)
		}
	}
	checkOGCDefaults(t, pool, h, feats)
}

// checkOGCDefaults checks what QGIS and GDAL read of park_coverage_parcels, which ask with
// no parameters: with one city in the database, the items without city= are that city's
// under its default caliber and method, as the endpoint's feats; an item by its id; the
// advertised extent of park_coverage_parcels and park_coverage_gaps is PostGIS's ST_Extent
// of the residential parcels; with a second city, city= is required (400 naming city).
func checkOGCDefaults(t *testing.T, pool *pgxpool.Pool, h http.Handler, feats []map[string]any) {
	ctx := t.Context()
	def, n := testdb.OGCItems(t, h, ogcapi.Prefix+"/collections/park_coverage_parcels/items?limit=150")
	if n != len(feats) || len(def) != len(feats) {
		t.Fatalf("OGC without city=: numberMatched %d, %d features; the endpoint %d", n, len(def), len(feats))
	}
	for i, o := range def {
		p := feats[i]
		if o["@id"] != p["id"] || o["id"] != p["id"] || o["covered_m2"] != p["covered_m2"] || o["share"] != p["share"] ||
			o["city"] != "parcels" || o["caliber_id"] != "gbt50563-2010" || o["method"] != caliber.Buffer {
			t.Fatalf("OGC feature %d without city=: %v, endpoint %v", i, o, p)
		}
	}
	get := func(path string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ogcapi.Prefix+path, nil))
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m
	}
	p := feats[len(feats)/2]
	if code, m := get(fmt.Sprintf("/collections/park_coverage_parcels/items/%v", p["id"])); code != 200 ||
		m["id"] != p["id"] || m["properties"].(map[string]any)["covered_m2"] != p["covered_m2"] {
		t.Fatalf("item %v: %d %v", p["id"], code, m)
	}
	var box [4]float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM residential_land) x`).
		Scan(&box[0], &box[1], &box[2], &box[3]); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"park_coverage_parcels", "park_coverage_gaps"} {
		code, m := get("/collections/" + id)
		b, _ := json.Marshal(m["extent"])
		var e struct{ Spatial struct{ BBox [][]float64 } }
		_ = json.Unmarshal(b, &e)
		if code != 200 || len(e.Spatial.BBox) != 1 {
			t.Fatalf("%s: %d, extent %s", id, code, b)
		}
		for i, v := range e.Spatial.BBox[0] {
			if math.Abs(v-box[i]) > 1e-12 {
				t.Fatalf("%s: advertised extent %v, PostGIS %v", id, e.Spatial.BBox[0], box)
			}
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('second', 'second', '150200', 32649)`); err != nil {
		t.Fatal(err)
	}
	if code, m := get("/collections/park_coverage_parcels/items"); code != 400 || m["parameter"] != "city" {
		t.Fatalf("two cities, no city=: %d %v, want 400 naming city", code, m)
	}
	if code, _ := get("/collections/park_coverage_parcels/items?city=parcels&limit=1"); code != 200 {
		t.Fatalf("two cities, city=parcels: %d", code)
	}
}
