package ogcapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// seedParcels bulk-loads the same 100 × 50 grid of parcels as featureapi's list
// benchmark (5,000 parcels of 0.0008° from 109.80°E 40.60°N); benchBBox holds exactly
// columns 0–19, 1,000 parcels.
func seedParcels(tb testing.TB, e *env) {
	tb.Helper()
	ctx := context.Background()
	tx, err := e.db.Pool.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.bulk_load', 'on', true)`); err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO residential_land (city_id, population, households, synthetic, data_source, geom)
		SELECT $1, 100 + i, 40 + j, true, 'bench',
		       ST_Multi(ST_MakeEnvelope(109.8 + i * 0.001, 40.6 + j * 0.001, 109.8 + i * 0.001 + 0.0008, 40.6 + j * 0.001 + 0.0008, 4326))
		FROM generate_series(0, 99) i, generate_series(0, 49) j`, e.city); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(ctx, `ANALYZE residential_land`); err != nil {
		tb.Fatal(err)
	}
}

const benchURL = "/ogc/collections/residential_land/items?bbox=109.7995,40.5995,109.8195,40.66&limit=1000"

func TestItemsBBoxHoldsThousand(t *testing.T) {
	e := newEnv(t)
	seedParcels(t, e)
	fc := e.get(benchURL).json(t)
	if fc["numberMatched"] != json.Number("1000") || len(fc["features"].([]any)) != 1000 {
		t.Fatalf("matched %v, returned %d", fc["numberMatched"], len(fc["features"].([]any)))
	}
}

func BenchmarkItemsBBox1000(b *testing.B) {
	e := newEnv(b)
	seedParcels(b, e)
	req := httptest.NewRequest("GET", benchURL, nil)
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/response")
}
