package cli

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/testdb"
)

// scenarioExceptions are the indicator and check routes that refuse scenario= (declared
// with httpapi.NoScenario), each listed in docs/scenarios.md's table of exceptions.
var scenarioExceptions = map[string]bool{
	"/api/v1/indicators/park-coverage/series": true, // a series is of published editions
	"/api/v1/indicators/living-circle/series": true,
}

// TestEveryIndicatorTakesScenario: every GET route of the server under /api/v1/indicators/
// and /api/v1/checks/, and /api/v1/isochrones, declares the scenario parameter, so a new
// door cannot forget it. It is httpapi.ScenarioParam (the handler reads it with
// httpapi.ScenarioQuery) except for the documented exceptions, which declare a refusal
// with a reason (httpapi.NoScenario) and are named in docs/scenarios.md.
func TestEveryIndicatorTakesScenario(t *testing.T) {
	db := testdb.New(t)
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	cfg := config.Defaults()
	app, err := buildApp(context.Background(), &cfg, db.Pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	table, err := appTable(app)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, rt := range table {
		if rt.Method != http.MethodGet || !(strings.HasPrefix(rt.Path, "/api/v1/indicators/") || strings.HasPrefix(rt.Path, "/api/v1/checks/") ||
			rt.Path == "/api/v1/isochrones") {
			continue
		}
		seen++
		var p *httpapi.Param
		for i := range rt.Params {
			if rt.Params[i].Name == httpapi.ScenarioParamName {
				p = &rt.Params[i]
			}
		}
		switch {
		case p == nil:
			t.Errorf("%s declares no scenario parameter: add httpapi.ScenarioParam (or httpapi.NoScenario with the reason, documented)", rt.Path)
		case scenarioExceptions[rt.Path] && p.Refused == "":
			t.Errorf("%s is listed as an exception but accepts scenario: take it off scenarioExceptions and docs/scenarios.md", rt.Path)
		case !scenarioExceptions[rt.Path] && p.Refused != "":
			t.Errorf("%s refuses scenario (%s) but is not a documented exception", rt.Path, p.Refused)
		case p.Refused == "" && (p.Schema["type"] != "integer" || p.Description != httpapi.ScenarioParam.Description):
			t.Errorf("%s declares its own scenario parameter %+v, not httpapi.ScenarioParam", rt.Path, *p)
		case p.Refused != "" && !strings.Contains(string(doc), "`"+rt.Path+"`"):
			t.Errorf("%s refuses scenario but docs/scenarios.md does not name it", rt.Path)
		}
	}
	// The park-coverage indicator, gaps, sites and series, the living circle, its
	// communities and series, capacity, isochrones and five checks at least.
	if seen < 14 {
		t.Errorf("only %d indicator and check routes found", seen)
	}
}
