package tiles

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// replicaEngine is one cityreach process's tile service reading from the replica through
// its own router: two of them share nothing but the databases.
func replicaEngine(t *testing.T, primary *pgxpool.Pool, replicaURL string) (*Service, *db.Router) {
	t.Helper()
	ctx := context.Background()
	r, err := db.NewRouter(ctx, primary, []string{replicaURL}, db.Options{MaxConns: 4}, db.RouterOptions{Wait: 200 * time.Millisecond, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	rctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go r.Run(rctx)
	deadline := time.Now().Add(30 * time.Second)
	for len(r.Healthy()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the replica never became healthy")
		}
		time.Sleep(50 * time.Millisecond)
	}
	svc := New(primary, layers.Default(), Options{CacheBytes: 64 << 20, Reads: r.Reads(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := svc.WaitLive(wctx); err != nil {
		t.Fatal(err)
	}
	return svc, r
}

// edit is one random edit of the parks on the primary; it returns the EPSG:3857 WKT of
// every geometry the edit removed or added (the old and new rows).
func randomEdit(t *testing.T, pool *pgxpool.Pool, rng *rand.Rand, city, i int) (string, []string) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT id FROM parks ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	op := rng.IntN(4)
	if len(ids) < 3 {
		op = 0
	}
	var id int64
	if len(ids) > 0 {
		id = ids[rng.IntN(len(ids))]
	}
	var olds, news []string
	before := func() {
		var g string
		if err := pool.QueryRow(ctx, `SELECT ST_AsText(geom_3857) FROM parks WHERE id = $1`, id).Scan(&g); err != nil {
			t.Fatal(err)
		}
		olds = append(olds, g)
	}
	var what string
	switch op {
	case 0: // a new park somewhere around the fixture's tiles
		x, y := 109.735+rng.Float64()*0.125, 40.635+rng.Float64()*0.04
		w, h := 0.0005+rng.Float64()*0.0025, 0.0005+rng.Float64()*0.0025
		var g string
		if err := pool.QueryRow(ctx, `INSERT INTO parks (city_id, name, park_class, geom)
			VALUES ($1, $2, 'community', ST_Multi(ST_MakeEnvelope($3, $4, $5, $6, 4326))) RETURNING ST_AsText(geom_3857)`,
			city, fmt.Sprintf("P%d", i), x, y, x+w, y+h).Scan(&g); err != nil {
			t.Fatal(err)
		}
		news, what = append(news, g), "insert"
	case 1: // moved
		before()
		var g string
		if err := pool.QueryRow(ctx, `UPDATE parks SET geom = ST_Translate(geom, $2, $3) WHERE id = $1 RETURNING ST_AsText(geom_3857)`,
			id, (rng.Float64()-0.5)*0.02, (rng.Float64()-0.5)*0.01).Scan(&g); err != nil {
			t.Fatal(err)
		}
		news, what = append(news, g), "move"
	case 2: // renamed: the geometry stays, the tile's properties change
		before()
		if _, err := pool.Exec(ctx, `UPDATE parks SET name = name || $2 WHERE id = $1`, id, fmt.Sprintf("·%d", i)); err != nil {
			t.Fatal(err)
		}
		what = "rename"
	default:
		before()
		if _, err := pool.Exec(ctx, `DELETE FROM parks WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		what = "delete"
	}
	return what, append(olds, news...)
}

// TestReplicaCacheFollowsTheChangeLog: two tile services (two processes' worth: own
// routers, own caches, own pollers) read from the real streaming replica. After each of a
// sequence of random park edits on the primary (each made while the replica's replay is
// paused, and the tiles fetched then, so the caches hold the pre-edit tiles after the
// primary's notification), once the replica has replayed the edit's commit, every tile of a 21-tile set served by either service is byte for byte the tile
// PostGIS renders afresh on the replica, and holds exactly the parks an SQL query on the
// replica finds in its buffered envelope; tiles more than 20 m from every geometry the
// edit changed are still served from the cache, and tiles meeting one are rendered anew.
// While replay is paused, a request carrying the edit's read-your-writes token gets the
// tile the primary renders.
func TestReplicaCacheFollowsTheChangeLog(t *testing.T) {
	f := newFixture(t, Options{})                  // the parks; its own service has no cache
	replicaURL := testdb.ReplicaURL(t, f.db, true) // exclusive: replay is paused below
	ctx := context.Background()
	city := f.cityID(t)
	rp, err := pgxpool.New(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	fresh := New(rp, layers.Default(), Options{}) // renders on the replica, no cache
	if err := fresh.Start(ctx); err != nil {
		t.Fatal(err)
	}
	engines := []*Service{}
	routers := []*db.Router{}
	for range 2 {
		s, r := replicaEngine(t, f.db.Pool, replicaURL)
		engines, routers = append(engines, s), append(routers, r)
	}

	var set []Tile
	for x := tx - 4; x <= tx+1; x++ {
		for y := ty - 1; y <= ty+1; y++ {
			set = append(set, Tile{Z: 14, X: x, Y: y})
		}
	}
	for x := tx/2 - 2; x <= tx/2; x++ {
		set = append(set, Tile{Z: 13, X: x, Y: ty / 2})
	}
	// distance from each tile's buffered envelope to the nearest changed geometry, by PostGIS
	distances := func(geoms []string) []float64 {
		out := make([]float64, len(set))
		for i, tl := range set {
			if err := f.db.Pool.QueryRow(ctx, `SELECT coalesce(min(ST_Distance(ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096), ST_GeomFromText(g, 3857))), 'Infinity')
				FROM unnest($4::text[]) g`, tl.Z, tl.X, tl.Y, geoms).Scan(&out[i]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	check := func(round int, dist []float64) (hits, misses int) {
		t.Helper()
		for e, svc := range engines {
			for i, tl := range set {
				req := TileRequest{Sources: []string{"parks"}, Tile: tl, Limit: DefaultLimit}
				res, err := svc.Tile(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := res.Body(false)
				if err != nil {
					t.Fatal(err)
				}
				want, err := fresh.Render(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("round %d, engine %d, tile %s (%s): served %d bytes, the replica renders %d", round, e, tl, res.Status, len(got), len(want))
				}
				names := []string{}
				decoded, err := mvtread.Decode(got)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range decoded {
					for _, ft := range l.Features {
						names = append(names, fmt.Sprint(ft.Props["name"]))
					}
				}
				slices.Sort(names)
				if oracle := namesIn(t, rp, tl.Z, tl.X, tl.Y); !slices.Equal(names, oracle) { //nolint:contextcheck // a test oracle with its own context
					t.Fatalf("round %d, engine %d, tile %s: parks %v, the replica's SQL finds %v", round, e, tl, names, oracle)
				}
				switch {
				case dist == nil:
				case dist[i] == 0 && res.Status != Miss:
					t.Errorf("round %d, engine %d, tile %s meets the edit but was a %s", round, e, tl, res.Status)
				// Eviction boxes are grown by grow(): (margin+1 m)/cos(lat) plus 1e-6 of the
				// coordinates against rounding, about 13.6 Mercator metres here; a tile nearer
				// than that may be evicted rightly. Beyond 20 m it must be a hit.
				case dist[i] > 20 && res.Status != Hit:
					t.Errorf("round %d, engine %d, tile %s is %.1f m from the edit but was a %s", round, e, tl, dist[i], res.Status)
				}
				if res.Status == Hit {
					hits++
				} else {
					misses++
				}
			}
		}
		return hits, misses
	}
	check(0, nil)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 23))
	var hits, misses int
	ops := map[string]int{}
	replay := func(what string) {
		if _, err := rp.Exec(ctx, "SELECT pg_wal_replay_"+what+"()"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = rp.Exec(ctx, "SELECT pg_wal_replay_resume()") })
	for i := 1; i <= 12; i++ {
		// The primary's notification arrives while the replica has not replayed the edit:
		// the tiles it evicts are rendered again, without the edit, and cached (they are
		// what the replica holds). Only the change log, replayed with the edit, can evict
		// them again (paused for well under a second, within the router's lag bound).
		replay("pause")
		what, geoms := randomEdit(t, f.db.Pool, rng, city, i)
		ops[what]++
		var lsn string
		if err := f.db.Pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
			t.Fatal(err)
		}
		check(i, nil)
		// The writer's own read, with its token: rendered past the replica (which waits
		// for it in vain), on the primary, as a cacheless service there renders it.
		dist := distances(geoms)
		if k := slices.Index(dist, 0); k >= 0 {
			token, err := db.ParseLSN(lsn)
			if err != nil {
				t.Fatal(err)
			}
			req := TileRequest{Sources: []string{"parks"}, Tile: set[k], Limit: DefaultLimit}
			res, err := engines[i%2].Tile(db.WithMinLSN(ctx, token), req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := res.Body(false)
			want, err := f.svc.Render(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) || res.Status != Bypass {
				t.Fatalf("round %d, tile %s with the edit's token: %s, %d bytes; the primary renders %d", i, set[k], res.Status, len(got), len(want))
			}
		}
		replay("resume")
		waitReplay(t, rp, lsn)
		h, m := check(i, dist)
		hits, misses = hits+h, misses+m
	}
	t.Logf("edits %v; over both engines: %d hits, %d misses", ops, hits, misses)
	if hits == 0 {
		t.Error("no tile was ever served from the cache")
	}
	for e, svc := range engines {
		ps, rs := svc.PollStats(), routers[e].Stats()
		t.Logf("engine %d: %d polls (%.2f ms each), %d changes applied, %d notified first, %d resets; router: %d replica reads, %d primary",
			e, ps.Polls, float64(ps.Time.Microseconds())/1000/float64(max(ps.Polls, 1)), ps.Rows, ps.Notified, ps.Resets, rs.ReplicaReads, rs.PrimaryReads)
		if ps.Rows != 12 {
			t.Errorf("engine %d applied %d changes from the log, want the 12 edits", e, ps.Rows)
		}
		if rs.ReplicaReads == 0 {
			t.Errorf("engine %d never read from the replica", e)
		}
	}
}

// waitReplay waits until the replica has replayed the primary's position lsn.
func waitReplay(t *testing.T, rp *pgxpool.Pool, lsn string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ok bool
		if err := rp.QueryRow(context.Background(), `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica has not replayed %s in 30 s", lsn)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPollerReadsChangesCommittedOutOfIdOrder: transaction 1 inserts a park (taking the
// lower change id) and commits after transaction 2, whose change (the higher id) a poll
// has already applied; the next poll still applies transaction 1's change, once, with the
// box of the inserted square (rounded outwards to 1e-7°, as the trigger does). A pruning
// horizon moved past the poller's floor makes the next poll drop the whole cache.
func TestPollerReadsChangesCommittedOutOfIdOrder(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	city := f.cityID(t)
	// The fixture's own changes may be read too (the server's xmin is shared with every
	// other database's transactions); only the test's are counted.
	var fixture int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM tile_changes`).Scan(&fixture); err != nil {
		t.Fatal(err)
	}
	var got []change
	resets := 0
	p := newPoller(f.db.Pool, time.Hour, func(c change) {
		if c.ID > fixture {
			got = append(got, c)
		}
	}, func() { resets++ }, slog.New(slog.DiscardHandler))
	poll := func() {
		t.Helper()
		if err := p.poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	poll() // the first: applies nothing, resets
	if len(got) != 0 || resets != 1 {
		t.Fatalf("first poll applied %d changes, %d resets; want 0 and 1", len(got), resets)
	}
	insert := `INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, $2, 'community', ST_Multi(ST_MakeEnvelope($3::float8, 40.65, $3::float8 + 0.001, 40.651, 4326)))`
	tx1, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := tx1.Exec(ctx, insert, city, "late", 109.80); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(ctx, insert, city, "early", 109.81); err != nil {
		t.Fatal(err)
	}
	poll()
	if len(got) != 1 || got[0].Boxes[0][0] != 109.81 {
		t.Fatalf("after transaction 2: applied %+v, want its one change (x from 109.81)", got)
	}
	poll()
	if len(got) != 1 {
		t.Fatalf("a poll with nothing new applied %+v", got[1:])
	}
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	poll()
	poll()
	if len(got) != 2 {
		t.Fatalf("after transaction 1 committed: applied %d changes, want 2", len(got))
	}
	late := got[1]
	want := [4]float64{109.80, 40.65, 109.801, 40.651}
	for i, v := range late.Boxes[0] {
		if math.Abs(v-want[i]) > 1.1e-7 || (i < 2 && v > want[i]) || (i >= 2 && v < want[i]) {
			t.Fatalf("transaction 1's box %v, want %v rounded outwards", late.Boxes[0], want)
		}
	}
	if late.Layer != "parks" || late.ID >= got[0].ID {
		t.Fatalf("transaction 1's change: layer %q, id %d; want parks, below transaction 2's %d", late.Layer, late.ID, got[0].ID)
	}
	// Pruned past the floor: rows may have gone unread.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE tile_changes_pruned SET xid = pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	poll()
	if resets != 2 {
		t.Fatalf("after a pruning past the floor: %d resets, want 2", resets)
	}
}

// BenchmarkChangeLogPoll is one poll of an idle change log on the test server (the cost
// every server pays per interval, and per strict batch of cache hits on a replica).
func BenchmarkChangeLogPoll(b *testing.B) {
	tdb := testdb.New(b)
	requireTilesMigration(b, tdb)
	ctx := context.Background()
	p := newPoller(tdb.Pool, time.Hour, func(change) {}, nil, slog.New(slog.DiscardHandler))
	for b.Loop() {
		if err := p.poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestChangeLogPrunes: the 64th change deletes the rows older than an hour and records the
// highest xid deleted, unless another transaction holds the pruning lock.
func TestChangeLogPrunes(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	city := f.cityID(t)
	pool := f.db.Pool
	count := func() (n int, horizon string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM tile_changes), (SELECT xid::text FROM tile_changes_pruned)`).Scan(&n, &horizon); err != nil {
			t.Fatal(err)
		}
		return n, horizon
	}
	age := func() (aged int, maxXID string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `WITH u AS (UPDATE tile_changes SET at = at - interval '2 hours' RETURNING xid)
			SELECT count(*), max(xid)::text FROM u`).Scan(&aged, &maxXID); err != nil {
			t.Fatal(err)
		}
		return aged, maxXID
	}
	insert := func(next int64) {
		t.Helper()
		if _, err := pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('tile_changes', 'id'), $1 - 1)`, next); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, 'x', 'community', ST_Multi(ST_MakeEnvelope(109.8, 40.65, 109.801, 40.651, 4326)))`, city); err != nil {
			t.Fatal(err)
		}
	}
	// Another transaction pruning: the 64th change leaves the old rows.
	aged, maxXID := age()
	hold, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('cityreach_tile_changes_prune'))`); err != nil {
		t.Fatal(err)
	}
	insert(64)
	if n, h := count(); n != aged+1 || h != "0" {
		t.Fatalf("with the pruning lock held: %d rows, horizon %s; want %d and 0", n, h, aged+1)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// Change 128: the aged rows go, the fresh one stays.
	insert(128)
	if n, h := count(); n != 2 || h != maxXID {
		t.Fatalf("after pruning: %d rows, horizon %s; want 2 (changes 64 and 128) and %s", n, h, maxXID)
	}
}
