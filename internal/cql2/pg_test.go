package cql2

import (
	"context"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// TestFiltersOnPostGIS runs translated filters and compares their counts with SQL written by
// hand for the same question.
func TestFiltersOnPostGIS(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, `
		INSERT INTO cities (id, slug, name, adcode, metric_srid) VALUES (1, 'baotou', '包头市', '150200', 4546);
		INSERT INTO parks (city_id, name, park_class, pocket, geom)
		SELECT 1, 'park ' || i, (ARRAY['comprehensive','community','garden','square'])[1 + i % 4], i % 4 = 2 AND i % 3 = 0,
		       ST_Multi(ST_MakeEnvelope(109.80 + i * 0.001, 40.60, 109.8005 + i * 0.001, 40.6005, 4326))
		FROM generate_series(1, 60) i;
		UPDATE parks SET name = 'O''Hare 公园' WHERE id = 5;`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ filter, sql string }{
		{`park_class = 'garden'`, `park_class = 'garden'`},
		{`park_class IN ('garden','square') AND NOT pocket = TRUE`, `park_class IN ('garden','square') AND NOT pocket`},
		{`name LIKE '%公园'`, `name LIKE '%公园'`},
		{`name = 'O''Hare 公园'`, `id = 5`},
		{`id BETWEEN 10 AND 19`, `id >= 10 AND id <= 19`},
		{`area_m2 > 1000`, `area_m2 > 1000`},
		{`S_INTERSECTS(geometry, BBOX(109.8095, 40.5, 109.8205, 40.7))`, `ST_Intersects(geom, ST_MakeEnvelope(109.8095, 40.5, 109.8205, 40.7, 4326))`},
		{`S_DWITHIN(geometry, POINT(109.81 40.6), 500)`, `ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(109.81, 40.6), 4326)::geography, 500)`},
		{`S_DWITHIN(geometry, POINT(12223336 4954000), 2000, meters)`, `ST_DWithin(geom::geography, ST_Transform(ST_SetSRID(ST_MakePoint(12223336, 4954000), 3857), 4326)::geography, 2000)`},
	}
	r := parksResolver()
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		srid := 4326
		if c.filter[len(c.filter)-7:] == "meters)" {
			srid = 3857
		}
		where, args, err := ToSQL(e, r, Options{FilterSRID: srid})
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		var got, want int
		if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM parks WHERE "+where, args...).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM parks WHERE "+c.sql).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got != want || want == 0 {
			t.Errorf("%s: %d features, the hand-written SQL finds %d", c.filter, got, want)
		}
	}
}
