package coverage

import (
	"context"
	"os"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
)

// BenchmarkBufferCoverageScale1 measures, on this package's generated city of 50 000
// parcels and 600 parks loaded into PostGIS, the exact areal figure under GB/T 50563-2010
// computed in Go (buffer and network methods) and by PostGIS in the same run on the same
// data: the union cut by ST_Subdivide, and (with COVERAGE_BENCH_NAIVE=1, it takes tens of
// seconds) the naive ST_Union(ST_Buffer) intersected with every parcel.
func BenchmarkBufferCoverageScale1(b *testing.B) {
	pool := newDB(b)
	ctx := context.Background()
	gen := generateCity(1, 50000, 600)
	gen.load(b, pool, "gen50k")
	snap, err := Store{Pool: pool}.Load(ctx, "gen50k")
	if err != nil {
		b.Fatal(err)
	}
	cal := builtin(b, "gbt50563-2010")
	var goRatio float64
	b.Run("go-buffer", func(b *testing.B) {
		for b.Loop() {
			res, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer})
			if err != nil {
				b.Fatal(err)
			}
			goRatio = res.Ratio()
		}
		b.ReportMetric(100*goRatio, "%covered")
	})
	b.Run("go-buffer-gaps", func(b *testing.B) {
		for b.Loop() {
			if _, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer, Gaps: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-network", func(b *testing.B) {
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
	b.Run("postgis-subdivided", func(b *testing.B) {
		var cov, tot float64
		for b.Loop() {
			if err := pool.QueryRow(ctx, sqlSubdividedCoverage, snap.CityID).Scan(&cov, &tot); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(100*cov/tot, "%covered")
		if d := 100 * (cov/tot - goRatio); d > 0.01 || d < -0.01 {
			b.Errorf("PostGIS %.6f %% vs Go %.6f %%", 100*cov/tot, 100*goRatio)
		}
	})
	if os.Getenv("COVERAGE_BENCH_NAIVE") == "1" {
		b.Run("postgis-naive", func(b *testing.B) {
			var cov, tot float64
			for b.Loop() {
				if _, err := pool.Exec(ctx, `SET statement_timeout = 0`); err != nil {
					b.Fatal(err)
				}
				if err := pool.QueryRow(ctx, sqlNaiveCoverage, snap.CityID).Scan(&cov, &tot); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*cov/tot, "%covered")
		})
	}
}
