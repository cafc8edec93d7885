package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestMetricsAfterRequests serves the demo city (scale 0.05) with the same handler as
// `cityreach serve`, makes a counted set of requests, scrapes /metrics and checks each
// series against the requests that were made: request counts by route template and
// status, tile cache hits and misses, one park-coverage computation for the caliber and
// method asked, snapshot loads, and the pool's size.
func TestMetricsAfterRequests(t *testing.T) {
	db, h := demoServer(t)
	ctx := context.Background()
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close() //nolint:errcheck // test clean-up
		return res.StatusCode, res.Header.Get("X-Cache")
	}
	// The tile cache serves only once its invalidation listener is connected; until then
	// tiles bypass it. Wait for that on a tile that is not counted below.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, xc := get("/tiles/parks/8/207/96.mvt"); xc != "bypass" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tile cache's listener did not connect in 20 s")
		}
	}
	before := scrape(t, srv.URL+"/metrics")

	// Three different tiles over a park, each asked twice: 3 misses, then 3 hits.
	var lon, lat float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM parks ORDER BY id LIMIT 1) p`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	var tiles []string
	for _, z := range []int{12, 14, 16} {
		x, y := tileOf(lon, lat, z)
		tiles = append(tiles, fmt.Sprintf("/tiles/parks/%d/%d/%d.mvt", z, x, y))
	}
	xcache := map[string]float64{}
	for range 2 {
		for _, p := range tiles {
			code, xc := get(p)
			if code != 200 && code != 204 {
				t.Fatalf("%s: %d", p, code)
			}
			xcache[xc]++
		}
	}
	if xcache["miss"] != 3 || xcache["hit"] != 3 {
		t.Fatalf("X-Cache of the six tile answers: %v, want 3 miss and 3 hit", xcache)
	}
	// The same coverage question twice: one computation, then a reused answer.
	cov := "/api/v1/indicators/park-coverage?city=baotou&caliber=gbt50563-2010&method=buffer&level=district"
	for range 2 {
		if code, _ := get(cov); code != 200 {
			t.Fatalf("coverage: %d", code)
		}
	}
	// Two unknown paths.
	for range 2 {
		if code, _ := get("/no/such/path"); code != 404 {
			t.Fatalf("unknown path: %d", code)
		}
	}

	after := scrape(t, srv.URL+"/metrics")
	// Each figure is the change between the two scrapes.
	counter := func(name string, labels map[string]string) float64 {
		t.Helper()
		return sample(t, after, name, labels) - sample(t, before, name, labels)
	}
	hist := func(name string, labels map[string]string) float64 {
		t.Helper()
		return histCount(t, after, name, labels) - histCount(t, before, name, labels)
	}
	if got := counter("cityreach_http_requests_total", map[string]string{"route": "/tiles/:layers/:z/:x/:y", "method": "GET"}); got != 6 {
		t.Errorf("tile requests: %v, want 6", got)
	}
	if got := counter("cityreach_http_requests_total", map[string]string{"route": "/api/v1/indicators/park-coverage", "code": "200"}); got != 2 {
		t.Errorf("coverage requests: %v, want 2", got)
	}
	if got := counter("cityreach_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}); got != 2 {
		t.Errorf("unmatched 404s: %v, want 2", got)
	}
	if got := hist("cityreach_http_request_duration_seconds", map[string]string{"route": "/tiles/:layers/:z/:x/:y"}); got != 6 {
		t.Errorf("tile durations observed: %v, want 6", got)
	}
	if got := counter("cityreach_tile_cache_misses_total", nil); got != 3 {
		t.Errorf("tile cache misses: %v, want 3", got)
	}
	if got := counter("cityreach_tile_cache_hits_total", nil); got != 3 {
		t.Errorf("tile cache hits: %v, want 3", got)
	}
	if got := hist("cityreach_indicator_compute_seconds", map[string]string{"indicator": "park_coverage", "caliber": "gbt50563-2010", "method": "buffer"}); got != 1 {
		t.Errorf("park-coverage computations: %v, want 1 (the second answer is reused)", got)
	}
	if got := hist("cityreach_snapshot_load_seconds", map[string]string{"what": "coverage_snapshot"}); got != 1 {
		t.Errorf("coverage snapshot loads: %v, want 1", got)
	}
	if got := sample(t, after, "cityreach_db_pool_max_conns", nil); got != float64(db.Pool.Config().MaxConns) {
		t.Errorf("pool max conns: %v, want %d", got, db.Pool.Config().MaxConns)
	}
	if got := sample(t, after, "cityreach_report_jobs", map[string]string{"status": "running"}); got != 0 {
		t.Errorf("running report jobs: %v, want 0", got)
	}
}

// editorSecret creates an editor token named name and returns its secret.
func editorSecret(t *testing.T, db *testdb.DB, name string) string {
	t.Helper()
	_, secret, err := (&auth.Store{Pool: db.Pool}).Create(context.Background(), name, auth.Editor)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// demoServer seeds the demo city at scale 0.05 into a fresh database and returns it with
// the whole HTTP server of `cityreach serve` over it (compression included).
func demoServer(t *testing.T) (*testdb.DB, http.Handler) {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	log := slog.New(slog.DiscardHandler)
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	app, err := buildApp(ctx, &cfg, db.Pool, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	h, err := handler(&cfg, db.Pool, nil, app, log)
	if err != nil {
		t.Fatal(err)
	}
	return db, h
}

// tileOf is the XYZ tile at zoom z that holds the point (Web Mercator, OSM numbering).
func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close() //nolint:errcheck // test clean-up
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// matching returns the metrics of family name whose labels include want.
func matching(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		return nil // a vector with no series yet is not exported
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// sample sums the counter or gauge values of the matching series.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	var sum float64
	for _, m := range matching(t, fams, name, want) {
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		default:
			t.Fatalf("%s is not a counter or gauge", name)
		}
	}
	return sum
}

// histCount sums the observation counts of the matching histograms.
func histCount(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	var n uint64
	for _, m := range matching(t, fams, name, want) {
		if m.Histogram == nil {
			t.Fatalf("%s is not a histogram", name)
		}
		n += m.GetHistogram().GetSampleCount()
	}
	return float64(n)
}
