package coverage

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
)

// sqlApproxCoverage is the whole-parcel approximation a planner often writes first: a parcel
// counts as covered, whole, when any counted park lies within its radius. It is not the
// standard's areal figure; it is timed as the cheapest SQL baseline. The constant 500 m lets
// the GiST index on geom_m find the candidates (a radius computed per park would not).
const sqlApproxCoverage = `
SELECT coalesce(sum(ST_Area(r.geom_m)) FILTER (WHERE EXISTS (
           SELECT 1 FROM parks p
           WHERE p.city_id = $1 AND p.park_class IN ('comprehensive', 'community', 'specialized', 'garden')
             AND p.open_status IN ('open', 'shared')
             AND (p.area_m2 >= 2000 OR (p.in_historic_district AND p.area_m2 >= 1000))
             AND ST_DWithin(r.geom_m, p.geom_m, 500)
             AND (p.area_m2 >= 5000 OR ST_DWithin(r.geom_m, p.geom_m, 300)))), 0),
       sum(ST_Area(r.geom_m))
FROM residential_land r WHERE r.city_id = $1`

// BenchmarkBufferCoverageScale1 measures, on this package's generated city loaded into
// PostGIS, the exact areal figure under GB/T 50563-2010 computed in Go (buffer and network
// methods) and by PostGIS in the same run on the same data: the union cut by ST_Subdivide,
// the whole-parcel ST_DWithin approximation and (with COVERAGE_BENCH_NAIVE=1; it takes tens
// of seconds, so only at scale 1) the naive ST_Union(ST_Buffer) intersected with every parcel.
//
// Scale 1 is 50 000 parcels and 600 parks. COVERAGE_BENCH_SCALE10=1 adds scale 10 (500 000
// parcels, 6 000 parks) to the same run; loading it takes a few minutes.
func BenchmarkBufferCoverageScale1(b *testing.B) {
	pool := newDB(b)
	ctx := context.Background()
	cal := builtin(b, "gbt50563-2010")
	scales := []int{1}
	if os.Getenv("COVERAGE_BENCH_SCALE10") == "1" {
		scales = append(scales, 10)
	}
	for _, scale := range scales {
		slug := fmt.Sprintf("gen-scale%d", scale)
		gen := generateCity(1, 50000*scale, 600*scale)
		gen.load(b, pool, slug)
		snap, err := Store{Pool: pool}.Load(ctx, slug)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `ANALYZE residential_land; ANALYZE parks`); err != nil {
			b.Fatal(err)
		}
		benchCoverageScale(b, pool, fmt.Sprintf("scale%d", scale), snap, cal)
	}
}

func benchCoverageScale(b *testing.B, pool *pgxpool.Pool, name string, snap *Snapshot, cal caliber.Caliber) {
	ctx := context.Background()
	var goRatio float64
	b.Run(name+"/go-buffer", func(b *testing.B) {
		for b.Loop() {
			res, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer})
			if err != nil {
				b.Fatal(err)
			}
			goRatio = res.Ratio()
		}
		b.ReportMetric(100*goRatio, "%covered")
	})
	b.Run(name+"/go-buffer-gaps", func(b *testing.B) {
		for b.Loop() {
			if _, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer, Gaps: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(name+"/go-network", func(b *testing.B) {
		snap.walkNet() //nolint:errcheck // the graph is built once per snapshot; measure the search and areas
		var r float64
		for b.Loop() {
			res, err := Compute(ctx, snap, cal, Options{Method: caliber.Network})
			if err != nil {
				b.Fatal(err)
			}
			r = res.Ratio()
		}
		b.ReportMetric(100*r, "%covered")
	})
	sql := func(query string, check bool) func(b *testing.B) {
		return func(b *testing.B) {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, `SET statement_timeout = 0`); err != nil {
				b.Fatal(err)
			}
			var cov, tot float64
			for b.Loop() {
				if err := conn.QueryRow(ctx, query, snap.CityID).Scan(&cov, &tot); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*cov/tot, "%covered")
			if d := 100 * (cov/tot - goRatio); check && (d > 0.01 || d < -0.01) {
				b.Errorf("PostGIS %.6f %% vs Go %.6f %%", 100*cov/tot, 100*goRatio)
			}
		}
	}
	b.Run(name+"/postgis-subdivided", sql(sqlSubdividedCoverage, true))
	b.Run(name+"/postgis-whole-parcel-dwithin", sql(sqlApproxCoverage, false))
	if os.Getenv("COVERAGE_BENCH_NAIVE") == "1" && name == "scale1" { // at scale 10 it runs for hours
		b.Run(name+"/postgis-naive", sql(sqlNaiveCoverage, true))
	}
}
