package tijian_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/scenario"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tijian"
)

// TestTablesOnAScenario: on the fixture plus a scenario that adds a 900 m² pocket 游园 at
// x 355–385, y −45…−15 (15 m south of the street; the parcel at 400, which Pk1 missed, lies
// wholly within its 300 m, the parcel at 700 not: 305 m), the tables are the hand-worked
// ones of the scenario: C1's coverage 800 of 800 m², its 街道 and district 800 of 1200, the
// city 1200 of 2400; district 1's per-capita park area (900 + 900) / 600; the park share of
// C1 100 % (no edge crosses the new park, the street passes 15 m off its north side, so it
// is entered from the street at a 15 m leg: the parcel at 400 is at most 15 + 45 + 30 = 90
// m from it, the one at 700 at least 15 + 315 + 30 = 360). The baseline is unchanged.
// (Re-worked for issue #18: the park was at y −200…−170, reached at its point on surface
// with a 185 m leg, which the shared access-point rule no longer does.)
func TestTablesOnAScenario(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	fixtureCity(t, db.Pool)
	src := source(t, db.Pool)
	st := &scenario.Store{Pool: db.Pool, Layers: layers.Default()}
	svc := &scenario.Service{Store: st, Coverage: src.Coverage, Checks: src.Checks, Walk: src.Walk,
		LivingCircle: &scenario.WalkLivingCircle{Walk: src.Walk, Store: st}}
	src.Scenarios = svc
	sc, err := st.Create(ctx, "tj", "口袋公园", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	var g string
	if err := db.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(`+env(355, -45, 385, -15)+`, 9)`).Scan(&g); err != nil {
		t.Fatal(err)
	}
	f, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(g),
		"properties": map[string]any{"name": "Pk4", "park_class": "garden", "pocket": true, "open_status": "open"}})
	if _, err := st.AddChange(ctx, sc, scenario.ChangeInput{Layer: "parks", Op: scenario.OpAdd, Feature: f}); err != nil {
		t.Fatal(err)
	}
	tb, err := src.Compute(ctx, tijian.Query{City: "tj", Scenario: sc.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Scenario != sc.ID {
		t.Errorf("scenario %d, want %d", tb.Scenario, sc.ID)
	}
	changed := map[string]map[string]float64{
		"150201001001": {"park_site_coverage": 100, "svc_park_square": 100},
		"150201001":    {"park_site_coverage": 66.67, "svc_park_square": 66.67},
		"150201":       {"park_site_coverage": 66.67, "svc_park_square": 66.67, "park_per_capita": 3},
		"150200":       {"park_site_coverage": 50, "svc_park_square": 66.67, "park_per_capita": 1.35},
	}
	for _, u := range tb.Units {
		for k, w := range changed[u.Code] {
			if v := u.Values[k]; v == nil || math.Abs(*v-w) > 1e-9 {
				t.Errorf("%s %s on the scenario: %v, want %v", u.Code, k, fmtPtr(v), w)
			}
		}
	}
	base, err := src.Compute(ctx, tijian.Query{City: "tj"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkHandWorked(t, base)
}
