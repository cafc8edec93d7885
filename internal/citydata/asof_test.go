package citydata

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// asOfTables are the tables the as-of test edits: polygons with an area and a clearance
// (parks, residential_land), points (facilities) and lines with a length (network_edges).
var asOfTables = []string{"parks", "facilities", "residential_land", "network_edges"}

// TestAsOfMatchesSnapshots edits, deletes, bulk-loads and re-creates rows of city one, and
// at each of five points copies the live rows into oracle tables with CREATE TABLE … AS
// SELECT (the independent record of the state then) and reads the data version. Afterwards
// cityreach_as_of at each point must give exactly the oracle's rows: every recorded column
// equal (the geometry to the 15 significant digits history keeps), the derived ones (metric
// geometry, 3857 geometry, area, length, clearance) within 1e-6 m; and ShadowAsOf at each
// point must give the data version read live then.
func TestAsOfMatchesSnapshots(t *testing.T) {
	pool, city, other := fixture(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// bulk runs statements in one transaction with history off, as the demo loader does.
	bulk := func(sqls ...string) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.bulk_load', 'on', true)`); err != nil {
			t.Fatal(err)
		}
		for _, s := range sqls {
			var args []any
			if strings.Contains(s, "$1") {
				args = []any{city}
			}
			if _, err := tx.Exec(ctx, s, args...); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var points []time.Time
	var versions []Version
	take := func() {
		t.Helper()
		k := len(points)
		for _, table := range asOfTables {
			exec(fmt.Sprintf(`CREATE TABLE oracle_%d_%s AS SELECT * FROM %s WHERE city_id = $1`, k, table, table), city)
		}
		v, err := Read(ctx, pool, city, asOfTables...)
		if err != nil {
			t.Fatal(err)
		}
		var at time.Time
		if err := pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		points, versions = append(points, at), append(versions, v)
	}
	// Odd offsets, so coordinates need all 17 digits and history's rounding shows.
	const moved = `ST_Translate(geom, 0.001/3, 0.001/7)`
	take() // 0: the fixture's one row per table

	bulk(`INSERT INTO parks (id, city_id, name, park_class, geom) VALUES (9001, $1, 'bulk park', 'community', ST_Translate(`+poly+`, 0.02, 0))`,
		`INSERT INTO residential_land (id, city_id, population, households, geom) VALUES (9002, $1, 500, 200, ST_Translate(`+poly+`, 0, 0.02))`)
	exec(`INSERT INTO facilities (id, city_id, category, name, geom) VALUES (9003, $1, 'kindergarten', 'k', `+pt+`)`, city)
	exec(`UPDATE parks SET name = 'renamed', geom = `+moved+` WHERE city_id = $1 AND id < 9000`, city)
	take() // 1

	exec(`DELETE FROM facilities WHERE id = 9003`)
	exec(`UPDATE parks SET name = 'bulk park, renamed' WHERE id = 9001`)
	exec(`INSERT INTO network_edges (id, city_id, highway, geom) VALUES (9004, $1, 'path', ST_Translate(`+line+`, 0.001/3, 0))`, city)
	exec(`UPDATE residential_land SET population = 40, households = 12, geom = `+moved+` WHERE city_id = $1 AND id < 9000`, city)
	take() // 2

	exec(`INSERT INTO facilities (id, city_id, category, name, geom) VALUES (9003, $1, 'clinic', 're-created', ST_Translate(`+pt+`, 0.001/3, 0))`, city)
	exec(`DELETE FROM parks WHERE id = 9001`)
	exec(`UPDATE parks SET name = 'other city' WHERE city_id = $1`, other)
	exec(`UPDATE network_edges SET geom = ` + moved + ` WHERE id = 9004`)
	take() // 3

	// An edition at point 3; then a bulk load changes rows that existed then: the history
	// trigger must still record them, or the edition would change under it.
	exec(`INSERT INTO data_editions (city_id, name, as_of, created_by) VALUES ($1, 'e3', $2, 'test')`, city, points[3])
	bulk(`UPDATE residential_land SET population = 7, households = 1 WHERE id = 9002`,
		`DELETE FROM residential_land WHERE city_id = $1 AND id < 9000`,
		`DELETE FROM network_edges WHERE id = 9004`,
		`INSERT INTO parks (id, city_id, name, park_class, geom) VALUES (9005, $1, 'new bulk park', 'garden', ST_Translate(`+poly+`, 0.03, 0))`)
	take() // 4

	derived := []string{"geom_m", "geom_3857", "geom_3857_clearance", "area_m2", "length_m"}
	for k, at := range points {
		for _, table := range asOfTables {
			oracle := pgx.Identifier{fmt.Sprintf("oracle_%d_%s", k, table)}.Sanitize()
			live := pgx.Identifier{table}.Sanitize()
			var missing, extra, n, wrongDerived int
			var maxGeom float64
			err := pool.QueryRow(ctx, `
				WITH a AS (SELECT * FROM cityreach_as_of(NULL::`+live+`, $1, $2)),
				     aj AS (SELECT id, to_jsonb(a) AS j, geom_m, geom_3857 FROM a),
				     oj AS (SELECT id, to_jsonb(o) AS j, geom_m, geom_3857 FROM `+oracle+` o)
				SELECT (SELECT count(*) FROM (SELECT j - $3::text[] FROM oj EXCEPT ALL SELECT j - $3::text[] FROM aj) x),
				       (SELECT count(*) FROM (SELECT j - $3::text[] FROM aj EXCEPT ALL SELECT j - $3::text[] FROM oj) x),
				       (SELECT count(*) FROM aj),
				       (SELECT count(*) FROM aj JOIN oj USING (id) WHERE EXISTS (
				            SELECT 1 FROM unnest(ARRAY['area_m2', 'length_m', 'geom_3857_clearance']) f
				            WHERE abs(coalesce((aj.j ->> f)::float8, 0) - coalesce((oj.j ->> f)::float8, 0)) > 1e-6)),
				       coalesce((SELECT max(greatest(ST_HausdorffDistance(aj.geom_m, oj.geom_m), ST_HausdorffDistance(aj.geom_3857, oj.geom_3857)))
				                 FROM aj JOIN oj USING (id)), 0)`, city, at, derived).Scan(&missing, &extra, &n, &wrongDerived, &maxGeom)
			if err != nil {
				t.Fatalf("point %d %s: %v", k, table, err)
			}
			if missing != 0 || extra != 0 || wrongDerived != 0 || maxGeom > 1e-6 {
				t.Errorf("point %d %s: %d rows as of; %d oracle rows missing, %d extra, %d with other areas or lengths, geometries up to %g m apart",
					k, table, n, missing, extra, wrongDerived, maxGeom)
			}
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ShadowAsOf(ctx, tx, city, at, asOfTables...); err != nil {
			t.Fatal(err)
		}
		v, err := Read(ctx, tx, city, asOfTables...)
		if err != nil {
			t.Fatal(err)
		}
		_ = tx.Rollback(ctx)
		if v.Hash != versions[k].Hash {
			t.Errorf("point %d: the data version as of is %s %+v, the live one then %s %+v", k, v.Hash, v.Tables, versions[k].Hash, versions[k].Tables)
		}
	}
	// After the shadowing transaction the same statement reads the live tables again.
	v, err := Read(ctx, pool, city, asOfTables...)
	if err != nil || v.Hash != versions[4].Hash {
		t.Errorf("after ShadowAsOf the live version is %s (%v), want %s", v.Hash, err, versions[4].Hash)
	}
}

// TestEditionsAreImmutable: a published edition refuses updates and deletes, an
// unpublished one does not, history refuses to be rewritten, an edition may not lie in the
// future, and deleting the city deletes its editions.
func TestEditionsAreImmutable(t *testing.T) {
	pool, city, _ := fixture(t)
	ctx := context.Background()
	constraint := func(sql string, want string, args ...any) {
		t.Helper()
		_, err := pool.Exec(ctx, sql, args...)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.ConstraintName != want {
			t.Errorf("%s: got %v, want %s", sql, err, want)
		}
	}
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO data_editions (city_id, name, as_of, created_by) VALUES ($1, '2024 现状', now(), 't') RETURNING id`, city).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE data_editions SET description = 'draft' WHERE id = $1`, id); err != nil {
		t.Fatalf("an unpublished edition must accept changes: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE data_editions SET published_at = now(), published_by = 't' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	constraint(`UPDATE data_editions SET as_of = as_of - interval '1 day' WHERE id = $1`, "data_editions_published_immutable", id)
	constraint(`UPDATE data_editions SET published_at = NULL, published_by = NULL WHERE id = $1`, "data_editions_published_immutable", id)
	constraint(`DELETE FROM data_editions WHERE id = $1`, "data_editions_published_immutable", id)
	constraint(`INSERT INTO data_editions (city_id, name, as_of, created_by) VALUES ($1, 'future', now() + interval '1 hour', 't')`, "data_editions_as_of_not_future", city)
	constraint(`INSERT INTO data_editions (city_id, name, as_of, created_by) VALUES ($1, '2024-12-31', now(), 't')`, "data_editions_name_format", city)
	constraint(`DELETE FROM feature_history`, "feature_history_append_only")
	constraint(`UPDATE feature_history SET actor = 'x'`, "feature_history_append_only")
	if _, err := pool.Exec(ctx, `DELETE FROM cities WHERE id = $1`, city); err != nil {
		t.Fatalf("deleting the city: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM data_editions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d editions left after deleting the city (%v)", n, err)
	}
}
