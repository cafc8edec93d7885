package scenario

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// TestSitingReproducesInAScenario: the best 3 parks of the optimal siting on the demo city
// (scale 0.05, its 6 smallest parks kept), made into a scenario through the scenario path
// (FromSiting → AddChange), give under both methods the predicted coverage and population
// share in the scenario's coverage (to 1e-9), and the same when the city is loaded again
// from PostGIS and recomputed whole with the scenario's stored parks (coverage.Compute, not
// the incremental path). The predicted figure is at least today's greedy one. Then the
// same with drawn candidates: the squares of the greedy sites posted back as polygons.
func TestSitingReproducesInAScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `DELETE FROM parks WHERE id NOT IN (SELECT id FROM parks ORDER BY area_m2, id LIMIT 6)`); err != nil {
		t.Fatal(err)
	}
	cal := "tdt1063-walk5"
	reg, _ := caliber.NewRegistry()
	c, _ := reg.Get(cal)
	check := func(t *testing.T, method string, sc *Scenario, out *coverage.Siting) {
		t.Helper()
		b := out.Best
		if len(sc.Changes) != len(b.Sites) || b.Predicted < b.Greedy-1e-12 {
			t.Fatalf("%d changes for %d sites; predicted %.6f, greedy %.6f", len(sc.Changes), len(b.Sites), b.Predicted, b.Greedy)
		}
		last := b.Sites[len(b.Sites)-1]
		res, err := e.svc.CoverageResult(ctx, sc.ID, coverage.Query{City: "baotou", Caliber: cal, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Ratio()-last.CoverageAfter) > 1e-9 || math.Abs(res.PopulationShare()-last.PopulationShareAfter) > 1e-9 {
			t.Errorf("scenario %.12f / %.12f, predicted %.12f / %.12f", res.Ratio(), res.PopulationShare(), last.CoverageAfter, last.PopulationShareAfter)
		}
		if full := fullRecompute(t, e, sc.ID, c, method); math.Abs(full-last.CoverageAfter) > 1e-9 { //nolint:contextcheck // a test oracle with its own context
			t.Errorf("recomputed from scratch: %.12f, predicted %.12f", full, last.CoverageAfter)
		}
		if math.Abs(b.Predicted-last.CoverageAfter) > 1e-15 {
			t.Errorf("predicted %.12f is not the last site's coverage %.12f (weight area)", b.Predicted, last.CoverageAfter)
		}
	}
	for _, method := range []string{caliber.Buffer, caliber.Network} {
		t.Run(method, func(t *testing.T) {
			q := coverage.Query{City: "baotou", Caliber: cal, Method: method}
			opts := coverage.SitingOptions{K: 3, Targets: []float64{0.9}, SolveIn: time.Second}
			sc, out, err := e.svc.FromSiting(ctx, SitingRequest{Query: q, Options: opts, Owner: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			check(t, method, sc, out)
			// Drawn: today's 6 greedy sites as polygons.
			plan, err := e.svc.Coverage.Result(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			sites, err := coverage.Sites(ctx, plan, 6, 900)
			if err != nil {
				t.Fatal(err)
			}
			geoms, err := e.svc.Coverage.Store.SitePolygons(ctx, plan.Snapshot().MetricSRID, sites)
			if err != nil {
				t.Fatal(err)
			}
			var drawn []coverage.DrawnInput
			for _, g := range geoms {
				drawn = append(drawn, coverage.DrawnInput{Geometry: json.RawMessage(g.Geometry)})
			}
			sc, out, err = e.svc.FromSiting(ctx, SitingRequest{Query: q, Options: opts, Drawn: drawn, Owner: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if out.Source != "drawn" || out.Candidates != 6 {
				t.Errorf("source %s, %d candidates", out.Source, out.Candidates)
			}
			check(t, method, sc, out)
		})
	}
}
