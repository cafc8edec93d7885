package seed

import (
	"context"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/synth"
)

// TestEditions: the demo's two editions are published in order; every seeded table ends
// with the same rows as the plain load (checksums, the load's own oracle); 2024 现状 has
// EditionParks parks fewer, read back from the history; the coverage rises from 2024 to
// 2025, and 2025 is the current figure; a second call keeps the editions.
func TestEditions(t *testing.T) {
	db, _, sum := seedDB(t, synth.Params{Scale: testScale, Seed: 1})
	ctx := context.Background()
	before := checksums(t, db.Pool)
	created, err := Editions(ctx, db.Pool, sum.CityID)
	if err != nil || !created {
		t.Fatalf("Editions: %v, %v", created, err)
	}
	after := checksums(t, db.Pool)
	for table, s := range before {
		if after[table] != s {
			t.Errorf("%s changed: the editions must leave the demo's current data as loaded", table)
		}
	}
	eds, err := edition.Store{Pool: db.Pool}.List(ctx, Slug, true)
	if err != nil || len(eds) != 2 || eds[0].Name != Edition2024 || eds[1].Name != Edition2025 || !eds[0].AsOf.Before(eds[1].AsOf) {
		t.Fatalf("published editions %+v (%v)", eds, err)
	}
	count := func(at any) int {
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM cityreach_as_of(NULL::parks, $1, $2)`, sum.CityID, at).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n24, n25 := count(eds[0].AsOf), count(eds[1].AsOf); n25-n24 != EditionParks || n25 != int(sum.Rows["parks"]) {
		t.Errorf("parks as of 2024 %d, 2025 %d, loaded %d: want %d added in 2025", n24, n25, sum.Rows["parks"], EditionParks)
	}
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	svc := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg}
	ratio := func(asOf string) float64 {
		rep, err := svc.Indicator(ctx, coverage.Query{City: Slug, Method: caliber.Buffer, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		return rep.City1.Ratio
	}
	r24, r25, now := ratio(Edition2024), ratio(Edition2025), ratio("")
	if !(r24 < r25) || r25 != now {
		t.Errorf("coverage 2024 %v, 2025 %v, now %v: want 2024 < 2025 = now", r24, r25, now)
	}
	if created, err := Editions(ctx, db.Pool, sum.CityID); err != nil || created {
		t.Errorf("a second call: %v, %v; want the editions kept", created, err)
	}
}
