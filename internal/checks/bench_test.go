package checks

import (
	"context"
	"testing"
)

// BenchmarkChecks runs each check, loading included, on the demo city at scale 1
// (CITYREACH_DEMO_SCALE to change it); docs/benchmarks.md "Checks" has the results.
func BenchmarkChecks(b *testing.B) {
	pool, _ := demoCity(b, 1)
	svc := service(pool)
	ctx := context.Background()
	for _, name := range Names {
		req := Request{City: "baotou", From: "2021", To: "2024"}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Run(ctx, name, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("corridors-geojson", func(b *testing.B) {
		for b.Loop() {
			rep, err := svc.Corridors(ctx, Request{City: "baotou"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Store.GeoJSON(ctx, rep.City.MetricSRID, rep.Features()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
