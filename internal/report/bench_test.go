package report_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
)

// BenchmarkReportCommunity is the city-wide report of every indicator at community level,
// every format including the PDF, on the demo city at scale 1 (CITYREACH_DEMO_SCALE
// overrides) in a fresh database. Each iteration uses new services, so nothing is cached in
// memory; the first iteration also computes and stores the park-coverage run.
//
//	go test ./internal/report -run '^$' -bench ReportCommunity -benchtime 3x
func BenchmarkReportCommunity(b *testing.B) {
	scale := 1.0
	if s := os.Getenv("CITYREACH_DEMO_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatal(err)
		}
		scale = v
	}
	db := testdb.New(b)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, scale); err != nil {
		b.Fatal(err)
	}
	if _, err := report.Chromium(""); err != nil {
		b.Skip(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		svc := newServices(b, db.Pool)
		if _, _, err := report.Generate(ctx, svc.src, report.Request{City: seed.Slug, Level: "community"}, b.TempDir(), report.Options{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
