package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/caliber/caliberhttp"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/report"
)

// TestDefaultsAgreeAcrossAPICLIAndReport: a request that names no caliber (or no method)
// gets the same caliber, method and headline figure from the HTTP API, the CLI and the
// report, and each says which it used and where it came from. Baotou's default is GB/T
// 51346-2019 (migration 0015, seeded), whose method is buffer; TD/T 1063's is network
// (builtin.json). The expected ids are those decisions, not read from the code.
func TestDefaultsAgreeAcrossAPICLIAndReport(t *testing.T) {
	db, ctx := demoCity(t)
	var stored string
	if err := db.Pool.QueryRow(ctx, `SELECT default_caliber FROM cities WHERE slug = 'baotou'`).Scan(&stored); err != nil || stored != "gbt51346-2019" {
		t.Fatalf("baotou's default caliber is %q (%v), want gbt51346-2019", stored, err)
	}
	log := slog.New(slog.DiscardHandler)
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	svc := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg, Log: log}
	eng := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, caliberhttp.Handler{Registry: reg, Cities: svc, Log: log}, coveragehttp.Handler{Svc: svc, Pool: db.Pool, Log: log}))
	get := func(url string, v any) {
		t.Helper()
		rec := httptest.NewRecorder()
		eng.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, rec.Code, rec.Body.String())
		}
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	var cals struct {
		Calibers []struct {
			ID            string `json:"id"`
			DefaultMethod string `json:"default_method"`
		} `json:"calibers"`
		City caliberhttp.CityDefault `json:"city"`
	}
	get("/api/v1/calibers?city=baotou", &cals)
	if cals.City != (caliberhttp.CityDefault{City: "baotou", DefaultCaliber: "gbt51346-2019", DefaultMethod: "buffer"}) {
		t.Errorf("GET /api/v1/calibers?city=baotou: %+v", cals.City)
	}
	for _, c := range cals.Calibers {
		if want := map[string]string{"tdt1063-walk5": "network", "tpl-10min": "network"}[c.ID]; c.DefaultMethod != want && !(want == "" && c.DefaultMethod == "buffer") {
			t.Errorf("%s: default method %s", c.ID, c.DefaultMethod)
		}
	}

	for _, c := range []struct {
		caliber, wantCal, wantMethod, calFrom string
	}{
		{"", "gbt51346-2019", "buffer", "city default"},
		{"tdt1063-walk5", "tdt1063-walk5", "network", "request"},
	} {
		// The HTTP API.
		var api struct {
			Caliber     struct{ ID string } `json:"caliber"`
			Method      string              `json:"method"`
			CaliberFrom string              `json:"caliber_from"`
			MethodFrom  string              `json:"method_from"`
			City        struct {
				Ratio float64 `json:"ratio"`
			} `json:"city_figure"`
		}
		url := "/api/v1/indicators/park-coverage?city=baotou"
		if c.caliber != "" {
			url += "&caliber=" + c.caliber
		}
		get(url, &api)
		if api.Caliber.ID != c.wantCal || api.Method != c.wantMethod || api.CaliberFrom != c.calFrom || api.MethodFrom != "caliber default" {
			t.Errorf("API %s: caliber %s (%s), method %s (%s)", url, api.Caliber.ID, api.CaliberFrom, api.Method, api.MethodFrom)
		}
		headline := fmt.Sprintf("%.2f", 100*api.City.Ratio)

		// The CLI.
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
			if k == "DATABASE_URL" {
				return db.URL
			}
			return ""
		}}
		args := []string{"indicator", "park-coverage", "--city", "baotou", "--lang", "en"}
		if c.caliber != "" {
			args = append(args, "--caliber", c.caliber)
		}
		if code := Main(ctx, env, args); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		lines := strings.Split(out.String(), "\n")
		words := map[string]string{"city default": "the city's default", "request": "as requested"}
		if want := fmt.Sprintf("caliber %s (%s), method %s (the caliber's default)", c.wantCal, words[c.calFrom], c.wantMethod); !strings.Contains(lines[0], want) {
			t.Errorf("CLI %v says %q, want %q", args, lines[0], want)
		}
		if len(lines) < 3 || !strings.Contains(lines[2], " "+headline+" ") {
			t.Errorf("CLI city row %q lacks the API's %s %%", lines[2], headline)
		}

		// The report.
		src := &report.Sources{Store: report.Store{Pool: db.Pool}, Coverage: svc}
		rep, err := report.Build(ctx, src, report.Request{City: "baotou", Caliber: c.caliber, Indicators: []string{"park-coverage"}, Lang: "en"}, report.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Request.Caliber != c.wantCal || rep.Request.Method != c.wantMethod || len(rep.Sections) != 1 {
			t.Fatalf("report: caliber %s, method %s, %d sections", rep.Request.Caliber, rep.Request.Method, len(rep.Sections))
		}
		s := rep.Sections[0]
		fromWord := map[string]string{"city default": "the city's default", "request": "as requested"}[c.calFrom]
		cal, err := reg.Get(c.wantCal)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.Caliber, cal.TitleEN+" ") || !strings.HasSuffix(s.Caliber, "("+fromWord+")") ||
			!strings.HasPrefix(s.Method, c.wantMethod+" ") || !strings.HasSuffix(s.Method, "(the caliber's default)") {
			t.Errorf("report section under %q / %q", s.Caliber, s.Method)
		}
		if got := s.Figures[0].Value.Text("en"); got != headline {
			t.Errorf("report headline %s, API %s", got, headline)
		}
	}
}
