package checks_test

// The HTTP adapter's test lives beside the fixture it shares with the domain tests.

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/checks/checkshttp"
	"github.com/cityreach/cityreach/internal/httpapi"
)

func TestHandlers(t *testing.T) {
	h := checkshttp.Handler{Service: checks.HandlerFixture(t), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
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
		{"/api/v1/checks/complete-communities?city=fixture&as_of=2024%20%E6%97%A0", 400}, // no such edition
		{"/api/v1/checks/corridors?city=fixture&as_of=yesterday", 400},
	} {
		code, ct, body := get(bad.path)
		if code != bad.code || ct != "application/problem+json" {
			t.Errorf("%s: %d %s %s, want %d problem+json", bad.path, code, ct, body, bad.code)
		}
	}
	code, ct, body := get("/api/v1/checks/control-lines?city=fixture&format=geojson")
	if code != 200 || ct != checkshttp.GeoJSONType {
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
	var sc checks.ScorecardReport
	if code != 200 || json.Unmarshal(body, &sc) != nil || sc.Complete != 1 {
		t.Errorf("scorecard: %d %s", code, body)
	}
	// as_of now: the data as it stands, said in the answer (as_of against a restored
	// database: internal/edition's TestIndicatorsAsOfEqualRestoredDatabase).
	code, _, body = get("/api/v1/checks/complete-communities?city=fixture&as_of=" + url.QueryEscape(time.Now().Format(time.RFC3339Nano)))
	var past checks.ScorecardReport
	if code != 200 || json.Unmarshal(body, &past) != nil || past.AsOf == nil || past.Complete != sc.Complete || len(past.Scores) != len(sc.Scores) {
		t.Errorf("scorecard as of now: %d %s", code, body)
	}
	for _, p := range []string{"/api/v1/checks/corridors?city=fixture&format=geojson", "/api/v1/checks/outside-boundary?city=fixture&format=geojson",
		"/api/v1/checks/growth-boundary/diff?city=fixture&from=2021&to=2024&format=geojson", "/api/v1/checks/complete-communities?city=fixture&format=geojson"} {
		if code, ct, body := get(p); code != 200 || ct != checkshttp.GeoJSONType {
			t.Errorf("%s: %d %s %s", p, code, ct, body)
		}
	}
}
