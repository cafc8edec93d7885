package problems_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problems"
	"github.com/cityreach/cityreach/internal/problems/problemshttp"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestHandler drives GET /api/v1/problems through the engine on the hand-worked fixture:
// the JSON equals the domain's ledger, the XLSX and the GeoJSON carry the same problems,
// and bad parameters are 400 problems naming them.
func TestHandler(t *testing.T) {
	db := testdb.New(t)
	fixture(t, db.Pool)
	quiet := slog.New(slog.DiscardHandler)
	src := source(t, db.Pool)
	srv := httptest.NewServer(httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: quiet, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}},
		problemshttp.Handler{Src: src, Log: quiet})))
	defer srv.Close()
	get := func(query string, want int) (http.Header, []byte) {
		t.Helper()
		res, err := http.Get(srv.URL + "/api/v1/problems?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close() //nolint:errcheck // test clean-up
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s: %d %s, want %d", query, res.StatusCode, b, want)
		}
		return res.Header, b
	}
	pair := "city=tj&caliber=gbt50563-2010&from=" + url.QueryEscape("2024 现状") + "&to=" + url.QueryEscape("2025 现状")
	_, b := get(pair+"&sites=0", http.StatusOK)
	var led problems.Ledger
	if err := json.Unmarshal(b, &led); err != nil {
		t.Fatal(err)
	}
	want, err := src.Ledger(t.Context(), problems.Query{City: "tj", Caliber: "gbt50563-2010", From: "2024 现状", To: "2025 现状"})
	if err != nil {
		t.Fatal(err)
	}
	if len(led.Problems) != len(want.Problems) || *led.Rate.Rate != *want.Rate.Rate {
		t.Fatalf("API: %d problems rate %v; domain: %d, %v", len(led.Problems), *led.Rate.Rate, len(want.Problems), *want.Rate.Rate)
	}
	for i, p := range led.Problems {
		w := want.Problems[i]
		if p.ID != w.ID || p.Status != w.Status || p.Value != w.Value || p.Unit.Code != w.Unit.Code {
			t.Errorf("problem %d: API %+v, domain %+v", i, p, w)
		}
	}
	res, b := get(pair+"&format=xlsx&lang=en&status=fixed", http.StatusOK)
	if res.Get("Content-Type") != problems.XLSXType {
		t.Errorf("xlsx: Content-Type %q", res.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Problems")
	if err != nil || len(rows) != 4 || rows[1][1] != "fixed" || rows[2][1] != "fixed" || rows[3][1] != "fixed" {
		t.Errorf("xlsx status=fixed: %v %v", rows, err)
	}
	res, b = get(pair+"&format=geojson&indicator=park-coverage&district=150201", http.StatusOK)
	var fc map[string]any
	if err := json.Unmarshal(b, &fc); err != nil || res.Get("Content-Type") != problems.GeoJSONType {
		t.Fatalf("geojson: %v %q", err, res.Get("Content-Type"))
	}
	if n := len(fc["features"].([]any)); n != 5 { // 3 problems and the sites of B and C
		t.Errorf("geojson: %d features, want 3 problems and 2 sites", n)
	}
	if r := fc["rate"].(map[string]any); r["rate"] != 0.5 {
		t.Errorf("geojson rate %v, want 0.5 (park coverage: 1 of 2 fixed)", r)
	}
	for q, param := range map[string]string{
		"city=tj&indicator=parks": "indicator", "city=tj&status=closed": "status", "city=tj&sites=-1": "sites",
		"city=tj&min_coverage=2": "min_coverage", "city=tj&format=csv": "format", "city=tj&lang=fr": "lang",
		"city=tj&from=2023%20现状": "from", "city=tj&to=2999-01-01": "to", "city=tj&scenario=1": "scenario", "city=nowhere": "city",
	} {
		_, b := get(q, http.StatusBadRequest)
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil || p["parameter"] != param {
			t.Errorf("%s: %s, want a problem naming %s", q, b, param)
		}
	}
}
