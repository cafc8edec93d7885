package migrate_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/migrations"
)

func TestLoadRejectsGapsAndHalves(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"gap": {
			"0001_a.up.sql": {Data: []byte("select 1")}, "0001_a.down.sql": {Data: []byte("select 1")},
			"0003_c.up.sql": {Data: []byte("select 1")}, "0003_c.down.sql": {Data: []byte("select 1")},
		},
		"missing down": {"0001_a.up.sql": {Data: []byte("select 1")}},
		"two names": {
			"0001_a.up.sql": {Data: []byte("select 1")}, "0001_b.down.sql": {Data: []byte("select 1")},
		},
	}
	for name, fsys := range cases {
		if _, err := migrate.Load(fsys); err == nil {
			t.Errorf("%s: Load accepted a broken migration set", name)
		}
	}
	ms, err := migrate.Load(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Fatalf("migration %d has version %d", i, m.Version)
		}
	}
}

// tables lists the user tables of the public schema.
func tables(t *testing.T, db *testdb.DB) map[string]bool {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(),
		`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	return out
}

func TestUpDownUp(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	m, err := migrate.New(db.Pool, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := m.Current(ctx); err != nil || !ok {
		t.Fatalf("fresh test database not current: %v %v", ok, err)
	}
	before := tables(t, db)
	for _, want := range []string{"cities", "districts", "subdistricts", "communities", "parks", "park_entrances",
		"eco_corridors", "eco_redlines", "basic_farmland", "growth_boundaries", "residential_land", "facilities",
		"network_edges", "feature_history", "schema_migrations"} {
		if !before[want] {
			t.Errorf("table %s missing after up", want)
		}
	}
	n, err := m.Down(ctx, m.Latest(), nil)
	if err != nil || n != m.Latest() {
		t.Fatalf("down all: reverted %d of %d: %v", n, m.Latest(), err)
	}
	if got := tables(t, db); len(got) != 1 || !got["schema_migrations"] {
		t.Fatalf("after down all, tables left: %v", got)
	}
	var ext int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_extension WHERE extname IN ('postgis','pgrouting')`).Scan(&ext); err != nil || ext != 0 {
		t.Fatalf("extensions left after down all: %d %v", ext, err)
	}
	if ok, _ := m.Current(ctx); ok {
		t.Fatal("Current true with no migrations applied")
	}
	n, err = m.Up(ctx, nil)
	if err != nil || n != m.Latest() {
		t.Fatalf("up again: applied %d: %v", n, err)
	}
	if after := tables(t, db); len(after) != len(before) {
		t.Fatalf("up after down: %d tables, want %d", len(after), len(before))
	}
	if n, err := m.Up(ctx, nil); err != nil || n != 0 {
		t.Fatalf("second up applied %d: %v", n, err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if !s.Applied {
			t.Errorf("%04d not applied", s.Version)
		}
	}
}

func TestFailedMigrationLeavesNothing(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	fsys := fstest.MapFS{}
	for _, name := range []string{"0001_extensions", "0002_core", "0003_planning_layers"} {
		for _, dir := range []string{"up", "down"} {
			b, err := migrations.FS.ReadFile(name + "." + dir + ".sql")
			if err != nil {
				t.Fatal(err)
			}
			fsys[name+"."+dir+".sql"] = &fstest.MapFile{Data: b}
		}
	}
	fsys["0004_broken.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE half_done (id int); SELECT no_such_function();")}
	fsys["0004_broken.down.sql"] = &fstest.MapFile{Data: []byte("DROP TABLE half_done;")}
	// Start from the shipped schema, reverted to version 3, then add the broken step.
	m, err := migrate.New(db.Pool, fsys)
	if err != nil {
		t.Fatal(err)
	}
	shipped, _ := migrate.New(db.Pool, migrations.FS)
	if _, err := shipped.Down(ctx, shipped.Latest()-3, nil); err != nil && shipped.Latest() > 3 {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx, nil); err == nil {
		t.Fatal("broken migration applied without error")
	}
	var exists bool
	if err := db.Pool.QueryRow(ctx, `SELECT to_regclass('half_done') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("table of the failed migration exists: %v %v", exists, err)
	}
	var v int
	if err := db.Pool.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil || v != 3 {
		t.Fatalf("schema version after failure = %d, want 3 (%v)", v, err)
	}
}
