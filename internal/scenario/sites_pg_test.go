package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"testing"

	"github.com/paulmach/orb"
	orbjson "github.com/paulmach/orb/geojson"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// TestSitesReproduceInAScenario: under every built-in caliber and both methods, the top 5
// pocket-park sites of GET …/sites, made into a scenario by POST …/sites/scenario, give in
// the scenario's compare exactly each site's predicted cumulative coverage (to 1e-6):
// with all five parks, then with the last change removed each time. The five-park figure is
// also recomputed from scratch (coverage.Compute on the city reloaded from PostGIS plus the
// scenario's parks as stored, not the incremental path), and each change is the park the
// site stands for (its square, class and pocket flag). The demo city at scale 0.05 keeps only
// its 6 smallest parks, so every caliber leaves gaps.
func TestSitesReproduceInAScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `DELETE FROM parks WHERE id NOT IN (SELECT id FROM parks ORDER BY area_m2, id LIMIT 6)`); err != nil {
		t.Fatal(err)
	}
	reg, _ := caliber.NewRegistry()
	for _, cal := range reg.List() {
		for _, method := range []string{caliber.Buffer, caliber.Network} {
			t.Run(cal.ID+"/"+method, func(t *testing.T) {
				q := url.Values{"city": {"baotou"}, "caliber": {cal.ID}, "method": {method}, "n": {"5"}}
				var plan struct {
					Method string            `json:"method"`
					Park   coverage.SitePark `json:"park"`
					Sites  []struct {
						CoverageAfter float64         `json:"coverage_after"`
						Geometry      json.RawMessage `json:"geometry"`
					} `json:"sites"`
				}
				remarshal(t, e.must(200, "", "GET", "/api/v1/indicators/park-coverage/sites?"+q.Encode(), nil), &plan)
				if len(plan.Sites) != 5 || plan.Method != method {
					t.Fatalf("%d sites under method %s", len(plan.Sites), plan.Method)
				}
				var sc Scenario
				remarshal(t, e.must(201, "alice", "POST", "/api/v1/indicators/park-coverage/sites/scenario?"+q.Encode(), nil), &sc)
				for k, c := range sc.Changes {
					r := c.Resolved
					if c.Layer != "parks" || r["park_class"] != plan.Park.Class || r["pocket"] != plan.Park.Pocket || r["open_status"] != "open" {
						t.Errorf("change %d is not the site's park %+v: %v", k+1, plan.Park, r)
					}
					if !sameRing(c.Geometry, plan.Sites[k].Geometry) {
						t.Errorf("change %d: geometry %s, site %s", k+1, c.Geometry, plan.Sites[k].Geometry)
					}
				}
				base := fmt.Sprintf("/api/v1/scenarios/%d", sc.ID)
				cq := url.Values{"indicators": {"park-coverage"}, "caliber": {cal.ID}, "method": {method}, "level": {"city"}}
				for k := len(plan.Sites); k >= 1; k-- {
					cmp := e.must(200, "", "GET", base+"/compare?"+cq.Encode(), nil)
					city := cmp["indicators"].([]any)[0].(map[string]any)["levels"].([]any)[0].(map[string]any)["areas"].([]any)[0].(map[string]any)
					got := city["scenario"].(map[string]any)["ratio"].(float64)
					if want := plan.Sites[k-1].CoverageAfter; math.Abs(got-want) > 1e-6 {
						t.Errorf("with sites 1–%d the scenario gives %.9f, site %d predicted %.9f", k, got, k, want)
					}
					if k == len(plan.Sites) {
						full := fullRecompute(t, e, sc.ID, cal, method)
						if math.Abs(full-plan.Sites[k-1].CoverageAfter) > 1e-6 {
							t.Errorf("recomputed from scratch with the 5 parks: %.9f, predicted %.9f", full, plan.Sites[k-1].CoverageAfter)
						}
					}
					e.must(204, "alice", "DELETE", fmt.Sprintf("%s/changes/%d", base, k), nil)
				}
			})
		}
	}
}

// fullRecompute is the city coverage of scenario id computed whole: the city as
// coverage.Store loads it from PostGIS, with the scenario's changes, by coverage.Compute.
func fullRecompute(t *testing.T, e *env, id int64, cal caliber.Caliber, method string) float64 {
	t.Helper()
	ctx := context.Background()
	sc, err := e.svc.Store.Get(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := e.svc.Coverage.Store.Load(ctx, "baotou")
	if err != nil {
		t.Fatal(err)
	}
	res, err := coverage.Compute(ctx, snap.With(CoverageChanges(snap, sc.Changes)), cal, coverage.Options{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	return res.Ratio()
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, _ := json.Marshal(from)
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}

// sameRing reports whether two GeoJSON (Multi)Polygons have the same outer ring to the
// 7 decimals a scenario change is read back with (the metric geometry keeps the full
// precision given).
func sameRing(a, b json.RawMessage) bool {
	ring := func(raw json.RawMessage) orb.Ring {
		g, err := orbjson.UnmarshalGeometry(raw)
		if err != nil {
			return nil
		}
		switch t := g.Geometry().(type) {
		case orb.Polygon:
			return t[0]
		case orb.MultiPolygon:
			return t[0][0]
		}
		return nil
	}
	ra, rb := ring(a), ring(b)
	if len(ra) == 0 || len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if math.Abs(ra[i][0]-rb[i][0]) > 6e-8 || math.Abs(ra[i][1]-rb[i][1]) > 6e-8 {
			return false
		}
	}
	return true
}
