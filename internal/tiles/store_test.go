package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/gzip"

	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// storeTiles are the four z14 tiles the store tests fill with parcels; storeFar is a
// tile of the same zoom far from them.
var storeTiles = []Tile{{14, tx, ty}, {14, tx + 1, ty}, {14, tx, ty + 1}, {14, tx + 1, ty + 1}}

// storeFixture: a database with 800 random parcels in storeTiles (as in
// TestZ14GridMatchesAsMVTGeom), a service with the tile store on from 50 features, and
// the store filled.
func storeFixture(t *testing.T, cacheBytes int64) (*fixture, int) {
	t.Helper()
	f := newFixture(t, Options{CacheBytes: cacheBytes, StoreMin: 50, NoBackgroundFill: true})
	if f.svc.postgis == "" {
		t.Fatal("migration 0026 (tile_store) is not applied")
	}
	city := f.cityID(t)
	insertParcels(context.Background(), t, f, city, 800, 109.8193, 40.6306, 0.044, 0.0334)
	rep, err := f.svc.Fill(context.Background(), 50, false)
	if err != nil {
		t.Fatal(err)
	}
	// Which tiles hold 50 parcel centres, by PostGIS: all four, each about 200.
	var dense int
	if err := f.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT 1 FROM residential_land r
		JOIN unnest($1::int[], $2::int[]) k(x, y) ON ST_Intersects(ST_SetSRID(ST_Centroid(Box2D(r.geom_3857)), 3857), ST_TileEnvelope(14, k.x, k.y))
		GROUP BY k.x, k.y HAVING count(*) >= 50) d`, []int{tx, tx + 1, tx, tx + 1}, []int{ty, ty, ty + 1, ty + 1}).Scan(&dense); err != nil {
		t.Fatal(err)
	}
	if dense != 4 || rep.Stored != 4 || rep.Kept != 0 {
		t.Fatalf("fill: %+v; tiles with ≥ 50 parcel centres by PostGIS: %d, want 4 stored", rep, dense)
	}
	return f, city
}

// insertParcels adds n jittered hexagons of 5–60 m with random centres in the box, some
// thinner than a z14 tile unit, in one statement.
func insertParcels(ctx context.Context, t *testing.T, f *fixture, city, n int, lon, lat, dlon, dlat float64) {
	t.Helper()
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom)
		SELECT $1, 4 + (random() * 500)::int, 4, ST_Multi(ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l)))) FROM (
		    SELECT ST_MakeLine(ARRAY(SELECT ST_MakePoint(cx + r * cos(k * pi() / 3) * (0.8 + 0.4 * random()) / 0.76,
		                                                 cy + r * sin(k * pi() / 3) * flat * (0.8 + 0.4 * random()))
		                             FROM generate_series(0, 5) k ORDER BY k)) AS l
		    FROM (SELECT g, $3 + random() * $5 AS cx, $4 + random() * $6 AS cy,
		                 (5 + random() * 55) / 111320.0 AS r, CASE WHEN g % 10 = 0 THEN 0.02 ELSE 1 END AS flat
		          FROM generate_series(1, $2) g) p) h`, city, n, lon, lat, dlon, dlat); err != nil {
		t.Fatal(err)
	}
}

// storedRow is the tile's row in tile_store: present, and holding bytes (not emptied).
func storedRow(t *testing.T, q DB, tl Tile) (present, full bool) {
	t.Helper()
	err := q.QueryRow(context.Background(), `SELECT true, gz IS NOT NULL FROM tile_store WHERE layer = 'residential_land' AND z = $1 AND x = $2 AND y = $3`,
		tl.Z, tl.X, tl.Y).Scan(&present, &full)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return present, full
}

// oracleParcels is tile tl of residential_land drawn by PostGIS alone: ST_AsMVTGeom with
// clipping, every parcel whose geom_3857 meets the buffered envelope, and population.
func oracleParcels(t *testing.T, q DB, tl Tile) []byte {
	t.Helper()
	var b []byte
	if err := q.QueryRow(context.Background(), `SELECT coalesce(ST_AsMVT(q, 'residential_land', 4096, 'geom', 'id'), '') FROM (
		SELECT id, population, ST_AsMVTGeom(geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 256, true) AS geom
		FROM residential_land WHERE geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096)) q WHERE geom IS NOT NULL`,
		tl.Z, tl.X, tl.Y).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// servedEqualsPostGIS fetches tile tl over HTTP (gzip) and checks it against
// oracleParcels: the same parcels (by id), rings and populations.
func servedEqualsPostGIS(t *testing.T, f *fixture, tl Tile, step string) []byte {
	t.Helper()
	rec := f.get(t, tilePath("residential_land", tl.Z, tl.X, tl.Y), "Accept-Encoding", "gzip")
	if rec.Code != 200 {
		t.Fatalf("%s: %s: status %d %s", step, tl, rec.Code, rec.Body.String())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if want := etag(served); rec.Header().Get("ETag") != want {
		t.Fatalf("%s: %s: ETag %s, the bytes' own %s", step, tl, rec.Header().Get("ETag"), want)
	}
	oracle := oracleParcels(t, f.db.Pool, tl)
	got, want := byID(t, served), byID(t, oracle)
	if len(got) != len(want) {
		t.Fatalf("%s: %s: served %d parcels, PostGIS %d", step, tl, len(got), len(want))
	}
	for id, w := range want {
		if g, ok := got[id]; !ok || !slices.EqualFunc(g, w, slices.Equal) {
			t.Fatalf("%s: %s parcel %d: served rings %v, ST_AsMVTGeom %v", step, tl, id, g, w)
		}
	}
	gp, wp := populations(t, served), populations(t, oracle)
	for id, w := range wp {
		if gp[id] != w {
			t.Fatalf("%s: %s parcel %d: served population %v, PostGIS %v", step, tl, id, gp[id], w)
		}
	}
	return served
}

func populations(t *testing.T, tile []byte) map[uint64]string {
	t.Helper()
	ls, err := mvtread.Decode(tile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]string{}
	for _, l := range ls {
		for _, ft := range l.Features {
			out[ft.ID] = fmt.Sprint(ft.Props["population"])
		}
	}
	return out
}

// renderPlanned runs the live statement of r on one connection under plan_cache_mode
// (force_generic_plan: the plan the server's prepared statement settles on after five
// executions; force_custom_plan: its first five).
func renderPlanned(t *testing.T, f *fixture, r TileRequest, mode string) []byte {
	t.Helper()
	ctx := context.Background()
	sql, args, err := f.svc.tileSQL(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	err = pgx.BeginFunc(ctx, f.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('plan_cache_mode', $1, true)", mode); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sql, args...).Scan(&b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoredTileIsTheLiveTile: a stored tile is served from the store, and its bytes
// are those of a live render of the same request under the server's steady (generic)
// plan, byte for byte; requests with parameters are not answered from the store.
func TestStoredTileIsTheLiveTile(t *testing.T) {
	f, _ := storeFixture(t, 0)
	ctx := context.Background()
	for _, tl := range storeTiles {
		r := TileRequest{Sources: []string{"residential_land"}, Tile: tl, Limit: DefaultLimit}
		st, err := f.svc.render(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if !st.stored {
			t.Fatalf("%s: not answered from the store", tl)
		}
		live := renderPlanned(t, f, r, "force_generic_plan")
		zr, err := gzip.NewReader(bytes.NewReader(st.gz))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, live) || st.rawLen != len(live) || st.etag != etag(live) || len(live) < 1000 {
			t.Fatalf("%s: stored %d bytes (etag %s), live %d (etag %s)", tl, len(raw), st.etag, len(live), etag(live))
		}
		served := servedEqualsPostGIS(t, f, tl, "stored")
		if !bytes.Equal(served, live) {
			t.Fatalf("%s: served bytes differ from the live render", tl)
		}
		// A custom plan may scan the rows in another order: the same features.
		custom := renderPlanned(t, f, r, "force_custom_plan")
		if g, w := byID(t, custom), byID(t, live); len(g) != len(w) || !maps.EqualFunc(g, w, func(a, b [][][2]int64) bool { return slices.EqualFunc(a, b, slices.Equal) }) {
			t.Fatalf("%s: the custom plan draws other features", tl)
		}
		for _, p := range []TileRequest{
			{Sources: r.Sources, Tile: tl, Limit: 10},
			{Sources: r.Sources, Tile: tl, Limit: DefaultLimit, Properties: []string{"population"}},
			{Sources: r.Sources, Tile: tl, Limit: DefaultLimit, City: "baotou"},
			{Sources: []string{"residential_land", "parks"}, Tile: tl, Limit: DefaultLimit},
		} {
			if got, err := f.svc.render(ctx, p); err != nil || got.stored {
				t.Fatalf("%s %+v: answered from the store (err %v)", tl, p, err)
			}
		}
	}
}

// TestStoreFollowsEveryEdit: after each kind of edit (insert, attribute update, a move
// across a tile border, a delete, a parcel in a tile's buffer only, a bulk insert, an
// edit in a REPEATABLE READ transaction, a rolled-back edit, a truncate) every served
// tile equals a fresh ST_AsMVTGeom/ST_AsMVT render of the database, the tiles the edit
// touched are no longer served from the store and the others still are; a fill brings
// them back. With the in-process cache on and off.
func TestStoreFollowsEveryEdit(t *testing.T) {
	for _, cacheBytes := range []int64{0, 16 << 20} {
		t.Run(fmt.Sprintf("cache=%d", cacheBytes), func(t *testing.T) {
			f, city := storeFixture(t, cacheBytes)
			ctx := context.Background()
			pool := f.db.Pool
			// A parcel well inside the north-west tile (tx, ty): its centre is 0.01° from
			// every edge, far more than the buffer (0.00137°).
			one := func(lon, lat float64) string {
				return fmt.Sprintf("ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(%f, %f), 4326), 0.0002, 2))", lon, lat)
			}
			var id int64
			nw, ne, se := storeTiles[0], storeTiles[1], storeTiles[3]
			steps := []struct {
				name    string
				edit    func(t *testing.T)
				touched []Tile
			}{
				{"insert", func(t *testing.T) {
					if err := pool.QueryRow(ctx, `INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 7, 3, `+one(109.83, 40.655)+`) RETURNING id`, city).Scan(&id); err != nil {
						t.Fatal(err)
					}
				}, []Tile{nw}},
				{"attribute update", func(t *testing.T) {
					if _, err := pool.Exec(ctx, `UPDATE residential_land SET population = 4242 WHERE id = $1`, id); err != nil {
						t.Fatal(err)
					}
				}, []Tile{nw}},
				{"move across a tile border", func(t *testing.T) {
					if _, err := pool.Exec(ctx, `UPDATE residential_land SET geom = `+one(109.852, 40.655)+` WHERE id = $1`, id); err != nil {
						t.Fatal(err)
					}
				}, []Tile{nw, ne}},
				{"delete", func(t *testing.T) {
					if _, err := pool.Exec(ctx, `DELETE FROM residential_land WHERE id = $1`, id); err != nil {
						t.Fatal(err)
					}
				}, []Tile{ne}},
				// East of the west tiles' edge (lon 109.84130859375) by 0.0005°, inside
				// their buffer: it is drawn in the west tile too.
				{"in the buffer only", func(t *testing.T) {
					if _, err := pool.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 9, 3,
						ST_Multi(ST_MakeEnvelope(109.8418, 40.6550, 109.8420, 40.6552, 4326)))`, city); err != nil {
						t.Fatal(err)
					}
				}, []Tile{nw, ne}},
				{"bulk insert", func(t *testing.T) {
					insertParcels(ctx, t, f, city, 300, 109.845, 40.635, 0.01, 0.008)
				}, []Tile{se}},
				{"repeatable read", func(t *testing.T) {
					tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
					if err != nil {
						t.Fatal(err)
					}
					defer func() { _ = tx.Rollback(ctx) }()
					if _, err := tx.Exec(ctx, `UPDATE residential_land SET population = population + 1 WHERE id = (SELECT min(id) FROM residential_land)`); err != nil {
						t.Fatal(err)
					}
					if err := tx.Commit(ctx); err != nil {
						t.Fatal(err)
					}
				}, storeTiles}, // the layer's epoch moves: no stored tile of it is current
				{"rolled back", func(t *testing.T) {
					tx, err := pool.Begin(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := tx.Exec(ctx, `DELETE FROM residential_land`); err != nil {
						t.Fatal(err)
					}
					if err := tx.Rollback(ctx); err != nil {
						t.Fatal(err)
					}
				}, nil},
				{"truncate", func(t *testing.T) {
					if _, err := pool.Exec(ctx, `TRUNCATE residential_land`); err != nil {
						t.Fatal(err)
					}
					insertParcels(ctx, t, f, city, 800, 109.8193, 40.6306, 0.044, 0.0334)
				}, storeTiles},
			}
			for _, st := range steps {
				before := map[Tile][]byte{}
				for _, tl := range storeTiles {
					before[tl] = servedEqualsPostGIS(t, f, tl, st.name+" (before)")
				}
				st.edit(t)
				for _, tl := range storeTiles {
					served := servedEqualsPostGIS(t, f, tl, st.name)
					got, err := f.svc.render(ctx, TileRequest{Sources: []string{"residential_land"}, Tile: tl, Limit: DefaultLimit})
					if err != nil {
						t.Fatal(err)
					}
					if touched := slices.Contains(st.touched, tl); got.stored == touched {
						t.Errorf("%s: %s touched %v, answered from the store %v", st.name, tl, touched, got.stored)
					}
					if !slices.Contains(st.touched, tl) && !bytes.Equal(served, before[tl]) {
						t.Errorf("%s: %s changed but was not touched", st.name, tl)
					}
				}
				rep, err := f.svc.Fill(ctx, 50, false)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Stored != len(st.touched) {
					t.Errorf("%s: the fill drew %d tiles, want %d", st.name, rep.Stored, len(st.touched))
				}
				for _, tl := range storeTiles {
					servedEqualsPostGIS(t, f, tl, st.name+" (filled again)")
					if present, full := storedRow(t, pool, tl); !present || !full {
						t.Errorf("%s: %s not stored after the fill", st.name, tl)
					}
				}
			}
		})
	}
}

// TestFillWaitsForAnEditInProgress: a fill that starts while an edit of the layer is
// uncommitted waits for it (the SHARE lock of migration 0026) and stores the tile with the
// edit; an edit that starts while a fill holds the lock waits, and then empties the row.
func TestFillWaitsForAnEditInProgress(t *testing.T) {
	f, _ := storeFixture(t, 0)
	ctx := context.Background()
	nw := storeTiles[0]
	// The tile is to be drawn (no row), and an attribute edit of one of its parcels is
	// left uncommitted.
	if _, err := f.db.Pool.Exec(ctx, `DELETE FROM tile_store WHERE z = $1 AND x = $2 AND y = $3`, nw.Z, nw.X, nw.Y); err != nil {
		t.Fatal(err)
	}
	tx, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `UPDATE residential_land SET population = 123456 WHERE id = (
		SELECT min(id) FROM residential_land WHERE geom_3857 @ ST_TileEnvelope(14, $1, $2))`, nw.X, nw.Y); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := f.svc.Fill(ctx, 50, false); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("the fill finished (err %v) while an edit of the layer was uncommitted", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if present, full := storedRow(t, f.db.Pool, nw); !present || !full {
		t.Fatalf("%s not stored", nw)
	}
	served := servedEqualsPostGIS(t, f, nw, "fill after the edit")
	for _, p := range populations(t, served) {
		if p == "123456" {
			return
		}
	}
	t.Fatal("the stored tile lacks the edit the fill waited for")
}
