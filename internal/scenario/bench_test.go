package scenario

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/synth"
	"github.com/cityreach/cityreach/internal/testdb"
)

// BenchmarkParkAdded measures, on the demo city at CITYREACH_SCENARIO_SCALE (default 1), the
// time from "park added" (POST …/changes, validated and stored) to updated indicators
// (compare), after the baseline is cached — the figures of docs/benchmarks.md, "Scenarios".
func BenchmarkParkAdded(b *testing.B) {
	var t testing.TB = b
	s := os.Getenv("CITYREACH_SCENARIO_SCALE")
	if s == "" {
		s = "1"
	}
	scale, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db := testdb.New(t)
	o, _ := seed.Outlines("")
	c, err := synth.Generate(ctx, synth.Params{Scale: scale, Seed: 1}, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db.Pool, o, c, seed.Options{}); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, pool: db.Pool}
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: &Store{Pool: db.Pool, Layers: layers.Default()}, Coverage: &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg}}
	snap, _ := svc.Coverage.Store.Load(ctx, "baotou")
	t.Logf("scale %g: %d parcels, %d parks, %d edges", scale, len(snap.Parcels), len(snap.Parks), len(snap.Edges))
	for _, m := range []struct{ cal, method string }{{"tdt1063-walk5", "buffer"}, {"gbt50563-2010", "buffer"}, {"tdt1063-walk5", "network"}} {
		q := coverage.Query{City: "baotou", Caliber: m.cal, Method: m.method}
		cal, _ := svc.Coverage.Validate(&q)
		t0 := time.Now()
		b, err := svc.baseline(ctx, "baotou", cal, m.method)
		if err != nil {
			t.Fatal(err)
		}
		cold := time.Since(t0)
		sc, err := svc.Store.Create(ctx, "baotou", "bench", "", "bench")
		if err != nil {
			t.Fatal(err)
		}
		// A 400 m² pocket park on the parcel with the largest gap.
		p, worst := b.Snap.Parcels[len(b.Snap.Parcels)/2], 0.0
		for i, g := range b.Res.Gaps {
			if a := area(g); a > worst {
				p, worst = b.Snap.Parcels[i], a
			}
		}
		g := e.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_PointOnSurface(geom_m), 11.28, 8), 4326), 9) FROM residential_land WHERE id = $1`, p.ID)
		props := map[string]any{"name": "bench", "park_class": "garden", "pocket": true, "open_status": "open"}
		t1 := time.Now()
		if _, err := svc.Store.AddChange(ctx, sc, ChangeInput{Layer: "parks", Op: OpAdd, Feature: feature(g, props)}); err != nil {
			t.Fatal(err)
		}
		added := time.Since(t1)
		t2 := time.Now()
		cmp, err := svc.Compare(ctx, sc.ID, CompareQuery{Caliber: m.cal, Method: m.method, Indicators: []string{IndicatorParkCoverage}})
		if err != nil {
			t.Fatal(err)
		}
		compared := time.Since(t2)
		d := cmp.Indicators[0]
		// Full recomputation on baseline + change, for comparison.
		full0 := time.Now()
		fsc, _ := svc.Store.Get(ctx, sc.ID, true)
		if _, err := coverage.Compute(ctx, b.Snap.With(CoverageChanges(b.Snap, fsc.Changes)), cal, coverage.Options{Method: m.method}); err != nil {
			t.Fatal(err)
		}
		full := time.Since(full0)
		js, _ := json.Marshal(d.Levels[0].Areas[0].Delta)
		t.Logf("%s/%s: baseline (cold, once) %v; add change %v; compare %v (incremental %.1f ms, %d parcels recomputed); total %v; full recomputation %v; city delta %s",
			m.cal, m.method, cold.Round(time.Millisecond), added.Round(time.Millisecond), compared.Round(time.Millisecond), d.ComputeMS, d.Recomputed,
			(added + compared).Round(time.Millisecond), full.Round(time.Millisecond), js)
	}
}
