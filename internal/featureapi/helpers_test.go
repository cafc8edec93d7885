package featureapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/testdb"
)

// env is one test's server over its own database, with a Baotou city, the parents the
// child layers need, and tokens for each role.
type env struct {
	t       testing.TB
	db      *testdb.DB
	h       *gin.Engine
	reg     *layers.Registry
	city    int64
	parents map[string]int64 // district, subdistrict, park
	tokens  map[string]string
}

const testMaxBody = 64 << 10

func newEnv(t testing.TB, anonymousRead bool) *env {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	e := &env{t: t, db: db, reg: layers.Default(), parents: map[string]int64{}, tokens: map[string]string{}}
	q := func(sql string, dst *int64, args ...any) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`, &e.city)
	var d, s, p int64
	q(`INSERT INTO districts (city_id, adcode, name, geom) VALUES ($1, '150203', '昆都仑区', ST_Multi(ST_MakeEnvelope(109.7, 40.5, 109.9, 40.7, 4326))) RETURNING id`, &d, e.city)
	q(`INSERT INTO subdistricts (city_id, district_id, code, name, geom) VALUES ($1, $2, '150203001', '沼潭街道', ST_Multi(ST_MakeEnvelope(109.8, 40.6, 109.85, 40.65, 4326))) RETURNING id`, &s, e.city, d)
	q(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '八一公园', 'comprehensive', ST_Multi(ST_MakeEnvelope(109.82, 40.62, 109.83, 40.63, 4326))) RETURNING id`, &p, e.city)
	e.parents["district"], e.parents["subdistrict"], e.parents["park"] = d, s, p
	store := &auth.Store{Pool: db.Pool}
	for name, role := range map[string]auth.Role{"alice": auth.Editor, "bob": auth.Editor, "vera": auth.Viewer, "root": auth.Admin} {
		_, secret, err := store.Create(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = secret
	}
	api, err := featureapi.New(ctx, db.Pool, e.reg, testMaxBody, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := httpapi.NewAPIDocument(httpapi.Info{Title: "layers", Version: "1"}, api)
	if err != nil {
		t.Fatal(err)
	}
	e.h = httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, Policy: e.policy(anonymousRead)}, api, doc))
	return e
}

// policy is the engine's policy over the test database's tokens.
func (e *env) policy(anonymousRead bool) httpapi.Policy {
	return httpapi.Policy{Tokens: &auth.Store{Pool: e.db.Pool}, AnonymousRead: anonymousRead}
}

// resp is a recorded response.
type resp = testdb.Response

// do sends a request as the named token holder ("" for anonymous); hdr are extra headers
// as name, value pairs.
func (e *env) do(method, path, who string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/geo+json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	return testdb.Serve(e.h, req, hdr...)
}

// checksum digests every feature table, the history and the tokens, so a test can prove
// that a refused request changed nothing.
func (e *env) checksum() string {
	e.t.Helper()
	var tables []string
	for _, l := range e.reg.All() {
		tables = append(tables, l.Table())
	}
	return e.db.Digest(e.t, tables, "feature_history", "api_tokens")
}

func feature(geom map[string]any, props map[string]any) map[string]any {
	return map[string]any{"type": "Feature", "geometry": geom, "properties": props}
}

func polygon(coords ...[2]float64) map[string]any {
	ring := make([][]float64, len(coords))
	for i, c := range coords {
		ring[i] = []float64{c[0], c[1]}
	}
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{ring}}
}

// square is a closed square polygon with its south-west corner at lon, lat.
func square(lon, lat, size float64) map[string]any {
	return polygon([2]float64{lon, lat}, [2]float64{lon + size, lat}, [2]float64{lon + size, lat + size}, [2]float64{lon, lat + size}, [2]float64{lon, lat})
}

func point(lon, lat float64) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}
}

func line(coords ...[2]float64) map[string]any {
	pts := make([][]float64, len(coords))
	for i, c := range coords {
		pts[i] = []float64{c[0], c[1]}
	}
	return map[string]any{"type": "LineString", "coordinates": pts}
}

func props(m map[string]any) map[string]any { return m }
