package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/testdb"
)

// fill gives a route's path parameters values that route the request to its handler.
func fill(path string) string {
	if path == "/tiles/:layers" {
		return "/tiles/parks.json"
	}
	if strings.HasPrefix(path, "/tiles/") {
		return "/tiles/parks/0/0/0.mvt"
	}
	r := strings.NewReplacer(":layer", "parks", ":collectionId", "parks", ":featureId", "1", ":id", "1",
		":version", "1", ":process", "report", ":job", "nope", ":file", "x.csv", ":n", "1")
	return r.Replace(path)
}

// TestEveryReadRefusesUnknownAndRepeatedParameters walks the routes of the whole server as
// `cityreach serve` wires them and sends each GET an unknown parameter: every one answers
// 400 as a problem document naming it, before any computation. The web map's files and the
// health probes are the only routes that take no part (they read no parameter).
func TestEveryReadRefusesUnknownAndRepeatedParameters(t *testing.T) {
	tdb := testdb.New(t)
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	ctx := context.Background()
	cfg := config.Defaults()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := buildApp(ctx, &cfg, tdb.Pool, log)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	h, err := engine(&cfg, tdb.Pool, nil, app, log)
	if err != nil {
		t.Fatal(err)
	}
	_, admin, err := (&auth.Store{Pool: tdb.Pool}).Create(ctx, "root", auth.Admin)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	exempt := func(p string) bool {
		return p == "/" || p == "/index.html" || strings.HasPrefix(p, "/assets/") || strings.HasPrefix(p, "/glyphs/") ||
			!strings.Contains(p[1:], "/") && strings.Contains(p, ".") // the build's top-level files
	}
	checked := 0
	for _, rt := range h.Routes() {
		if rt.Method != http.MethodGet || exempt(rt.Path) {
			continue
		}
		path := fill(rt.Path) + "?zz_unknown=1"
		rec := get(path)
		if rec.Code != 400 || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), "zz_unknown") {
			t.Errorf("GET %s: %d %q %s, want a 400 problem naming zz_unknown", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		checked++
	}
	if checked < 30 {
		t.Fatalf("only %d GET routes checked; the route list is not the server's", checked)
	}
	// A repeated parameter is refused where the handler would read only one of the values.
	for _, path := range []string{
		"/api/v1/indicators/park-coverage?city=baotou&city=x",
		"/api/v1/indicators/park-coverage/gaps?limit=1&limit=2",
		"/api/v1/indicators/park-coverage/sites?n=1&n=2",
		"/api/v1/indicators/living-circle?city=baotou&city=x",
		"/api/v1/indicators/living-circle/communities.geojson?share=0.5&share=0.9",
		"/api/v1/isochrones?lon=1&lon=2&lat=40",
		"/api/v1/walk/network?city=a&city=b",
		"/api/v1/checks/corridors?city=a&city=b",
		"/tiles/parks/0/0/0.mvt?limit=1&limit=2",
	} {
		rec := get(path)
		var body map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != 400 || body["parameter"] == nil || !strings.Contains(body["detail"].(string), "more than once") {
			t.Errorf("GET %s: %d %s, want 400 naming the repeated parameter", path, rec.Code, rec.Body)
		}
	}
	t.Logf("%d GET routes refuse an unknown parameter", checked)
}
