package capacity_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/capacity"
)

// TestCacheFollowsEdits: a repeated request is answered from the cache (the same report,
// a hit), and every kind of edit the report depends on — a facility's capacity, the
// category's norm, the residents by age band, the walking network — is seen by the next
// request, whose figures equal the SQL/pgRouting computation again.
func TestCacheFollowsEdits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, svc, city := demoOracle(t)
	c := oracleCase{"primary_school", []string{"6-12"}, 500, capacity.DecayNone, ""}
	first := checkOracle(t, ctx, db, svc, city, c)
	opt := capacity.Options{Category: c.category, Bands: c.bands, D0: c.d0, Decay: c.decay, Level: capacity.LevelParcel}
	again, err := svc.Capacity(ctx, "baotou", opt)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("a repeated request was computed again, not answered from the cache")
	}
	if hits, _ := svc.Stats(); hits != 1 {
		t.Errorf("%d cache hits, want 1", hits)
	}
	// Another level is another answer.
	if com, err := svc.Capacity(ctx, "baotou", capacity.Options{Category: c.category, Bands: c.bands, D0: c.d0}); err != nil || com == first || com.Level != "community" {
		t.Fatalf("community level: %v (same report: %t)", err, com == first)
	}
	for _, edit := range []struct {
		name, sql string
		check     func(t *testing.T, before, after *capacity.Report)
	}{
		{"capacity", `UPDATE facilities SET capacity = capacity + 450 WHERE id = (SELECT min(id) FROM facilities WHERE city_id = $1 AND category = 'primary_school')`,
			func(t *testing.T, before, after *capacity.Report) {
				if math.Abs(after.Capacity-before.Capacity-450) > 1e-9 {
					t.Errorf("capacity %v → %v, want +450", before.Capacity, after.Capacity)
				}
			}},
		{"norm", `UPDATE facility_categories SET capacity_norm = 800 WHERE code = 'primary_school' AND $1::int IS NOT NULL`,
			func(t *testing.T, before, after *capacity.Report) {
				if after.Norm.PerThousand != 800 || math.Abs(after.Totals.Need-0.8*before.Totals.Demand) > 1e-6 {
					t.Errorf("norm %v, need %v; want 800, %v", after.Norm.PerThousand, after.Totals.Need, 0.8*before.Totals.Demand)
				}
			}},
		{"ages", `UPDATE community_age_population SET population = population + 100, updated_at = now()
			WHERE band = '6-12' AND community_id = (SELECT min(id) FROM communities WHERE city_id = $1)`,
			func(t *testing.T, before, after *capacity.Report) {
				if math.Abs(after.Totals.Demand-before.Totals.Demand-100) > 1e-6 {
					t.Errorf("demand %v → %v, want +100", before.Totals.Demand, after.Totals.Demand)
				}
			}},
		{"network", `UPDATE network_edges SET walkable = false WHERE id IN (SELECT id FROM network_edges WHERE city_id = $1 AND walkable ORDER BY id LIMIT 200)`,
			func(t *testing.T, before, after *capacity.Report) {
				if after.DataVersion == before.DataVersion {
					t.Error("the data version did not move")
				}
			}},
	} {
		before, err := svc.Capacity(ctx, "baotou", opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, edit.sql, city); err != nil {
			t.Fatalf("%s: %v", edit.name, err)
		}
		after := checkOracle(t, ctx, db, svc, city, c)
		if after == before {
			t.Fatalf("%s: the edit was served the cached report", edit.name)
		}
		edit.check(t, before, after)
	}
}
