package capacity_test

import (
	"context"
	"testing"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// BenchmarkCapacityDemo times the capacity indicator on the demo city at scale 1 (50,884
// parcels), network and inputs cached as the server holds them: the per-facility
// searches, the spread and both 2SFCA steps, the age counts and capacities read per call.
//
//	go test ./internal/capacity -run '^$' -bench BenchmarkCapacityDemo -benchtime=3x
func BenchmarkCapacityDemo(b *testing.B) {
	db := testdb.New(b)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 1); err != nil {
		b.Fatal(err)
	}
	ws := walk.NewService(db.Pool, nil)
	svc := &capacity.Service{Walk: ws, Store: capacity.Store{Pool: db.Pool}}
	for _, c := range []struct {
		name string
		opt  capacity.Options
	}{
		{"primary_school/community", capacity.Options{Category: "primary_school"}},
		{"middle_school/parcel", capacity.Options{Category: "middle_school", Level: capacity.LevelParcel}},
		{"elderly_care/gaussian", capacity.Options{Category: "elderly_care", Decay: capacity.DecayGaussian}},
	} {
		b.Run(c.name, func(b *testing.B) {
			if _, err := svc.Capacity(ctx, "baotou", c.opt); err != nil { // warm the cached network and inputs
				b.Fatal(err)
			}
			var rep *capacity.Report
			for b.Loop() {
				var err error
				if rep, err = svc.Capacity(ctx, "baotou", c.opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rep.Facilities)), "facilities")
		})
	}
}
