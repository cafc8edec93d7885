package capacity_test

import (
	"context"
	"math"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/tiles"
)

// versionReads counts the data-version readings (citydata.Read) made on a pool: the
// tables each statement read, in order.
type versionReads struct {
	mu    sync.Mutex
	reads [][]string
}

// versionPart is how each table's part of a citydata.Read statement begins.
var versionPart = regexp.MustCompile(`SELECT '(\w+)', count\(\*\)`)

func (v *versionReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	m := versionPart.FindAllStringSubmatch(d.SQL, -1)
	if len(m) == 0 {
		return ctx
	}
	var tables []string
	for _, t := range m {
		tables = append(tables, t[1])
	}
	slices.Sort(tables)
	v.mu.Lock()
	v.reads = append(v.reads, tables)
	v.mu.Unlock()
	return ctx
}

func (*versionReads) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the readings since the last take.
func (v *versionReads) take() [][]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.reads
	v.reads = nil
	return r
}

// TestCacheFollowsEdits: with the tile service's listener wired as in cityreach serve, a
// repeated request is answered from the cache (the same report, a hit) reading the data
// version of no table the listener watches (only the age tables, which have no trigger),
// and an edit of each of the eleven tables the report depends on is seen by the next
// request: computed afresh (a miss), its first reading of the version reads only the
// edited table, and its figures equal the SQL/pgRouting computation again.
func TestCacheFollowsEdits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, svc, city := demoOracle(t)
	// The service reads on a pool that counts its version readings; the listener is the
	// tile service's, on the test's pool.
	reads := &versionReads{}
	cfg := db.Pool.Config()
	cfg.ConnConfig.Tracer = reads
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	svc.Walk.Store.Pool, svc.Store.Pool = pool, pool
	ts := tiles.New(db.Pool, layers.Default(), tiles.Options{CacheBytes: 1 << 20})
	if err := ts.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := ts.WaitLive(wctx); err != nil {
		t.Fatal(err)
	}
	svc.Walk.Watch = ts

	ages := []string{"age_bands", "community_age_population"}
	c := oracleCase{"primary_school", []string{"6-12"}, 500, capacity.DecayNone, ""}
	first := checkOracle(t, ctx, db, svc, city, c)
	opt := capacity.Options{Category: c.category, Bands: c.bands, D0: c.d0, Decay: c.decay, Level: capacity.LevelParcel}
	reads.take()
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
	if r := reads.take(); len(r) != 1 || !slices.Equal(r[0], ages) {
		t.Errorf("a hit after no edit read the versions %v, want only %v", r, ages)
	}
	// Another level is another answer.
	if com, err := svc.Capacity(ctx, "baotou", capacity.Options{Category: c.category, Bands: c.bands, D0: c.d0}); err != nil || com == first || com.Level != "community" {
		t.Fatalf("community level: %v (same report: %t)", err, com == first)
	}
	// touch raises the version of one of the city's rows of a feature table (the shared
	// trigger raises it on every update).
	touch := func(table string) string {
		return `UPDATE ` + table + ` SET geom = geom WHERE id = (SELECT min(id) FROM ` + table + ` WHERE city_id = $1)`
	}
	edits := []struct {
		table, sql string
		check      func(t *testing.T, before, after *capacity.Report)
	}{
		{"facilities", `UPDATE facilities SET capacity = capacity + 450 WHERE id = (SELECT min(id) FROM facilities WHERE city_id = $1 AND category = 'primary_school')`,
			func(t *testing.T, before, after *capacity.Report) {
				if math.Abs(after.Capacity-before.Capacity-450) > 1e-9 {
					t.Errorf("capacity %v → %v, want +450", before.Capacity, after.Capacity)
				}
			}},
		{"facility_categories", `UPDATE facility_categories SET capacity_norm = 800 WHERE code = 'primary_school' AND $1::int IS NOT NULL`,
			func(t *testing.T, before, after *capacity.Report) {
				if after.Norm.PerThousand != 800 || math.Abs(after.Totals.Need-0.8*before.Totals.Demand) > 1e-6 {
					t.Errorf("norm %v, need %v; want 800, %v", after.Norm.PerThousand, after.Totals.Need, 0.8*before.Totals.Demand)
				}
			}},
		{"community_age_population", `UPDATE community_age_population SET population = population + 100, updated_at = now()
			WHERE band = '6-12' AND community_id = (SELECT min(id) FROM communities WHERE city_id = $1)`,
			func(t *testing.T, before, after *capacity.Report) {
				if math.Abs(after.Totals.Demand-before.Totals.Demand-100) > 1e-6 {
					t.Errorf("demand %v → %v, want +100", before.Totals.Demand, after.Totals.Demand)
				}
			}},
		{"network_edges", `UPDATE network_edges SET walkable = false WHERE id IN (SELECT id FROM network_edges WHERE city_id = $1 AND walkable ORDER BY id LIMIT 200)`,
			func(t *testing.T, before, after *capacity.Report) {
				if after.DataVersion == before.DataVersion {
					t.Error("the data version did not move")
				}
			}},
		{"age_bands", `UPDATE age_bands SET name_en = name_en || ' ' WHERE code = '6-12' AND $1::int IS NOT NULL`, nil},
	}
	for _, table := range []string{"parks", "park_entrances", "residential_land", "communities", "subdistricts", "districts"} {
		edits = append(edits, struct {
			table, sql string
			check      func(t *testing.T, before, after *capacity.Report)
		}{table, touch(table), func(t *testing.T, before, after *capacity.Report) {
			if after.DataVersion == before.DataVersion {
				t.Error("the data version did not move")
			}
		}})
	}
	for _, edit := range edits {
		before, err := svc.Capacity(ctx, "baotou", opt)
		if err != nil {
			t.Fatal(err)
		}
		_, missed := svc.Stats()
		tag, err := db.Pool.Exec(ctx, edit.sql, city)
		if err != nil || tag.RowsAffected() == 0 {
			t.Fatalf("%s: %v (%d rows)", edit.table, err, tag.RowsAffected())
		}
		reads.take()
		after := checkOracle(t, ctx, db, svc, city, c)
		if after == before {
			t.Fatalf("%s: the edit was served the cached report", edit.table)
		}
		if _, m := svc.Stats(); m != missed+1 {
			t.Errorf("%s: %d misses, want %d", edit.table, m, missed+1)
		}
		want := []string{edit.table}
		if slices.Contains(ages, edit.table) {
			want = ages
		}
		if r := reads.take(); len(r) == 0 || !slices.Equal(r[0], want) {
			t.Errorf("%s: the version readings %v, want the first of %v alone", edit.table, r, want)
		}
		if edit.check != nil {
			edit.check(t, before, after)
		}
	}
	if len(edits) != 11 {
		t.Errorf("%d tables edited, want the 11 a report reads", len(edits))
	}
}
