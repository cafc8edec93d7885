package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/layers"
)

func parksResolver() LayerResolver { return LayerResolver{layers.Default().Lookup("parks")} }

func TestToSQL(t *testing.T) {
	cases := []struct {
		filter string
		sql    string
		args   []any
	}{
		{`name = '八一公园'`, `("name" = $1)`, []any{"八一公园"}},
		{`park_class IN ('garden', 'square') AND NOT pocket = TRUE`, `(("park_class" IN ($1, $2)) AND (NOT ("pocket" = $3)))`, []any{"garden", "square", true}},
		{`area_m2 BETWEEN 2000 AND 5000.5 OR name LIKE '%公园'`, `(("area_m2" BETWEEN $1 AND $2) OR ("name" LIKE $3))`, []any{2000.0, 5000.5, "%公园"}},
		{`id >= 3 and id <> 7`, `(("id" >= $1) AND ("id" <> $2))`, []any{int64(3), int64(7)}},
		{`"name" IS NOT NULL`, `("name" IS NOT NULL)`, nil},
		{`name = 'O''Brien'`, `("name" = $1)`, []any{"O'Brien"}},
		{`updated_at > TIMESTAMP('2024-01-01T00:00:00Z')`, `("updated_at" > $1::timestamptz)`, []any{"2024-01-01T00:00:00Z"}},
		{`S_INTERSECTS(geometry, POINT(109.8 40.6))`, `ST_Intersects("geom", ST_GeomFromText($1, $2::integer))`, []any{"POINT(109.8 40.6)", int32(4326)}},
		{`S_WITHIN(geom, BBOX(109, 40, 110, 41))`, `ST_Within("geom", ST_GeomFromText($1, $2::integer))`, []any{"POLYGON((109 40,110 40,110 41,109 41,109 40))", int32(4326)}},
		{`name NOT IN ('a') AND name NOT LIKE 'b%'`, `(("name" NOT IN ($1)) AND ("name" NOT LIKE $2))`, []any{"a", "b%"}},
	}
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		sql, args, err := ToSQL(e, parksResolver(), Options{})
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if sql != c.sql || !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s:\n got %s %#v\nwant %s %#v", c.filter, sql, args, c.sql, c.args)
		}
	}
}

func TestArgNumberingAndFilterCRS(t *testing.T) {
	e, _ := Parse(`S_DWITHIN(geometry, POINT(12236000 4955000), 500, meters)`)
	sql, args, err := ToSQL(e, parksResolver(), Options{FirstArg: 4, FilterSRID: 3857})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sql, "ST_Transform(ST_GeomFromText($4, $5::integer), 4326)") || !strings.Contains(sql, "ST_DWithin(\"geom\"::geography") || strings.Contains(sql, "$7") {
		t.Fatalf("%s", sql)
	}
	if !reflect.DeepEqual(args, []any{"POINT(1.2236e+07 4.955e+06)", int32(3857), 500.0}) {
		t.Fatalf("%#v", args)
	}
}

// Hostile filters: each must be refused with an error, and none may produce SQL.
func TestHostileFilters(t *testing.T) {
	bad := []string{
		``, `   `,
		`name = 'x'; DROP TABLE parks; --`,
		`name = 'x' OR 1=1`,
		`1 = 1`,
		`"name; DROP TABLE parks" = 'x'`,
		`nosuch = 1`,
		`geom_m = 'x'`,
		`name = x`,
		`name = '`,
		`"name = 1`,
		`name ~ 'x'`,
		`name = 1`,
		`id = 'abc'`,
		`id = 1.5`,
		`id = 1e400`,
		`pocket > TRUE`,
		`area_m2 LIKE '1%'`,
		`name BETWEEN 'a' AND 'b'`,
		`name IN ()`,
		`(name = 'a'`,
		`name = 'a')`,
		`name = 'a' AND`,
		`NOT`,
		`S_INTERSECTS(geometry, POINT(1))`,
		`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0.5)))`,
		`S_INTERSECTS(name, POINT(1 2))`,
		`S_DWITHIN(geometry, POINT(1 2), -5)`,
		`S_DWITHIN(geometry, POINT(1 2), 5, furlongs)`,
		`S_WITHIN(geometry, BBOX(2, 2, 1, 1))`,
		`updated_at > DATE('2024-13-45')`,
		`name = 'a' ` + strings.Repeat("AND name = 'a' ", 3000),
		strings.Repeat("(", 100) + "name = 'a'" + strings.Repeat(")", 100),
		strings.Repeat("NOT ", 100) + "name = 'a'",
		"name = '\xff'",
		`name = 'a' /* comment */`,
		`name = 'a' -- comment`,
		`name = $1`,
		`city_id = 1 UNION SELECT 1`,
	}
	for _, f := range bad {
		e, err := Parse(f)
		if err == nil {
			_, _, err = ToSQL(e, parksResolver(), Options{})
		}
		if err == nil {
			if len(f) > 80 {
				f = f[:80] + "…"
			}
			t.Errorf("accepted hostile filter %q", f)
		}
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse(`name = 'a' AND park_class ~ 'b'`)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != 26 {
		t.Fatalf("%#v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`name = 'a'`, `id IN (1,2,3)`, `S_INTERSECTS(geometry, POLYGON((0 0,1 0,1 1,0 0)))`,
		`area_m2 BETWEEN 1 AND 2 OR NOT (pocket = TRUE)`, `S_DWITHIN(geom, POINT(1 2), 10, meters)`,
		`name LIKE '%''%'`, `valid_from > DATE('2020-01-01')`, `MULTIPOLYGON(((0 0,1 0,1 1,0 0)))`,
	} {
		f.Add(s)
	}
	r := parksResolver()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		sql, args, err := ToSQL(e, r, Options{})
		if err != nil {
			return
		}
		// Every value is bound: the SQL holds no quote character and no literal digits other
		// than placeholder numbers and the fixed constants of S_DWITHIN's box expansion.
		if strings.ContainsAny(sql, "'`;") {
			t.Fatalf("value spliced into SQL: %s", sql)
		}
		if strings.Count(sql, "$") < len(args) {
			t.Fatalf("%d args, SQL %s", len(args), sql)
		}
	})
}
