package migrations_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityreach/cityreach/internal/testdb"
)

// fixture makes a city with the CGCS2000 GK zone of Baotou (EPSG:4546) and the parents
// the child tables need, and returns their ids.
type fixture struct{ city, district, subdistrict, park int64 }

func setup(t *testing.T, ctx context.Context, tx pgx.Tx) fixture {
	t.Helper()
	var f fixture
	must := func(sql string, dst *int64, args ...any) {
		t.Helper()
		if err := tx.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	must(`INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`, &f.city)
	must(`INSERT INTO districts (city_id, adcode, name, geom) VALUES ($1, '150203', '昆都仑区', ST_Multi(ST_MakeEnvelope(109.8, 40.6, 109.9, 40.7, 4326))) RETURNING id`, &f.district, f.city)
	must(`INSERT INTO subdistricts (city_id, district_id, code, name, geom) VALUES ($1, $2, '150203001', '沼潭街道', ST_Multi(ST_MakeEnvelope(109.8, 40.6, 109.85, 40.65, 4326))) RETURNING id`, &f.subdistrict, f.city, f.district)
	must(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '八一公园', 'comprehensive', ST_Multi(ST_MakeEnvelope(109.82, 40.62, 109.83, 40.63, 4326))) RETURNING id`, &f.park, f.city)
	return f
}

// row is one insert into a feature table: the column list and a builder of values from
// the fixture and a geometry given as EWKT.
type row struct {
	table  string
	cols   string
	values func(f fixture, ewkt any) []any
	// invalidConstraint refuses the invalid geometry; "" means <table>_geom_valid.
	invalidConstraint string
	good              string // a valid geometry of the right type
	wrong             string // a valid geometry of the wrong type
	invalid           string // an invalid geometry of the right type
	// bad attribute: one column value replaced, and the constraint that must refuse it
	badCol        int
	badVal        any
	badConstraint string
}

const (
	poly       = "SRID=4326;MULTIPOLYGON(((109.81 40.61,109.82 40.61,109.82 40.62,109.81 40.62,109.81 40.61)))"
	bowtie     = "SRID=4326;MULTIPOLYGON(((109.81 40.61,109.82 40.62,109.82 40.61,109.81 40.62,109.81 40.61)))"
	point      = "SRID=4326;POINT(109.815 40.615)"
	line       = "SRID=4326;LINESTRING(109.81 40.61,109.82 40.61)"
	degenerate = "SRID=4326;LINESTRING(109.81 40.61,109.81 40.61)"
)

func rows() []row {
	polyRow := func(table, cols string, vals func(fixture) []any, badCol int, badVal any, badConstraint string) row {
		return row{table: table, cols: cols, values: func(f fixture, g any) []any { return append(vals(f), g) },
			good: poly, wrong: point, invalid: bowtie, badCol: badCol, badVal: badVal, badConstraint: badConstraint}
	}
	return []row{
		polyRow("districts", "city_id, adcode, name", func(f fixture) []any { return []any{f.city, "150204", "青山区"} }, 1, "15020", "districts_adcode_format"),
		polyRow("subdistricts", "city_id, district_id, code, name", func(f fixture) []any { return []any{f.city, f.district, "150203002", "昆北街道"} }, 3, " ", "subdistricts_name_required"),
		polyRow("communities", "city_id, subdistrict_id, code, name, population, households", func(f fixture) []any {
			return []any{f.city, f.subdistrict, "150203001001", "阿尔丁社区", 8000, 3000}
		}, 5, -1, "communities_households_nonnegative"),
		polyRow("parks", "city_id, name, park_class", func(f fixture) []any { return []any{f.city, "劳动公园", "community"} }, 2, "forest", "parks_class_known"),
		polyRow("eco_corridors", "city_id, name, design_width_m", func(f fixture) []any { return []any{f.city, "昆都仑河廊道", 150.0} }, 2, 0.0, "eco_corridors_design_width_positive"),
		polyRow("eco_redlines", "city_id, name", func(f fixture) []any { return []any{f.city, "大青山红线"} }, 1, "", "eco_redlines_name_required"),
		polyRow("basic_farmland", "city_id, name", func(f fixture) []any { return []any{f.city, "九原区农田"} }, 1, "\t", "basic_farmland_name_required"),
		polyRow("growth_boundaries", "city_id, edition, valid_from, valid_to", func(f fixture) []any {
			return []any{f.city, "2021版", "2021-06-01", nil}
		}, 3, "2020-01-01", "growth_boundaries_validity_ordered"),
		polyRow("residential_land", "city_id, landuse_code, population, households", func(f fixture) []any {
			return []any{f.city, "0701", 1200, 400}
		}, 1, "0801", "residential_land_landuse_code_residential"),
		{table: "park_entrances", cols: "city_id, park_id, name", values: func(f fixture, g any) []any { return []any{f.city, f.park, "北门", g} }, invalidConstraint: "park_entrances_geom_in_range",
			good: point, wrong: poly, invalid: "SRID=4326;POINT(109.8 NaN)", badCol: 1, badVal: int64(987654), badConstraint: "park_entrances_park_id_fkey"},
		{table: "facilities", cols: "city_id, category, name, floor_area_m2", values: func(f fixture, g any) []any { return []any{f.city, "clinic", "卫生服务站", 150.0, g} }, invalidConstraint: "facilities_geom_in_range",
			good: point, wrong: line, invalid: "SRID=4326;POINT(NaN 40.6)", badCol: 3, badVal: -5.0, badConstraint: "facilities_floor_area_nonnegative"},
		{table: "network_edges", cols: "city_id, highway, walkable", values: func(f fixture, g any) []any { return []any{f.city, "footway", true, g} },
			good: line, wrong: point, invalid: degenerate, badCol: 1, badVal: "Footway; DROP TABLE parks", badConstraint: "network_edges_highway_format"},
	}
}

func insertSQL(r row) string {
	n := strings.Count(r.cols, ",") + 2
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "$" + string(rune('0'+i+1))
	}
	ph[n-1] = "$" + string(rune('0'+n)) + "::geometry"
	return "INSERT INTO " + r.table + " (" + r.cols + ", geom) VALUES (" + strings.Join(ph, ", ") + ") RETURNING id"
}

// expectRefusal runs fn in a savepoint and checks that PostgreSQL refused it; when
// constraint is non-empty the error must name it, else the message must contain msg.
func expectRefusal(t *testing.T, ctx context.Context, tx pgx.Tx, what, constraint, msg string, fn func(pgx.Tx) error) {
	t.Helper()
	sp, err := tx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Rollback(ctx) //nolint:errcheck
	err = fn(sp)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Errorf("%s: accepted (err=%v)", what, err)
		return
	}
	if constraint != "" && pgErr.ConstraintName != constraint {
		t.Errorf("%s: refused by %q (%s), want constraint %q", what, pgErr.ConstraintName, pgErr.Message, constraint)
	}
	if msg != "" && !strings.Contains(pgErr.Message, msg) {
		t.Errorf("%s: message %q does not say %q", what, pgErr.Message, msg)
	}
}

func TestEveryTableTakesValidAndRefusesBad(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	f := setup(t, ctx, tx)
	for _, r := range rows() {
		t.Run(r.table, func(t *testing.T) {
			sql := insertSQL(r)
			var id int64
			if err := tx.QueryRow(ctx, sql, r.values(f, r.good)...).Scan(&id); err != nil {
				t.Fatalf("valid feature refused: %v", err)
			}
			// The metric twin is the geometry in EPSG:4546 and the version starts at 1.
			var srid, version int
			var same bool
			if err := tx.QueryRow(ctx, "SELECT ST_SRID(geom_m), version, ST_Equals(geom_m, ST_Transform(geom, 4546)) FROM "+r.table+" WHERE id = $1", id).Scan(&srid, &version, &same); err != nil {
				t.Fatal(err)
			}
			if srid != 4546 || version != 1 || !same {
				t.Errorf("metric geometry srid %d version %d equal %v", srid, version, same)
			}
			invalidBy := r.invalidConstraint
			if invalidBy == "" {
				invalidBy = r.table + "_geom_valid"
			}
			expectRefusal(t, ctx, tx, "invalid geometry", invalidBy, "", func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql, r.values(f, r.invalid)...)
				return err
			})
			expectRefusal(t, ctx, tx, "wrong geometry type", "", "does not match column type", func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql, r.values(f, r.wrong)...)
				return err
			})
			expectRefusal(t, ctx, tx, "wrong SRID", "", "does not match column SRID", func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql, r.values(f, strings.Replace(r.good, "SRID=4326", "SRID=3857", 1))...)
				return err
			})
			expectRefusal(t, ctx, tx, "out-of-range coordinates", r.table+"_geom_in_range", "", func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql, r.values(f, strings.ReplaceAll(r.good, "109.8", "209.8"))...)
				return err
			})
			expectRefusal(t, ctx, tx, "empty geometry", r.table+"_geom_not_empty", "", func(tx pgx.Tx) error {
				empty := "SRID=4326;" + strings.ToUpper(strings.SplitN(strings.TrimPrefix(r.good, "SRID=4326;"), "(", 2)[0]) + " EMPTY"
				_, err := tx.Exec(ctx, sql, r.values(f, empty)...)
				return err
			})
			expectRefusal(t, ctx, tx, "missing geometry", "", "null value in column \"geom\"", func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql, r.values(f, nil)...)
				return err
			})
			expectRefusal(t, ctx, tx, "bad attribute", r.badConstraint, "", func(tx pgx.Tx) error {
				v := r.values(f, r.good)
				v[r.badCol] = r.badVal
				_, err := tx.Exec(ctx, sql, v...)
				return err
			})
			expectRefusal(t, ctx, tx, "unknown city", "", "", func(tx pgx.Tx) error {
				v := r.values(f, r.good)
				v[0] = int64(999)
				_, err := tx.Exec(ctx, sql, v...)
				return err
			})
		})
	}
}

func TestNothingPartialIsWritten(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	var city int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	// One statement inserting three parks, the second of them invalid: none may land.
	_, err := db.Pool.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, geom) VALUES
		($1, 'a', 'garden', $2::geometry), ($1, 'b', 'garden', $3::geometry), ($1, 'c', 'garden', $2::geometry)`, city, poly, bowtie)
	if err == nil {
		t.Fatal("statement with an invalid park succeeded")
	}
	var n, h int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM parks), (SELECT count(*) FROM feature_history)`).Scan(&n, &h); err != nil {
		t.Fatal(err)
	}
	if n != 0 || h != 0 {
		t.Fatalf("after the refused statement: %d parks, %d history rows; want 0, 0", n, h)
	}
}

func TestHistoryKeepsUpdatesAndDeletes(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	var city, id int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	edit := func(actor, sql string, args ...any) {
		t.Helper()
		err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.actor', $1, true)`, actor); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, sql, args...)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO communities (city_id, code, name, population, households, geom)
		VALUES ($1, '150203001001', '阿尔丁社区', 8000, 3000, $2::geometry) RETURNING id`, city, poly).Scan(&id); err != nil {
		t.Fatal(err)
	}
	edit("alice", `UPDATE communities SET population = 8500, name = '阿尔丁北社区' WHERE id = $1`, id)
	edit("bob", `DELETE FROM communities WHERE id = $1`, id)

	rows, err := db.Pool.Query(ctx, `SELECT version, op, actor, old_row->>'population', old_row->>'name',
		new_row->>'population', old_row->'geom'->>'type'
		FROM feature_history WHERE layer = 'communities' AND feature_id = $1 ORDER BY version`, id)
	if err != nil {
		t.Fatal(err)
	}
	type h struct {
		version                      int
		op, actor                    string
		oldPop, oldName, newPop, typ *string
	}
	var got []h
	for rows.Next() {
		var r h
		if err := rows.Scan(&r.version, &r.op, &r.actor, &r.oldPop, &r.oldName, &r.newPop, &r.typ); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("history rows = %d, want 3 (insert, update, delete)", len(got))
	}
	s := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	if got[0].op != "insert" || got[0].version != 1 {
		t.Errorf("row 1 = %+v", got[0])
	}
	if got[1].op != "update" || got[1].version != 2 || got[1].actor != "alice" || s(got[1].oldPop) != "8000" || s(got[1].oldName) != "阿尔丁社区" || s(got[1].newPop) != "8500" {
		t.Errorf("update row: op %s v%d actor %s old pop %s name %s new pop %s", got[1].op, got[1].version, got[1].actor, s(got[1].oldPop), s(got[1].oldName), s(got[1].newPop))
	}
	if got[2].op != "delete" || got[2].actor != "bob" || s(got[2].oldPop) != "8500" || s(got[2].oldName) != "阿尔丁北社区" || s(got[2].typ) != "MultiPolygon" || got[2].newPop != nil {
		t.Errorf("delete row: op %s actor %s old pop %s name %s geom %s", got[2].op, got[2].actor, s(got[2].oldPop), s(got[2].oldName), s(got[2].typ))
	}
}
