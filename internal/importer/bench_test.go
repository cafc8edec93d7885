package importer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// BenchmarkImportGeoJSON imports 20 000 facility points per iteration (history on, as a
// CLI import without --bulk) and reports features per second.
func BenchmarkImportGeoJSON(b *testing.B) {
	for _, bulk := range []bool{false, true} {
		name := "history"
		if bulk {
			name = "bulk"
		}
		b.Run(name, func(b *testing.B) {
			db := testdb.New(b)
			ctx := context.Background()
			makeCity(b, db.Pool, "baotou", 4548)
			path := filepath.Join(b.TempDir(), "points.geojson")
			const n = 20_000
			writePoints(b, path, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				rep, err := Import(ctx, db.Pool, "facilities", NewGeoJSONReader(f), Options{City: "baotou", Bulk: bulk})
				f.Close() //nolint:errcheck // test clean-up
				if err != nil || rep.Inserted != n {
					b.Fatalf("%v %d", err, rep.Inserted)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "features/s")
		})
	}
}
