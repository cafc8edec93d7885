package seed

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/synth"
	"github.com/cityreach/cityreach/internal/testdb"
)

// BenchmarkSeedScale1 generates and loads the scale-1 city (the `make run` demo) into a
// fresh database and reports the generation and load times and the size of the seeded
// tables. Run with -benchtime=1x: one iteration is one full seed.
func BenchmarkSeedScale1(b *testing.B) { benchSeed(b, 1) }

// BenchmarkSeedScale10 is the benchmark city, ten times scale 1. It takes minutes, so it
// runs only with CITYREACH_BENCH_SCALE10=1.
func BenchmarkSeedScale10(b *testing.B) {
	if os.Getenv("CITYREACH_BENCH_SCALE10") != "1" {
		b.Skip("set CITYREACH_BENCH_SCALE10=1 to seed the scale-10 city")
	}
	benchSeed(b, 10)
}

func benchSeed(b *testing.B, scale float64) {
	o, err := Outlines("")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := testdb.New(b)
		b.StartTimer()
		t0 := time.Now()
		c, err := synth.Generate(ctx, synth.Params{Scale: scale, Seed: 1}, o)
		if err != nil {
			b.Fatal(err)
		}
		gen := time.Since(t0)
		sum, err := Load(ctx, db.Pool, o, c, Options{})
		if err != nil {
			b.Fatal(err)
		}
		total := time.Since(t0)
		b.StopTimer()
		var bytes, dbBytes int64
		for _, t := range append(append([]string{}, Layers...), "cities") {
			var n int64
			if err := db.Pool.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", t).Scan(&n); err != nil {
				b.Fatal(err)
			}
			bytes += n
		}
		if err := db.Pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&dbBytes); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(gen.Seconds(), "gen_s")
		b.ReportMetric(sum.Elapsed.Seconds(), "load_s")
		b.ReportMetric(total.Seconds(), "total_s")
		b.ReportMetric(float64(bytes)/(1<<20), "tables_MiB")
		b.ReportMetric(float64(dbBytes)/(1<<20), "db_MiB")
		b.Logf("scale %v: %d communities, %d parcels, %d edges, %d facilities, %d parks; rows %v",
			scale, len(c.Communities), len(c.Parcels), len(c.Edges), len(c.Facilities), len(c.Parks), sum.Rows)
		b.StartTimer()
	}
}
