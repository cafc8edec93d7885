package scenario

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	cdb "github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// BenchmarkParkAdded measures, on the demo city at CITYREACH_SCENARIO_SCALE (default 1), the
// time from "park added" (POST …/changes, validated and stored) to updated indicators
// (compare), after the baseline is cached — the figures of docs/benchmarks.md, "Scenarios".
func BenchmarkParkAdded(b *testing.B) {
	var t testing.TB = b
	ctx := context.Background()
	pool, scale, _ := benchCity(b)
	e := &env{t: t, pool: pool}
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: &Store{Pool: pool, Layers: layers.Default()}, Coverage: &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg}}
	snap, _ := svc.Coverage.Store.Load(ctx, "baotou")
	t.Logf("scale %g: %d parcels, %d parks, %d edges", scale, len(snap.Parcels), len(snap.Parks), len(snap.Edges))
	// CITYREACH_SCENARIO_METHODS=buffer leaves out the network row, whose baseline takes
	// minutes at scale 10; =network runs only that row.
	cases := []struct{ cal, method string }{{"tdt1063-walk5", "buffer"}, {"gbt50563-2010", "buffer"}, {"tdt1063-walk5", "network"}}
	switch os.Getenv("CITYREACH_SCENARIO_METHODS") {
	case "buffer":
		cases = cases[:2]
	case "network":
		cases = cases[2:]
	}
	for _, m := range cases {
		q := coverage.Query{City: "baotou", Caliber: m.cal, Method: m.method}
		cal, _ := svc.Coverage.Validate(context.Background(), &q)
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

// BenchmarkScenarioLivingCircle measures, on the demo city at CITYREACH_SCENARIO_SCALE
// (default 1; 10 is opt-in: about 5 minutes to seed), the time from "facility added",
// "park added" and "footbridge added" (Store.AddChange: decode, validation, dry run, store)
// to the updated living-circle figures (Service.Compare with the living circle only: the
// scenario read, its overlay, the reach of baseline + changes, the figures at all four
// levels and the status changes), with the walking baseline cached. Each sub-benchmark
// iteration is a fresh scenario with one change; "incremental" recomputes what the change
// can reach, "full" is the same call with a full recomputation forced (FullShare < 0).
// Reported: the median of the iterations (median-ms) and the parcels recomputed.
func BenchmarkScenarioLivingCircle(b *testing.B) {
	ctx := context.Background()
	pool, scale, seeded := benchCity(b)
	e := &env{t: b, pool: pool}
	ws := walk.NewService(pool, nil)
	st := &Store{Pool: pool, Layers: layers.Default()}
	lc := &WalkLivingCircle{Walk: ws, Store: st}
	svc := &Service{Store: st, LivingCircle: lc}
	probe, err := st.Create(ctx, "baotou", "probe", "", "bench")
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	base, err := lc.baseline(ctx, probe)
	if err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t1)
	// walk.Service checks the data version of its tables on every call: without a Watcher
	// (the tile service's listener in cityreach serve) it reads every table's part, the
	// cost measured here; with one, only the tables it saw edited.
	t2 := time.Now()
	if _, err := ws.Store.NetworkVersion(ctx, base.base.In.City.ID); err != nil {
		b.Fatal(err)
	}
	t3 := time.Now()
	if _, err := ws.Store.InputsVersion(ctx, base.base.In.City.ID); err != nil {
		b.Fatal(err)
	}
	b.Logf("scale %g: seeded in %v; %d parcels, %d facilities, %d walkable edges; walking baseline (graph, inputs, reach of every parcel, figures at every level; once per data version) %v; change detectors: network %v, inputs %v",
		scale, seeded.Round(time.Millisecond), len(base.base.In.Parcels), len(base.base.In.Facilities), base.base.Net.Graph.NumEdges(), cold.Round(time.Millisecond),
		t3.Sub(t2).Round(time.Millisecond), time.Since(t3).Round(time.Millisecond))

	// The changes sit near the middle parcel of the city.
	mid := base.base.In.Parcels[len(base.base.In.Parcels)/2].ID
	point := e.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_Translate(ST_PointOnSurface(geom_m), 15, 0), 4326), 15) FROM residential_land WHERE id = $1`, mid)
	park := e.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_PointOnSurface(geom_m), 11.28, 8), 4326), 15) FROM residential_land WHERE id = $1`, mid)
	bridge := e.scalar(`SELECT ST_AsGeoJSON(ST_Transform(ST_MakeLine(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m)), 4326), 15)
		FROM network_edges a JOIN network_edges b ON b.city_id = a.city_id AND b.source <> a.source AND b.walkable
		WHERE a.walkable AND ST_DWithin(ST_StartPoint(a.geom_m), (SELECT ST_PointOnSurface(geom_m) FROM residential_land WHERE id = $1), 300)
		  AND ST_DWithin(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m), 80) AND NOT ST_DWithin(ST_StartPoint(a.geom_m), ST_StartPoint(b.geom_m), 40)
		ORDER BY a.id, b.id LIMIT 1`, mid)
	changes := []struct {
		name string
		in   ChangeInput
	}{
		{"kindergarten", ChangeInput{Layer: "facilities", Op: OpAdd, Feature: feature(point, map[string]any{"category": "kindergarten", "name": "bench"})}},
		{"clinic", ChangeInput{Layer: "facilities", Op: OpAdd, Feature: feature(point, map[string]any{"category": "clinic", "name": "bench"})}},
		{"park", ChangeInput{Layer: "parks", Op: OpAdd, Feature: feature(park, map[string]any{"name": "bench", "park_class": "garden", "pocket": true, "open_status": "open"})}},
		{"footbridge", ChangeInput{Layer: "network_edges", Op: OpAdd, Feature: feature(bridge, map[string]any{"highway": "footway", "bridge": true})}},
	}
	for _, ch := range changes {
		for _, mode := range []string{"incremental", "full"} {
			b.Run(ch.name+"/"+mode, func(b *testing.B) {
				lc.FullShare = 0
				if mode == "full" {
					lc.FullShare = -1
				}
				defer func() { lc.FullShare = 0 }()
				var total, added, compared, computed []float64
				var d *IndicatorDelta
				for range b.N {
					b.StopTimer()
					sc, err := st.Create(ctx, "baotou", "bench", "", "bench")
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					ta := time.Now()
					if _, err := st.AddChange(ctx, sc, ch.in); err != nil {
						b.Fatal(err)
					}
					tc := time.Now()
					cmp, err := svc.Compare(ctx, sc.ID, CompareQuery{Indicators: []string{IndicatorLivingCircle}})
					if err != nil {
						b.Fatal(err)
					}
					te := time.Now()
					d = &cmp.Indicators[0]
					total = append(total, ms(te.Sub(ta)))
					added = append(added, ms(tc.Sub(ta)))
					compared = append(compared, ms(te.Sub(tc)))
					computed = append(computed, d.ComputeMS)
				}
				b.ReportMetric(median(total), "median-ms")
				b.ReportMetric(float64(d.Recomputed), "parcels")
				city := d.Levels[0].Areas[0].Delta
				b.Logf("%s/%s (n=%d): change added %.1f ms, compare %.1f ms (reach %.1f ms; %d parcels, %d pairs recomputed, full %v); total %.1f ms; city Δ complete communities %+g",
					ch.name, mode, len(total), median(added), median(compared), median(computed), d.Recomputed, d.RecomputedPairs, d.Full, median(total), city["complete_communities"])
			})
		}
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchCity seeds the demo city at CITYREACH_SCENARIO_SCALE (default 1) into a fresh
// database and returns a pool on it, the scale and how long the seeding took. The pool has
// no 2-minute statement timeout as the test pool has: the scale-10 load (600,000 edges
// through the geometry triggers) can outlast it on a busy machine. It is closed when the
// benchmark ends.
func benchCity(b *testing.B) (*pgxpool.Pool, float64, time.Duration) {
	s := os.Getenv("CITYREACH_SCENARIO_SCALE")
	if s == "" {
		s = "1"
	}
	scale, err := strconv.ParseFloat(s, 64)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tdb := testdb.New(b)
	pool, err := cdb.Open(ctx, tdb.URL, cdb.Options{MaxConns: 8, StatementTimeout: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	t0 := time.Now()
	if _, err := seed.Demo(ctx, pool, scale); err != nil {
		b.Fatal(err)
	}
	return pool, scale, time.Since(t0)
}
