package tiles

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/testdb"
)

// denseParcels fills residential_land with a 120 × 100 grid of 58 × 57 m parcels
// (12,000) starting at the south-west corner of tile 14/13190/6163, as dense as a
// built-up district: the z14 tile holds about 1,000 of them.
const denseParcels = `
INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('bench', 'Bench', '150200', 4546);
SET cityreach.bulk_load = 'on';
INSERT INTO residential_land (city_id, population, households, geom)
SELECT 1, 120, 40, ST_SetSRID(ST_Multi(ST_MakeEnvelope(x0, y0, x0 + 0.00068, y0 + 0.00051)), 4326)
FROM (SELECT 109.8193359375 + i * 0.0008 AS x0, 40.64730356252251 + j * 0.0006 AS y0
      FROM generate_series(0, 119) i, generate_series(0, 99) j) c;
ANALYZE residential_land;`

func benchService(b *testing.B, o Options) *Service {
	db := testdb.New(b)
	requireTilesMigration(b, db)
	if _, err := db.Pool.Exec(context.Background(), denseParcels); err != nil {
		b.Fatal(err)
	}
	// The z0–12 blocks, as an import leaves them: the z12 case measures drawing them.
	if _, err := db.Pool.Exec(context.Background(), "SELECT cityreach_tile_blocks_refresh_all()"); err != nil {
		b.Fatal(err)
	}
	svc := New(db.Pool, layers.Default(), o)
	if err := svc.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.Close)
	return svc
}

// BenchmarkRenderDenseTile measures the database render alone (no cache, no HTTP).
func BenchmarkRenderDenseTile(b *testing.B) {
	svc := benchService(b, Options{})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		t    Tile
	}{
		{"z12", Tile{12, tx >> 2, ty >> 2}},
		{"z14", Tile{14, tx, ty}},
		{"z16", Tile{16, tx<<2 + 1, ty<<2 + 2}},
		// as_of of a date to come reads every current parcel through cityreach_as_of,
		// without the blocks or the stored grid.
		{"z12_as_of", Tile{12, tx >> 2, ty >> 2}},
		{"z14_as_of", Tile{14, tx, ty}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := TileRequest{Sources: []string{"residential_land"}, Tile: c.t, Limit: DefaultLimit}
			if strings.HasSuffix(c.name, "_as_of") {
				r.Params = map[string]string{AsOfParam: time.Now().AddDate(0, 0, 2).Format(time.DateOnly)}
			}
			var n int
			for b.Loop() {
				raw, err := svc.Render(ctx, r)
				if err != nil {
					b.Fatal(err)
				}
				n = len(raw)
			}
			b.ReportMetric(float64(n), "bytes/tile")
		})
	}
}

// BenchmarkCachedTile measures a cache hit through the HTTP handler, with the default
// strict consistency (one shared barrier on the LISTEN connection per batch of hits)
// and eventual.
func BenchmarkCachedTile(b *testing.B) {
	for _, mode := range []struct {
		name     string
		eventual bool
	}{{"strict", false}, {"eventual", true}} {
		b.Run(mode.name, func(b *testing.B) {
			svc := benchService(b, Options{CacheBytes: 64 << 20, Eventual: mode.eventual})
			h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: svc.log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Handler{Tiles: svc}))
			for deadline := time.Now().Add(10 * time.Second); !svc.listen.live.Load(); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					b.Fatal("the listener did not connect")
				}
			}
			path := tilePath("residential_land", tz, tx, ty)
			get := func() int {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec.Code
			}
			get()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if get() != 200 {
						b.Error("not 200")
					}
				}
			})
		})
	}
}
