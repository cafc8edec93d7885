package ogcapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/testdb"
)

// env is one test's OGC API over its own database holding a Baotou city (metric CRS
// EPSG:4546, CGCS2000 3-degree GK CM 111°E).
type env struct {
	t    testing.TB
	db   *testdb.DB
	h    *gin.Engine
	reg  *layers.Registry
	api  *ogcapi.API
	city int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	e := &env{t: t, db: db, reg: layers.Default()}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`).Scan(&e.city); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := featureapi.NewStore(ctx, db.Pool, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.api, err = ogcapi.New(ctx, db.Pool, store, e.reg, log)
	if err != nil {
		t.Fatal(err)
	}
	e.h = httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{Tokens: &auth.Store{Pool: db.Pool}, AnonymousRead: true}}, e.api))
	return e
}

// exec runs SQL on the test database.
func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// count is SELECT count(*) … as the oracle.
func (e *env) count(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// seed inserts a known set of features into several layers: 260 residential parcels in a
// 20 × 13 grid (population 100…359), 12 parks of alternating classes, 30 facilities,
// 3 growth-boundary editions, a district, a subdistrict and 4 network edges.
func (e *env) seed() {
	e.t.Helper()
	e.exec(`INSERT INTO districts (city_id, adcode, name, geom) VALUES ($1, '150203', '昆都仑区', ST_Multi(ST_MakeEnvelope(109.7, 40.5, 109.9, 40.7, 4326)))`, e.city)
	e.exec(`INSERT INTO subdistricts (city_id, district_id, code, name, geom) SELECT $1, id, '150203001', '沼潭街道', ST_Multi(ST_MakeEnvelope(109.8, 40.6, 109.85, 40.65, 4326)) FROM districts`, e.city)
	e.exec(`INSERT INTO residential_land (city_id, landuse_code, population, households, data_source, geom)
		SELECT $1, CASE WHEN (i + j) % 3 = 0 THEN '0701' ELSE '0702' END, 100 + i * 13 + j, 40 + j, 'test',
		       ST_Multi(ST_MakeEnvelope(109.8 + i * 0.001, 40.6 + j * 0.001, 109.8 + i * 0.001 + 0.0008, 40.6 + j * 0.001 + 0.0008, 4326))
		FROM generate_series(0, 19) i, generate_series(0, 12) j`, e.city)
	e.exec(`INSERT INTO parks (city_id, name, park_class, pocket, geom)
		SELECT $1, '公园' || i, (ARRAY['comprehensive','community','garden'])[1 + i % 3], i % 3 = 2,
		       ST_Multi(ST_MakeEnvelope(109.82 + i * 0.002, 40.62, 109.821 + i * 0.002, 40.621, 4326))
		FROM generate_series(1, 12) i`, e.city)
	e.exec(`INSERT INTO facilities (city_id, category, name, floor_area_m2, geom)
		SELECT $1, (ARRAY['clinic','kindergarten','supermarket'])[1 + i % 3], 'F' || i, i * 10.5,
		       ST_SetSRID(ST_MakePoint(109.80 + i * 0.0007, 40.61 + (i % 5) * 0.001), 4326)
		FROM generate_series(1, 30) i`, e.city)
	e.exec(`INSERT INTO growth_boundaries (city_id, edition, approved_on, valid_from, valid_to, geom) VALUES
		($1, '2015版', '2015-03-01', '2015-06-01', '2020-01-01', ST_Multi(ST_MakeEnvelope(109.75, 40.55, 109.9, 40.7, 4326))),
		($1, '2020版', '2019-12-01', '2020-01-01', '2024-07-01', ST_Multi(ST_MakeEnvelope(109.74, 40.54, 109.91, 40.71, 4326))),
		($1, '2024版', '2024-06-01', '2024-07-01', NULL, ST_Multi(ST_MakeEnvelope(109.73, 40.53, 109.92, 40.72, 4326)))`, e.city)
	e.exec(`INSERT INTO network_edges (city_id, source, target, highway, walkable, name, geom)
		SELECT $1, i, i + 1, 'footway', true, 'E' || i, ST_SetSRID(ST_MakeLine(ST_MakePoint(109.8 + i * 0.001, 40.6), ST_MakePoint(109.801 + i * 0.001, 40.6)), 4326)
		FROM generate_series(1, 4) i`, e.city)
	e.exec(`ANALYZE`)
}

// resp is a recorded response.
type resp = testdb.Response

// get sends GET path with optional header name/value pairs.
func (e *env) get(path string, hdr ...string) resp {
	e.t.Helper()
	return e.send("GET", path, nil, hdr...)
}

// send sends method path with body and header name/value pairs.
func (e *env) send(method, path string, body io.Reader, hdr ...string) resp {
	e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	return testdb.Serve(e.h, req, hdr...)
}

// checksum digests every feature table so a test can prove a refused request changed
// nothing.
func (e *env) checksum() string {
	e.t.Helper()
	var tables []string
	for _, l := range e.reg.All() {
		tables = append(tables, l.Table())
	}
	return e.db.Digest(e.t, tables, "feature_history", "api_tokens", "cities")
}

func links(t testing.TB, doc map[string]any) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	ls, _ := doc["links"].([]any)
	for _, l := range ls {
		m := l.(map[string]any)
		out[m["rel"].(string)] = append(out[m["rel"].(string)], m)
	}
	return out
}
