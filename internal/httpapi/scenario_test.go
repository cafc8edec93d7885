package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// TestScenarioParam: a route declaring NoScenario answers scenario= with a 400 naming the
// parameter and giving its reason, before its handler; a route declaring ScenarioParam
// reads it with ScenarioQuery: absent 0, a positive id that id, anything else (or a server
// without scenarios) a 400 naming scenario, and scenario with as_of a 400 naming as_of.
func TestScenarioParam(t *testing.T) {
	ran := 0
	route := func(path string, p Param, enabled bool) Route {
		return Route{Method: http.MethodGet, Path: path, Access: Public, Summary: path, Params: []Param{p, {Name: "as_of"}},
			Handlers: []gin.HandlerFunc{func(c *gin.Context) {
				ran++
				id, err := ScenarioQuery(c, enabled)
				if err != nil {
					problem.Respond(c, nil, err)
					return
				}
				c.String(http.StatusOK, strconv.FormatInt(id, 10))
			}}}
	}
	h := Must(NewEngine(Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 10}, Routes{
		route("/on", ScenarioParam, true), route("/off", ScenarioParam, false), route("/never", NoScenario("a series is of editions"), true)}))
	get := func(target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		return w
	}
	for target, want := range map[string]string{"/on": "0", "/on?scenario=7": "7", "/never": "0", "/off": "0"} {
		if w := get(target); w.Code != 200 || w.Body.String() != want {
			t.Errorf("%s: %d %s, want 200 %s", target, w.Code, w.Body, want)
		}
	}
	for target, param := range map[string]string{"/on?scenario=0": "scenario", "/on?scenario=-3": "scenario", "/on?scenario=x": "scenario",
		"/on?scenario=7&as_of=2024-01-01": "as_of", "/off?scenario=7": "scenario"} {
		w := get(target)
		var p map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != 400 || p["parameter"] != param {
			t.Errorf("%s: %d %v, want 400 naming %s", target, w.Code, p, param)
		}
	}
	before := ran
	w := get("/never?scenario=7")
	var p map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	if w.Code != 400 || p["parameter"] != "scenario" || p["detail"] != "scenario is not accepted here: a series is of editions" || ran != before {
		t.Errorf("refused scenario: %d %v (handler ran %d times)", w.Code, p, ran-before)
	}
	if w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("refused scenario: content type %q", w.Header().Get("Content-Type"))
	}
}
