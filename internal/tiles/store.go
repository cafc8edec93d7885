package tiles

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/gzip"

	"github.com/cityreach/cityreach/internal/quiet"
)

// The tile store (migration 0026, docs/tiles.md "The tile store"): the rendered bytes of
// the densest tiles of the default requests, kept in the database and deleted by the
// edits' own transactions, so a stored tile is always the tile a live render would draw.

// StoreZooms are the zooms whose dense tiles are stored: from z14 up every parcel and
// street is drawn, and z14 is the densest such zoom (z0–12 are generalised blocks).
var StoreZooms = []int{Grid14Zoom}

// DefaultStoreMin is the number of features (by the centre of their bounding box) from
// which a tile is stored: such a tile costs a millisecond or more of PostgreSQL CPU to draw
// (about 3 µs a feature on the demo city), and the 40 densest z14 tiles of the demo city
// at scale 1 hold 386 to 2,169 parcels.
const DefaultStoreMin = 250

// storable reports whether r is a request the store can answer: one table source, at a
// stored zoom, without parameters (as_of, city, properties, limit keep rendering live).
func (s *Service) storable(r TileRequest) bool {
	if s.storeMin <= 0 || s.postgis == "" || len(r.Sources) != 1 || r.Properties != nil || r.City != "" ||
		len(r.Params) != 0 || r.asOf != nil || r.Limit != DefaultLimit || !slices.Contains(StoreZooms, r.Tile.Z) {
		return false
	}
	ts, ok := s.sources[r.Sources[0]].(tableSource)
	return ok && slices.Equal(ts.DependsOn(), []Dependency{{Layer: ts.layer.ID}})
}

// digest identifies what a live render runs: the statement, its arguments and PostGIS.
func (s *Service) digest(sql string, args []any) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", s.postgis, sql)
	for _, a := range args {
		fmt.Fprintf(h, "%T:%v\x00", a, a)
	}
	return h.Sum(nil)
}

// storeStatement wraps the live statement of r: the stored row when there is a current
// one, otherwise (and only then: an InitPlan runs when first read) the live render, in one
// statement and so one snapshot.
func (s *Service) storeStatement(live string, args []any, r TileRequest) (string, []any) {
	n := len(args)
	p := func(i int) string { return "$" + strconv.Itoa(n+i) }
	sql := fmt.Sprintf(`SELECT t.gz, t.etag, t.raw_len, CASE WHEN t.gz IS NULL THEN (%s) END
FROM (SELECT 1) one LEFT JOIN tile_store t ON t.layer = %s AND t.z = %s AND t.x = %s AND t.y = %s AND t.digest = %s
 AND t.epoch = coalesce((SELECT e.epoch FROM tile_store_epochs e WHERE e.layer = %s), 0)`,
		live, p(1), p(2), p(3), p(4), p(5), p(1))
	return sql, append(slices.Clip(args), r.Sources[0], r.Tile.Z, r.Tile.X, r.Tile.Y, s.digest(live, args))
}

// rendered is one tile as read: the raw MVT of a live render, or the gzipped bytes and
// ETag of a stored one.
type rendered struct {
	raw    []byte
	gz     []byte
	etag   string
	rawLen int
	stored bool
}

// render draws r, from the store when it can.
func (s *Service) render(ctx context.Context, r TileRequest) (rendered, error) {
	if !s.storable(r) {
		raw, err := s.Render(ctx, r)
		return rendered{raw: raw, etag: etag(raw), rawLen: len(raw)}, err
	}
	live, args, err := s.tileSQL(ctx, r)
	if err != nil {
		return rendered{}, err
	}
	sql, args := s.storeStatement(live, args, r)
	var t rendered
	var etagS *string
	var rawLen *int32
	if err := s.db.QueryRow(ctx, sql, args...).Scan(&t.gz, &etagS, &rawLen, &t.raw); err != nil {
		return rendered{}, fmt.Errorf("tile %s of %s: %w", r.Tile, r.Sources[0], err)
	}
	if t.gz != nil && etagS != nil && rawLen != nil {
		t.etag, t.rawLen, t.stored = *etagS, int(*rawLen), true
		return t, nil
	}
	t.etag, t.rawLen = etag(t.raw), len(t.raw)
	return t, nil
}

// StoreReport says what a fill did.
type StoreReport struct {
	Stored, Kept, Dropped int
	Bytes                 int64 // gzipped bytes of the tiles it stored
}

// Fill brings the store up to date: for every stored zoom and table source, the tiles
// holding at least min features (by the centre of their bounding box) are rendered and
// stored unless a current row is there (emptied rows, rows of other code or an older
// epoch are drawn again), and rows of tiles no longer that dense are deleted. With
// inUse, only layers that already have rows at that zoom are filled: the server's
// background fill keeps up a store an operator (cityreach tiles store) or a seed filled,
// and leaves databases without one alone. Each tile is one transaction on the primary that locks the layer's table in
// SHARE mode (edits wait for it, it waits for edits), so no edit can slip between its
// render and its row (see migration 0026).
func (s *Service) Fill(ctx context.Context, min int, inUse bool) (StoreReport, error) {
	var rep StoreReport
	if s.primary == nil || s.postgis == "" {
		return rep, errors.New("tiles: no tile store (migration 0026 not applied, or no primary)")
	}
	for _, name := range s.order {
		ts, ok := s.sources[name].(tableSource)
		if !ok {
			continue
		}
		for _, z := range StoreZooms {
			r := TileRequest{Sources: []string{name}, Tile: Tile{Z: z}, Limit: DefaultLimit}
			if !s.storable(r) {
				continue
			}
			if inUse {
				var any bool
				if err := s.primary.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tile_store WHERE layer = $1 AND z = $2)`, name, z).Scan(&any); err != nil {
					return rep, fmt.Errorf("tiles: store of %s: %w", name, err)
				}
				if !any {
					continue
				}
			}
			tiles, err := denseTiles(ctx, s.primary, ts, z, min)
			if err != nil {
				return rep, err
			}
			xs, ys := make([]int32, len(tiles)), make([]int32, len(tiles))
			for i, t := range tiles {
				xs[i], ys[i] = int32(t.X), int32(t.Y)
			}
			tag, err := s.primary.Exec(ctx, `DELETE FROM tile_store t WHERE t.layer = $1 AND t.z = $2
				AND NOT EXISTS (SELECT 1 FROM unnest($3::int[], $4::int[]) k(x, y) WHERE k.x = t.x AND k.y = t.y)`, name, z, xs, ys)
			if err != nil {
				return rep, fmt.Errorf("tiles: store of %s: %w", name, err)
			}
			rep.Dropped += int(tag.RowsAffected())
			for _, t := range tiles {
				r.Tile = t
				n, err := s.fillOne(ctx, ts, r)
				if err != nil {
					return rep, err
				}
				if n < 0 {
					rep.Kept++
				} else {
					rep.Stored++
					rep.Bytes += int64(n)
				}
			}
		}
	}
	return rep, nil
}

// fillOne stores one tile unless its current row is there: the gzipped size stored, or -1.
func (s *Service) fillOne(ctx context.Context, ts tableSource, r TileRequest) (int, error) {
	live, args, err := s.tileSQL(ctx, r)
	if err != nil {
		return 0, err
	}
	d := s.digest(live, args)
	current := func(q DB) (epoch int64, have bool, err error) {
		err = q.QueryRow(ctx, `SELECT coalesce((SELECT epoch FROM tile_store_epochs WHERE layer = $1), 0),
			EXISTS (SELECT 1 FROM tile_store WHERE layer = $1 AND z = $2 AND x = $3 AND y = $4 AND digest = $5 AND gz IS NOT NULL
			        AND epoch = coalesce((SELECT epoch FROM tile_store_epochs WHERE layer = $1), 0))`,
			r.Sources[0], r.Tile.Z, r.Tile.X, r.Tile.Y, d).Scan(&epoch, &have)
		return epoch, have, err
	}
	// Most rows of a fill after an edit are current: look without holding edits back.
	if _, have, err := current(s.primary); err != nil || have {
		return -1, err
	}
	n := -1
	err = pgx.BeginFunc(ctx, s.primary, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE "+ts.layer.Table()+" IN SHARE MODE"); err != nil {
			return err
		}
		epoch, have, err := current(tx)
		if err != nil || have {
			return err
		}
		// The server runs the tile statement prepared, and after five executions on a
		// connection PostgreSQL uses its generic plan, whose scan returns the rows in
		// another order than a custom plan's: the same features, other bytes. Draw as the
		// server does (the tests compare the bytes).
		if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
			return err
		}
		var raw []byte
		if err := tx.QueryRow(ctx, live, args...).Scan(&raw); err != nil {
			return err
		}
		if len(raw) == 0 {
			_, err := tx.Exec(ctx, `DELETE FROM tile_store WHERE layer = $1 AND z = $2 AND x = $3 AND y = $4`,
				r.Sources[0], r.Tile.Z, r.Tile.X, r.Tile.Y)
			return err
		}
		gz := gzipBytes(raw, gzip.DefaultCompression)
		n = len(gz)
		_, err = tx.Exec(ctx, `INSERT INTO tile_store (layer, z, x, y, digest, epoch, etag, raw_len, gz)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (layer, z, x, y) DO UPDATE SET digest = EXCLUDED.digest, epoch = EXCLUDED.epoch,
			  etag = EXCLUDED.etag, raw_len = EXCLUDED.raw_len, gz = EXCLUDED.gz, made_at = now()`,
			r.Sources[0], r.Tile.Z, r.Tile.X, r.Tile.Y, d, epoch, etag(raw), len(raw), gz)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("tiles: storing %s %s: %w", r.Sources[0], r.Tile, err)
	}
	return n, nil
}

// denseTiles lists the tiles of zoom z holding at least min features of ts, counted by
// the centre of their bounding box (the choice of tiles only decides what is stored, not
// what a tile shows).
func denseTiles(ctx context.Context, q DB, ts tableSource, z, min int) ([]Tile, error) {
	//nolint:rowserrcheck // pgx.CollectRows checks rows.Err
	rows, err := q.Query(ctx, `SELECT x, y FROM (
		SELECT floor(((ST_XMin(geom_3857) + ST_XMax(geom_3857)) / 2 + $3::float8) / ($3 * 2 / 2 ^ $1::int))::int AS x,
		       floor(($3 - (ST_YMin(geom_3857) + ST_YMax(geom_3857)) / 2) / ($3 * 2 / 2 ^ $1::int))::int AS y
		FROM `+ts.layer.Table()+` WHERE geom_3857 IS NOT NULL) c
		WHERE x >= 0 AND y >= 0 AND x < 2 ^ $1::int AND y < 2 ^ $1::int
		GROUP BY x, y HAVING count(*) >= $2 ORDER BY count(*) DESC, x, y`, z, min, mercHalf)
	if err != nil {
		return nil, fmt.Errorf("tiles: dense tiles of %s: %w", ts.layer.ID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Tile, error) {
		var t Tile
		err := row.Scan(&t.X, &t.Y)
		t.Z = z
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("tiles: dense tiles of %s: %w", ts.layer.ID, err)
	}
	return out, nil
}

// mercHalf is half the width of the Web Mercator square, in metres.
const mercHalf = 20037508.342789244

// TxDB is the primary pool, for the store's fills.
type TxDB interface {
	DB
	Begin(ctx context.Context) (pgx.Tx, error)
}

// storeVersion reads the PostGIS version when the store's tables exist ("" otherwise).
func storeVersion(ctx context.Context, q DB) (string, error) {
	var v *string
	err := q.QueryRow(ctx, `SELECT CASE WHEN to_regclass('tile_store') IS NOT NULL AND to_regclass('tile_store_epochs') IS NOT NULL
		THEN postgis_full_version() END`).Scan(&v)
	if err != nil || v == nil {
		return "", err
	}
	return *v, nil
}

// keepStored fills the store after start-up and again after edits of the stored layers
// have stopped for wait: an edit deletes the rows it touched, and this draws them again.
func (s *Service) keepStored(ctx context.Context, wait time.Duration) {
	fill := func() {
		t0 := time.Now()
		rep, err := s.Fill(ctx, s.storeMin, true)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("tile store: fill failed", "err", err)
			}
			return
		}
		if rep.Stored+rep.Dropped == 0 {
			return
		}
		s.log.Info("tile store filled", "stored", rep.Stored, "kept", rep.Kept, "dropped", rep.Dropped, "bytes", rep.Bytes, "took", time.Since(t0).Round(time.Millisecond))
	}
	fill()
	if s.listen == nil {
		return // without the cache's listener, edits are not heard: the store waits for the next fill
	}
	var names []string
	for _, n := range s.order {
		if _, ok := s.sources[n].(tableSource); ok {
			names = append(names, n)
		}
	}
	quiet.After(ctx, func() (uint64, []uint64, bool) { return s.Generations(names) }, wait, fill)
}
