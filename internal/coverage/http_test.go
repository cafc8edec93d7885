package coverage

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/caliber/caliberhttp"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/httpapi"
)

func TestHTTP(t *testing.T) {
	pool := newDB(t)
	gen := generateCity(3, 300, 8)
	gen.load(t, pool, "tiny")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg, Log: log, Ages: capacity.Ages{Store: capacity.Store{Pool: pool}}}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true, Tokens: auth.Static{"crk_root": {Name: "root", Role: auth.Admin}, "crk_ed": {Name: "ed", Role: auth.Editor}}}}, caliberhttp.Handler{Registry: reg, Store: &caliber.Store{Pool: pool}, Log: log}, AdapterHandler(svc, pool, log)))
	// as sends the request with a token (""; anonymous); do sends writes as the admin.
	as := func(secret, method, path, body string) (int, string, map[string]any) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		h.ServeHTTP(rec, req)
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, rec.Header().Get("Content-Type"), m
	}
	do := func(method, path, body string) (int, string, map[string]any) {
		if method == http.MethodGet {
			return as("", method, path, body)
		}
		return as("crk_root", method, path, body)
	}
	for _, c := range []struct{ path, param string }{
		{"/api/v1/indicators/park-coverage", "city"},
		{"/api/v1/indicators/park-coverage?city=nowhere", "city"},
		{"/api/v1/indicators/park-coverage?city=tiny&caliber=nope", "caliber"},
		{"/api/v1/indicators/park-coverage?city=tiny&method=bird", "method"},
		{"/api/v1/indicators/park-coverage?city=tiny&level=planet", "level"},
		{"/api/v1/indicators/park-coverage/gaps?city=tiny&limit=-1", "limit"},
		{"/api/v1/indicators/park-coverage/sites?city=tiny&n=0", "n"},
		{"/api/v1/indicators/park-coverage/sites?city=tiny&n=x", "n"},
		{"/api/v1/indicators/park-coverage?city=tiny&band=60-70", "band"},
		{"/api/v1/indicators/park-coverage?city=tiny&band=60-80", "band"}, // no age counts in this city
		{"/api/v1/indicators/park-coverage?city=tiny&band=60-80&as_of=2020-01-01", "band"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&k=-1", "k"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&k=201", "k"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&targets=0.9,1.5", "targets"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&targets=x", "targets"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&time_limit=0", "time_limit"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&weight=money", "weight"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&weight=band", "band"},
		{"/api/v1/indicators/park-coverage/siting?city=tiny&site_area=100", "site_area"},
		{"/api/v1/indicators/park-coverage/siting?city=nowhere", "city"},
	} {
		code, ct, m := do("GET", c.path, "")
		if code != 400 || ct != "application/problem+json" || m["parameter"] != c.param {
			t.Errorf("%s: %d %s %v, want 400 naming %s", c.path, code, ct, m, c.param)
		}
	}
	code, _, m := do("GET", "/api/v1/indicators/park-coverage?city=tiny&level=district", "")
	if code != 200 || m["reused"] != false || len(m["areas"].([]any)) == 0 {
		t.Fatalf("indicator: %d %v", code, m)
	}
	code, _, m2 := do("GET", "/api/v1/indicators/park-coverage?city=tiny&level=district", "")
	if code != 200 || m2["reused"] != true {
		t.Fatalf("second call should reuse the stored run: %d %v", code, m2["reused"])
	}
	if a, b := m["city_figure"].(map[string]any)["ratio"], m2["city_figure"].(map[string]any)["ratio"]; a != b {
		t.Errorf("stored ratio %v differs from computed %v", b, a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/indicators/park-coverage/gaps?city=tiny", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/geo+json" || !strings.Contains(rec.Body.String(), `"FeatureCollection"`) {
		t.Fatalf("gaps: %d %s %.200s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	code, _, m = do("GET", "/api/v1/indicators/park-coverage/sites?city=tiny&n=3", "")
	if code != 200 || len(m["sites"].([]any)) == 0 {
		t.Fatalf("sites: %d %v", code, m)
	}
	prev := m["coverage_now"].(float64)
	for _, s := range m["sites"].([]any) {
		after := s.(map[string]any)["coverage_after"].(float64)
		if after < prev {
			t.Errorf("coverage fell after a site: %v < %v", after, prev)
		}
		prev = after
	}
	// Siting: the best 2 and the curve, never below the greedy figure; drawn candidates that
	// are not polygons or too small are 400s naming candidates.
	code, _, m = do("GET", "/api/v1/indicators/park-coverage/siting?city=tiny&k=2&targets=0.5&time_limit=2", "")
	if code != 200 || m["best"] == nil || len(m["curve"].([]any)) != 1 {
		t.Fatalf("siting: %d %v", code, m)
	}
	if b := m["best"].(map[string]any); b["predicted"].(float64) < b["greedy"].(float64) || len(b["sites"].([]any)) == 0 {
		t.Errorf("siting best: %v", b)
	}
	for _, body := range []string{`{"type":"Feature"}`, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[0.00001,0],[0.00001,0.00001],[0,0]]]}}]}`} {
		if code, ct, m := do("POST", "/api/v1/indicators/park-coverage/siting?city=tiny&k=1", body); code != 400 || ct != "application/problem+json" || m["parameter"] != "candidates" {
			t.Errorf("drawn %s: %d %s %v, want 400 naming candidates", body, code, ct, m)
		}
	}
	// Calibers: list, add, refuse a bad one naming the field, refuse a duplicate.
	code, _, m = do("GET", "/api/v1/calibers", "")
	if code != 200 || len(m["calibers"].([]any)) != len(caliber.Builtin()) {
		t.Fatalf("calibers: %d %v", code, m)
	}
	good := `{"id":"baotou-400","title":"包头 口袋公园 400 m","classes":["garden","community"],"pocket_parks":true,"bands":[{"min_area_m2":400,"radius_m":300}]}`
	// Only an admin adds a caliber: anonymous 401, an editor 403, and neither stores it.
	for secret, want := range map[string]int{"": 401, "crk_ed": 403} {
		if code, ct, _ := as(secret, "POST", "/api/v1/calibers", good); code != want || ct != "application/problem+json" {
			t.Errorf("caliber POST with %q: %d %s, want %d problem+json", secret, code, ct, want)
		}
	}
	var rows int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM caliber_definitions`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("refused caliber POSTs stored %d rows (%v)", rows, err)
	}
	if code, _, m = do("POST", "/api/v1/calibers", good); code != 201 {
		t.Fatalf("add caliber: %d %v", code, m)
	}
	if code, _, _ = do("POST", "/api/v1/calibers", good); code != 409 {
		t.Errorf("duplicate: %d", code)
	}
	if code, _, m = do("POST", "/api/v1/calibers", `{"id":"bad","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":0}]}`); code != 400 || m["parameter"] != "bands[0].radius_m" {
		t.Errorf("bad caliber: %d %v", code, m)
	}
	if code, _, m = do("GET", "/api/v1/indicators/park-coverage?city=tiny&caliber=baotou-400", ""); code != 200 {
		t.Errorf("indicator under a user caliber: %d %v", code, m)
	}
	stored, err := (&caliber.Store{Pool: pool}).Load(t.Context())
	if err != nil || len(stored) != 1 || stored[0].ID != "baotou-400" {
		t.Errorf("stored user calibers: %v %v", stored, err)
	}
	_ = http.StatusOK
}
