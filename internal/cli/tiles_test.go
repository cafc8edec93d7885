package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// TestTilesStore: `cityreach tiles store --min 100` stores the one z14 tile holding 300
// parcels (tile 14/13190/6163, worked out from its envelope: lon 109.8193–109.8413, lat
// 40.6473–40.6640) and not its neighbours; a second run finds it current; bad arguments
// are refused.
func TestTilesStore(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `WITH c AS (INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头', '150200', 4546) RETURNING id)
		INSERT INTO residential_land (city_id, population, households, geom)
		SELECT c.id, 10, 4, ST_Multi(ST_MakeEnvelope(lon, lat, lon + 0.0002, lat + 0.0002, 4326))
		FROM c, generate_series(0, 19) i, generate_series(0, 14) j,
		     LATERAL (SELECT 109.822 + i * 0.0009 AS lon, 40.650 + j * 0.0009 AS lat) p`); err != nil {
		t.Fatal(err)
	}
	run := runner(db.URL)
	if code, out, errOut := run("tiles", "store", "--min", "100"); code != 0 || !strings.Contains(out, "tile store: 1 tiles drawn, 0 current") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var layer string
	var z, x, y int
	if err := db.Pool.QueryRow(ctx, `SELECT layer, z, x, y FROM tile_store WHERE gz IS NOT NULL`).Scan(&layer, &z, &x, &y); err != nil {
		t.Fatal(err)
	}
	if layer != "residential_land" || z != 14 || x != 13190 || y != 6163 {
		t.Fatalf("stored %s %d/%d/%d, want residential_land 14/13190/6163", layer, z, x, y)
	}
	if code, out, errOut := run("tiles", "store", "--min", "100"); code != 0 || !strings.Contains(out, "0 tiles drawn, 1 current") {
		t.Fatalf("second run: exit %d: %s %s", code, out, errOut)
	}
	for _, args := range [][]string{{"tiles"}, {"tiles", "draw"}, {"tiles", "store", "--min", "0"}} {
		if code, _, _ := run(args...); code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
	}
}
