package citydata

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/testdb"
)

// Near Baotou, inside EPSG:4546's zone.
const (
	poly = `ST_GeomFromText('MULTIPOLYGON(((109.80 40.60, 109.81 40.60, 109.81 40.61, 109.80 40.61, 109.80 40.60)))', 4326)`
	pt   = `ST_GeomFromText('POINT(109.805 40.605)', 4326)`
	line = `ST_GeomFromText('LINESTRING(109.80 40.60, 109.81 40.61)', 4326)`
)

// inserts gives, for every feature table, an INSERT of one valid row of city $1 (n makes
// the unique codes unique) returning its id. The referenced district and park are the
// fixture's.
func inserts(n int) map[string]string {
	return map[string]string{
		"districts":         fmt.Sprintf(`INSERT INTO districts (city_id, adcode, name, geom) VALUES ($1, '%06d', 'd', %s) RETURNING id`, 160000+n, poly),
		"subdistricts":      fmt.Sprintf(`INSERT INTO subdistricts (city_id, district_id, code, name, geom) SELECT $1, min(id), '%09d', 's', %s FROM districts WHERE city_id = $1 RETURNING id`, 160000000+n, poly),
		"communities":       fmt.Sprintf(`INSERT INTO communities (city_id, code, name, population, households, geom) VALUES ($1, '%012d', 'c', 0, 0, %s) RETURNING id`, 160000000000+n, poly),
		"parks":             `INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, 'p', 'garden', ` + poly + `) RETURNING id`,
		"park_entrances":    `INSERT INTO park_entrances (city_id, park_id, geom) SELECT $1, min(id), ` + pt + ` FROM parks WHERE city_id = $1 RETURNING id`,
		"eco_corridors":     `INSERT INTO eco_corridors (city_id, name, design_width_m, geom) VALUES ($1, 'e', 30, ` + poly + `) RETURNING id`,
		"eco_redlines":      `INSERT INTO eco_redlines (city_id, name, geom) VALUES ($1, 'r', ` + poly + `) RETURNING id`,
		"basic_farmland":    `INSERT INTO basic_farmland (city_id, name, geom) VALUES ($1, 'f', ` + poly + `) RETURNING id`,
		"growth_boundaries": fmt.Sprintf(`INSERT INTO growth_boundaries (city_id, edition, valid_from, geom) VALUES ($1, 'e%d', '2021-01-01', %s) RETURNING id`, n, poly),
		"residential_land":  `INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 30, 10, ` + poly + `) RETURNING id`,
		"facilities":        `INSERT INTO facilities (city_id, category, geom) VALUES ($1, 'clinic', ` + pt + `) RETURNING id`,
		"network_edges":     `INSERT INTO network_edges (city_id, geom) VALUES ($1, ` + line + `) RETURNING id`,
	}
}

var allTables = []string{"districts", "subdistricts", "communities", "parks", "park_entrances", "eco_corridors",
	"eco_redlines", "basic_farmland", "growth_boundaries", "residential_land", "facilities", "network_edges", FacilityCategories}

// fixture returns a pool with two cities, each with one row in every feature table.
func fixture(t *testing.T) (*pgxpool.Pool, int, int) {
	t.Helper()
	db := testdb.New(t)
	if db == nil {
		t.FailNow()
	}
	ctx := context.Background()
	var cities [2]int
	for i, slug := range []string{"one", "two"} {
		if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ($1, $1, '150200', 4546) RETURNING id`, slug).Scan(&cities[i]); err != nil {
			t.Fatal(err)
		}
		for _, table := range allTables[:len(allTables)-1] {
			var id int64
			if err := db.Pool.QueryRow(ctx, inserts(i)[table], cities[i]).Scan(&id); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
		}
	}
	return db.Pool, cities[0], cities[1]
}

// samePart compares what the hash uses.
func samePart(a, b TableVersion) bool { return a.Rows == b.Rows && a.Digest == b.Digest }

func read(t *testing.T, q Querier, city int) Version {
	t.Helper()
	v, err := Read(context.Background(), q, city, allTables...)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tables) != len(allTables) || len(v.Hash) != 16 {
		t.Fatalf("version of %d tables, hash %q", len(v.Tables), v.Hash)
	}
	return v
}

// TestVersionFollowsEveryEdit: in every input table an insert, an update and a delete each
// change the city's version and that table's part only; deleting the inserted row brings
// back the version from before the insert (the same rows); statements that change
// nothing, a rolled-back edit and an edit of the other city leave it as it was.
func TestVersionFollowsEveryEdit(t *testing.T) {
	pool, city, other := fixture(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	changed := func(step, table string, before, after Version) {
		t.Helper()
		if before.Hash == after.Hash {
			t.Errorf("%s %s: version unchanged (%s)", step, table, after.Hash)
		}
		for name, tv := range after.Tables {
			if (name == table) == samePart(tv, before.Tables[name]) {
				t.Errorf("%s %s: part of %s went from %+v to %+v", step, table, name, before.Tables[name], tv)
			}
		}
	}
	unchanged := func(step string, before, after Version) {
		t.Helper()
		if before.Hash != after.Hash {
			t.Errorf("%s: version changed from %s to %s", step, before.Hash, after.Hash)
		}
	}
	v0 := read(t, pool, city)
	unchanged("reading again", v0, read(t, pool, city))
	for i, table := range allTables {
		ident := pgx.Identifier{table}.Sanitize()
		var key any
		var v1 Version
		if table == FacilityCategories {
			key = "zz_test"
			exec(`INSERT INTO facility_categories (code, name_zh, name_en, reach_m, basic, sort_order) VALUES ('zz_test', '测试', 'Test', 500, false, 99)`)
			v1 = read(t, pool, city)
			changed("insert", table, v0, v1)
			exec(`UPDATE facility_categories SET reach_m = 600 WHERE code = $1`, key)
		} else {
			var id int64
			if err := pool.QueryRow(ctx, inserts(10 + i)[table], city).Scan(&id); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			key = id
			v1 = read(t, pool, city)
			changed("insert", table, v0, v1)
			exec(`UPDATE `+ident+` SET geom = ST_Translate(geom, 0.0001, 0) WHERE id = $1`, key)
		}
		v2 := read(t, pool, city)
		changed("update", table, v1, v2)

		// Nothing happens: no row matches, the edit is rolled back, the other city moves.
		col := "id"
		if table == FacilityCategories {
			col = "code"
		} else {
			exec(`UPDATE `+ident+` SET geom = ST_Translate(geom, 0.0001, 0) WHERE city_id = $1`, other)
			var id int64
			if err := pool.QueryRow(ctx, inserts(30 + i)[table], other).Scan(&id); err != nil {
				t.Fatalf("%s in the other city: %v", table, err)
			}
		}
		exec(`UPDATE ` + ident + ` SET ` + col + ` = ` + col + ` WHERE false`)
		exec(`DELETE FROM ` + ident + ` WHERE false`)
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+ident+` WHERE `+col+` = $1`, key); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		unchanged(table+": no-op statements, a rolled-back delete and edits of another city", v2, read(t, pool, city))

		exec(`DELETE FROM `+ident+` WHERE `+col+` = $1`, key)
		v3 := read(t, pool, city)
		changed("delete", table, v2, v3)
		unchanged(table+": insert, update and delete of one row", v0, v3)
	}
}

// TestVersionSeesADeletePairedWithAnInsert is the delete the former formula (count,
// max(updated_at), sum(version)) missed: a transaction that began before another edit
// committed deletes a row and inserts one. Its row count and its sum of versions come out
// as before, and its rows carry its start time, earlier than the other edit's, so the
// latest updated_at does not move either.
func TestVersionSeesADeletePairedWithAnInsert(t *testing.T) {
	pool, city, _ := fixture(t)
	ctx := context.Background()
	var extra int64
	if err := pool.QueryRow(ctx, inserts(50)["parks"], city).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	old := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT concat_ws(':', count(*), max(updated_at), coalesce(sum(version), 0)) FROM parks WHERE city_id = $1`, city).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	late, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback(ctx)                                  //nolint:errcheck
	if _, err := late.Exec(ctx, `SELECT now()`); err != nil { // its transaction time is now
		t.Fatal(err)
	}
	// Another edit commits meanwhile: a rename of the extra park, twice (versions 1 → 3).
	if _, err := pool.Exec(ctx, `UPDATE parks SET name = 'renamed' WHERE id = $1`, extra); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE parks SET name = 'renamed again' WHERE id = $1`, extra); err != nil {
		t.Fatal(err)
	}
	oldBefore, before := old(), read(t, pool, city)

	// The late transaction deletes the fixture's first park (version 1) and adds another.
	if _, err := late.Exec(ctx, `DELETE FROM parks WHERE id = (SELECT min(id) FROM parks WHERE city_id = $1)`, city); err != nil {
		t.Fatal(err)
	}
	var added int64
	if err := late.QueryRow(ctx, inserts(51)["parks"], city).Scan(&added); err != nil {
		t.Fatal(err)
	}
	if err := late.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if o := old(); o != oldBefore {
		t.Fatalf("the former formula saw this edit (%s → %s): the test no longer shows the case", oldBefore, o)
	}
	after := read(t, pool, city)
	if after.Hash == before.Hash || samePart(after.Tables["parks"], before.Tables["parks"]) {
		t.Errorf("a delete paired with an insert left the version at %s (parks %+v)", after.Hash, after.Tables["parks"])
	}
}

// TestVersionRefusesUnknownTables: only the input tables are accepted.
func TestVersionRefusesUnknownTables(t *testing.T) {
	for _, bad := range []string{"cities", "parks; DROP TABLE parks", "coverage_runs", ""} {
		if _, err := part(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestVersionFollowsAgeCounts: the residents by age band are a city's through its
// communities: an insert, an update and a delete of a city's counts change its version, a
// change of another city's counts does not; a change of the band set (shared) changes both.
func TestVersionFollowsAgeCounts(t *testing.T) {
	pool, city, other := fixture(t)
	ctx := context.Background()
	tables := []string{CommunityAgePopulation, AgeBands}
	ver := func(c int) string {
		t.Helper()
		v, err := Read(ctx, pool, c, tables...)
		if err != nil {
			t.Fatal(err)
		}
		return v.Hash
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	const com = `(SELECT id FROM communities WHERE city_id = $1 LIMIT 1)`
	for _, step := range []struct {
		name      string
		sql       string
		of        int
		this, oth bool // whether city's and other's versions move
	}{
		{"insert", `INSERT INTO community_age_population (community_id, band, population) VALUES (` + com + `, '6-12', 40)`, city, true, false},
		{"update", `UPDATE community_age_population SET population = 41 WHERE community_id = ` + com, city, true, false},
		{"other city's insert", `INSERT INTO community_age_population (community_id, band, population) VALUES (` + com + `, '6-12', 40)`, other, false, true},
		{"delete", `DELETE FROM community_age_population WHERE community_id = ` + com, city, true, false},
		{"band set", `UPDATE age_bands SET name_en = name_en || '.' WHERE code = '80-' AND $1::int IS NOT NULL`, city, true, true},
	} {
		a, b := ver(city), ver(other)
		exec(step.sql, step.of)
		if moved := ver(city) != a; moved != step.this {
			t.Errorf("%s: city's version moved %t, want %t", step.name, moved, step.this)
		}
		if moved := ver(other) != b; moved != step.oth {
			t.Errorf("%s: other city's version moved %t, want %t", step.name, moved, step.oth)
		}
	}
}
