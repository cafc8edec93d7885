package tiles

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"strconv"
	"testing"
)

// TestBlocksOfParcelsWhoseMergeSelfIntersects: the 22 parcels of
// testdata/blocks-self-intersection.csv (population, households, EWKB in EPSG:4326; cut from
// the generated demo city at scale 10, around the z14 cell 13183/6159) close, under the
// merge of migration 0011 (buffer out by merge_m, union, buffer back), into a polygon that is
// not valid (a self-intersection at one mitred corner), and PostGIS refused to cut it at the
// cell: `cityreach seed baotou --scale 10` failed on its last step. The blocks must now be
// drawn, be valid, and hold what the parcels hold: the population sum read from the file, and
// an area between the parcels' own union (the merge is a closing: it never loses land;
// less 1 % for the simplification) and the union of the parcels grown by merge_m.
func TestBlocksOfParcelsWhoseMergeSelfIntersects(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	ctx := context.Background()
	city := f.cityID(t)
	data, err := os.ReadFile("testdata/blocks-self-intersection.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	population := 0
	for _, r := range recs {
		pop, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatal(err)
		}
		population += pop
		if _, err := f.db.Pool.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom)
			VALUES ($1, $2, $3, ST_GeomFromEWKB(decode($4, 'hex')))`, city, pop, r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	if len(recs) != 22 {
		t.Fatalf("%d parcels in the file, want 22", len(recs))
	}
	// The premise: the merged outline of these parcels is invalid.
	var premise bool
	if err := f.db.Pool.QueryRow(ctx, `SELECT ST_IsValid(ST_Buffer(ST_Union(ST_Buffer(geom_3857, s.merge_m, 'join=mitre mitre_limit=2')),
			-s.merge_m, 'join=mitre mitre_limit=2'))
		FROM residential_land, tile_block_specs s WHERE s.layer = 'residential_land' AND city_id = $1 GROUP BY s.merge_m`, city).Scan(&premise); err != nil {
		t.Fatal(err)
	}
	if premise {
		t.Fatal("the fixture's merged outline is valid: it no longer tests the case")
	}
	if _, err := f.db.Pool.Exec(ctx, `SELECT cityreach_tile_blocks_refresh_all()`); err != nil {
		t.Fatalf("refreshing the blocks: %v", err)
	}
	var blocks, invalid int
	var pop, area, parcels, grown float64
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT ST_IsValid(geom_3857)),
			coalesce(sum((sums->>'population')::float8), 0), coalesce(sum(ST_Area(geom_3857)), 0)
		FROM tile_blocks WHERE layer = 'residential_land' AND city_id = $1`, city).Scan(&blocks, &invalid, &pop, &area); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Pool.QueryRow(ctx, `SELECT ST_Area(ST_Union(geom_3857)), ST_Area(ST_Union(ST_Buffer(geom_3857, s.merge_m)))
		FROM residential_land, tile_block_specs s WHERE s.layer = 'residential_land' AND city_id = $1 GROUP BY s.merge_m`, city).Scan(&parcels, &grown); err != nil {
		t.Fatal(err)
	}
	if blocks == 0 || invalid != 0 {
		t.Fatalf("%d blocks, %d of them invalid", blocks, invalid)
	}
	if pop != float64(population) {
		t.Fatalf("blocks hold population %g, the file %d", pop, population)
	}
	if area < 0.99*parcels || area > grown {
		t.Fatalf("blocks cover %.1f m²; want between the parcels' %.1f m² (less 1 %%) and their grown union's %.1f m²", area, parcels, grown)
	}
}
