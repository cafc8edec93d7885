package edition_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/edition/editionhttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/series"
	"github.com/cityreach/cityreach/internal/series/serieshttp"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walk/walkhttp"
)

// TestHandlers drives the edition routes and the as_of= and series routes through the
// engine: roles, the 4xx of bad input, immutability once published. It is an external test
// beside the fixture city (indicators_test.go), so it mounts the adapters (editionhttp,
// coveragehttp, walkhttp, serieshttp) directly.
func TestHandlers(t *testing.T) {
	db := testdb.New(t)
	fixtureCity(t, db.Pool)
	quiet := slog.New(slog.DiscardHandler)
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	cov := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg}
	wk := walk.NewService(db.Pool, quiet)
	st := edition.Store{Pool: db.Pool}
	tokens := auth.Static{"crk_ed": {Name: "ed", Role: auth.Editor}, "crk_root": {Name: "root", Role: auth.Admin}}
	srv := httptest.NewServer(httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: quiet, MaxBody: 1 << 20, Policy: httpapi.Policy{Tokens: tokens, AnonymousRead: true}},
		editionhttp.Handler{Store: st, Log: quiet}, coveragehttp.Handler{Svc: cov, Pool: db.Pool, Log: quiet}, walkhttp.Handler{Svc: wk, Log: quiet},
		serieshttp.Handler{Src: series.Source{Editions: st, Coverage: cov, Walk: wk}, Log: quiet})))
	defer srv.Close()
	do := func(method, path, token, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close() //nolint:errcheck // test clean-up
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
		}
		if want >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %s, want problem+json", method, path, res.Header.Get("Content-Type"))
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	do(http.MethodPost, "/api/v1/editions", "", `{"city":"ed","name":"x"}`, 401)
	e := do(http.MethodPost, "/api/v1/editions", "crk_ed", `{"city":"ed","name":"2024 现状","description":"年度体检底数"}`, 201)
	if e["created_by"] != "ed" || e["published_at"] != nil {
		t.Errorf("created %v", e)
	}
	id := "/api/v1/editions/" + jsonID(e)
	for _, bad := range []struct {
		body string
		want int
	}{
		{`{"city":"ed","name":"2024 现状"}`, 409},
		{`{"city":"ed","name":"2024-12-31 现状"}`, 400},
		{`{"city":"ed","name":"  "}`, 400},
		{`{"city":"ed","name":"future","as_of":"2999-01-01T00:00:00Z"}`, 400},
		{`{"city":"ed","name":"bad time","as_of":"yesterday"}`, 400},
		{`{"city":"nowhere","name":"x"}`, 400},
		{`{"city":"ed","name":"x","extra":1}`, 400},
	} {
		do(http.MethodPost, "/api/v1/editions", "crk_ed", bad.body, bad.want)
	}
	if l := do(http.MethodGet, "/api/v1/editions?city=ed", "", "", 200); len(l["editions"].([]any)) != 1 {
		t.Errorf("list %v", l)
	}
	if l := do(http.MethodGet, "/api/v1/editions?city=ed&published=true", "", "", 200); len(l["editions"].([]any)) != 0 {
		t.Errorf("published list %v", l)
	}
	do(http.MethodGet, "/api/v1/editions?city=ed&published=maybe", "", "", 400)
	do(http.MethodGet, "/api/v1/editions", "", "", 400)
	do(http.MethodGet, "/api/v1/editions/abc", "", "", 400)
	do(http.MethodGet, "/api/v1/editions/999999", "", "", 404)
	do(http.MethodPost, id+"/publish", "crk_ed", "", 403)
	if p := do(http.MethodPost, id+"/publish", "crk_root", "", 200); p["published_by"] != "root" {
		t.Errorf("published %v", p)
	}
	do(http.MethodPost, id+"/publish", "crk_root", "", 409)
	do(http.MethodDelete, id, "crk_ed", "", 409)
	do(http.MethodDelete, "/api/v1/editions/999999", "crk_ed", "", 404)
	draft := do(http.MethodPost, "/api/v1/editions", "crk_ed", `{"city":"ed","name":"draft"}`, 201)
	do(http.MethodDelete, "/api/v1/editions/"+jsonID(draft), "crk_ed", "", 204)

	asOf := "&as_of=" + url.QueryEscape("2024 现状")
	if r := do(http.MethodGet, "/api/v1/indicators/park-coverage?city=ed"+asOf, "", "", 200); r["as_of"].(map[string]any)["edition"] != "2024 现状" {
		t.Errorf("park coverage as of: %v", r["as_of"])
	}
	if r := do(http.MethodGet, "/api/v1/indicators/living-circle?city=ed"+asOf, "", "", 200); r["as_of"].(map[string]any)["edition"] != "2024 现状" {
		t.Errorf("living circle as of: %v", r["as_of"])
	}
	for _, bad := range []string{
		"/api/v1/indicators/park-coverage?city=ed&as_of=nope",
		"/api/v1/indicators/park-coverage?city=ed&as_of=2024-13-40",
		"/api/v1/indicators/park-coverage?city=ed&scenario=1" + asOf,
		"/api/v1/indicators/park-coverage/gaps?city=ed&scenario=1" + asOf,
		"/api/v1/indicators/park-coverage/gaps?city=ed&as_of=nope",
		"/api/v1/indicators/living-circle?city=ed&as_of=%0A",
		"/api/v1/indicators/living-circle?city=ed&scenario=1" + asOf,
		"/api/v1/indicators/park-coverage/series?city=ed&unit=-1",
		"/api/v1/indicators/park-coverage/series?city=nowhere",
		"/api/v1/indicators/living-circle/series?city=ed&caliber=x",
	} {
		do(http.MethodGet, bad, "", "", 400)
	}
	s := do(http.MethodGet, "/api/v1/indicators/park-coverage/series?city=ed&level=district", "", "", 200)
	if pts := s["points"].([]any); len(pts) != 2 || pts[0].(map[string]any)["edition"] != "2024 现状" {
		t.Errorf("series points %v", pts)
	}
}

func jsonID(m map[string]any) string {
	b, _ := json.Marshal(m["id"])
	return string(b)
}
