package capacity_test

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
	"github.com/cityreach/cityreach/internal/walk"
)

// versionReads counts the data-version readings (citydata.Read) made on a pool: the
// tables each statement read, in order; and every statement, as its SQL.
type versionReads struct {
	mu    sync.Mutex
	reads [][]string
	all   []string
}

// versionPart is how each table's part of a citydata.Read statement begins.
var versionPart = regexp.MustCompile(`SELECT '(\w+)', count\(\*\)`)

func (v *versionReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	v.mu.Lock()
	v.all = append(v.all, d.SQL)
	v.mu.Unlock()
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
	v.reads, v.all = nil, nil
	return r
}

// statements returns every statement since the last take.
func (v *versionReads) statements() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.all)
}

// tracedPool returns a pool like pool whose statements reads counts.
func tracedPool(t *testing.T, ctx context.Context, pool *pgxpool.Pool) (*versionReads, *pgxpool.Pool) {
	t.Helper()
	reads := &versionReads{}
	cfg := pool.Config()
	cfg.ConnConfig.Tracer = reads
	traced, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(traced.Close)
	return reads, traced
}

// TestCacheFollowsEdits: with the tile service's listener wired as in cityreach serve, a
// repeated request is answered from the cache (the same report, a hit) reading the data
// version of no table (the age tables notify their edits too, migration 0029) nor the
// category or the bands (one statement in all: the city by slug), and an edit
// of each of the eleven tables the report depends on is seen by the next request: computed
// afresh (a miss), its first reading of the version reads only the edited table, and its
// figures equal the SQL/pgRouting computation again. Last, an age import made as the CLI
// makes it (another Service on its own pool, as another process) is seen by the very next
// request: a miss reading only community_age_population's version, whose figures equal the
// SQL/pgRouting computation on the imported rows and whose city demand moved by the change
// of the imported counts, worked out from the file and the rows before the import.
func TestCacheFollowsEdits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, svc, city := demoOracle(t)
	// The service reads on a pool that counts its version readings; the listener is the
	// tile service's, on the test's pool.
	reads, pool := tracedPool(t, ctx, db.Pool)
	svc.Walk.Store.Pool, svc.Store.Pool = pool, pool
	svc.Walk.Watch = tilestest.Live(t, ctx, db.Pool, tiles.Options{CacheBytes: 1 << 20})

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
	stmts := reads.statements()
	if r := reads.take(); len(r) != 0 {
		t.Errorf("a hit after no edit read the versions %v, want none", r)
	}
	if len(stmts) != 1 || !strings.Contains(stmts[0], "FROM cities WHERE slug") {
		t.Errorf("a hit ran the statements %q, want the city's lookup alone", stmts)
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
		if r := reads.take(); len(r) == 0 || !slices.Equal(r[0], []string{edit.table}) {
			t.Errorf("%s: the version readings %v, want the first of [%s] alone", edit.table, r, edit.table)
		}
		if after.DataVersion == before.DataVersion {
			t.Errorf("%s: data_version %s did not move", edit.table, after.DataVersion)
		}
		if edit.check != nil {
			edit.check(t, before, after)
		}
	}
	if len(edits) != 11 {
		t.Errorf("%d tables edited, want the 11 a report reads", len(edits))
	}

	// The import: two communities holding residents' parcels, their 6–12 counts raised by
	// 37 and 250 (0 when they had none). Their whole band count is the demand of their
	// parcels (spread in proportion to the parcels' residents), so the city's demand moves
	// by the sum of the changes.
	//nolint:rowserrcheck // pgx.CollectRows checks rows.Err
	rows, err := db.Pool.Query(ctx, `SELECT c.code, coalesce(a.population, 0)::float8 FROM communities c
		LEFT JOIN community_age_population a ON a.community_id = c.id AND a.band = '6-12'
		WHERE c.city_id = $1 AND EXISTS (SELECT 1 FROM residential_land r WHERE r.city_id = $1 AND r.population > 0
			AND ST_Contains(c.geom_m, ST_PointOnSurface(r.geom_m)))
		ORDER BY c.id LIMIT 2`, city)
	if err != nil {
		t.Fatal(err)
	}
	type count struct {
		Code string
		N    float64
	}
	old, err := pgx.CollectRows(rows, pgx.RowToStructByPos[count])
	if err != nil || len(old) != 2 {
		t.Fatalf("communities to import: %v %v", old, err)
	}
	file := "community_code,6-12\n"
	delta := 0.0
	for i, com := range old {
		add := []float64{37, 250}[i]
		file += fmt.Sprintf("%s,%.0f\n", com.Code, com.N+add)
		delta += add
	}
	before, err := svc.Capacity(ctx, "baotou", opt)
	if err != nil {
		t.Fatal(err)
	}
	_, missed := svc.Stats()
	// As cityreach import ages does it (internal/cli): a Service of its own on its own pool.
	other, err := pgxpool.NewWithConfig(ctx, db.Pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	imp := &capacity.Service{Walk: walk.NewService(other, nil), Store: capacity.Store{Pool: other}}
	if _, err := imp.ImportAges(ctx, "baotou", "csv", []byte(file), "agewatch test"); err != nil {
		t.Fatal(err)
	}
	for i, com := range old {
		var n float64
		var src string
		if err := db.Pool.QueryRow(ctx, `SELECT a.population::float8, a.data_source FROM community_age_population a
			JOIN communities c ON c.id = a.community_id WHERE c.city_id = $1 AND c.code = $2 AND a.band = '6-12'`, city, com.Code).Scan(&n, &src); err != nil {
			t.Fatal(err)
		}
		if want := com.N + []float64{37, 250}[i]; n != want || src != "agewatch test" {
			t.Fatalf("community %s after the import: %v (%s), want %v", com.Code, n, src, want)
		}
	}
	reads.take()
	after := checkOracle(t, ctx, db, svc, city, c)
	if after == before {
		t.Fatal("import: the cached report was served after the import")
	}
	if _, m := svc.Stats(); m != missed+1 {
		t.Errorf("import: %d misses, want %d", m, missed+1)
	}
	if r := reads.take(); len(r) == 0 || !slices.Equal(r[0], []string{"community_age_population"}) {
		t.Errorf("import: the version readings %v, want the first of [community_age_population] alone", r)
	}
	if math.Abs(after.Totals.Demand-before.Totals.Demand-delta) > 1e-6 {
		t.Errorf("import: demand %v → %v, want +%v", before.Totals.Demand, after.Totals.Demand, delta)
	}
	// The data version tells the import: the walking part as before, the age part the
	// version of the age tables read now by citydata.Read.
	ages, err := citydata.Read(ctx, db.Pool, city, citydata.AgeBands, citydata.CommunityAgePopulation)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(before.DataVersion, "/") // inputs/network/age tables
	if len(parts) != 3 {
		t.Fatalf("data_version %q, want inputs/network/ages", before.DataVersion)
	}
	if want := parts[0] + "/" + parts[1] + "/" + ages.Hash; after.DataVersion != want || after.DataVersion == before.DataVersion {
		t.Errorf("import: data_version %s → %s, want %s", before.DataVersion, after.DataVersion, want)
	}
}
