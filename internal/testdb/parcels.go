package testdb

import (
	"context"
	"testing"
)

// BenchBBox is a bbox (EPSG:4326) that holds exactly 1,000 of the parcels of ParcelGrid.
const BenchBBox = "109.7995,40.5995,109.8195,40.66"

// ParcelGrid bulk-loads the list benchmarks' data set into city: a 100 × 50 grid of
// residential parcels of 0.0008° with 0.0002° gaps, starting at 109.80°E 40.60°N. Columns
// 0–19 lie inside BenchBBox and column 20 starts east of it, so the bbox holds exactly
// 20 × 50 = 1,000 parcels. The layers API and OGC API benchmarks share it, so their numbers
// compare.
func (db *DB) ParcelGrid(tb testing.TB, city int64) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.bulk_load', 'on', true)`); err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO residential_land (city_id, population, households, synthetic, data_source, geom)
		SELECT $1, 100 + i, 40 + j, true, 'bench',
		       ST_Multi(ST_MakeEnvelope(109.8 + i * 0.001, 40.6 + j * 0.001, 109.8 + i * 0.001 + 0.0008, 40.6 + j * 0.001 + 0.0008, 4326))
		FROM generate_series(0, 99) i, generate_series(0, 49) j`, city); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `ANALYZE residential_land`); err != nil {
		tb.Fatal(err)
	}
}
