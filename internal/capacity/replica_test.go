package capacity_test

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
)

// TestAgeEditOnAReplica: wired as cityreach serve with --replica-url (the walking inputs
// and the capacity store read strong through the router, the tile service follows the
// change log on the replica and listens on the primary; docs/scale-out.md), a repeated
// request is a hit that reads no table's version on either database (one read through the
// router: the city), and an edit of the
// residents by age band on the primary is seen by the very next request: a miss whose
// first version reading is community_age_population's alone (read on the replica, which
// the router counts), whose city demand moved by the edit, and whose figures equal the
// SQL/pgRouting computation on the primary. The age tables' change rows reach the
// replica's change log with the edit.
func TestAgeEditOnAReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tdb, svc, city := demoOracle(t)
	replicaURL := testdb.ReplicaURL(t, tdb, false)
	reads, primary := tracedPool(t, ctx, tdb.Pool)
	r, err := db.NewRouter(ctx, primary, []string{replicaURL}, db.Options{MaxConns: 4, Tracer: reads},
		db.RouterOptions{Wait: 2 * time.Second, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	go r.Run(rctx)
	for deadline := time.Now().Add(30 * time.Second); len(r.Healthy()) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica never became healthy")
		}
	}
	svc.Walk.Store.Pool, svc.Store.Pool = primary, primary
	svc.Walk.Store.Strong, svc.Store.Reads = r.StrongReads(), r.StrongReads()
	ts := tilestest.Live(t, ctx, tdb.Pool, tiles.Options{CacheBytes: 1 << 20, Reads: r.Reads(), Logger: slog.New(slog.DiscardHandler)})
	svc.Walk.Watch = ts

	c := oracleCase{"primary_school", []string{"6-12"}, 500, capacity.DecayNone, ""}
	opt := capacity.Options{Category: c.category, Bands: c.bands, D0: c.d0, Decay: c.decay, Level: capacity.LevelParcel}
	before := checkOracle(t, ctx, tdb, svc, city, c)
	reads.take()
	st0 := r.Stats()
	if again, err := svc.Capacity(ctx, "baotou", opt); err != nil || again != before {
		t.Fatalf("a repeated request was not a hit: %v", err)
	}
	if v := reads.take(); len(v) != 0 {
		t.Errorf("a hit read the versions %v, want none", v)
	}
	st1 := r.Stats()
	if n := st1.ReplicaReads + st1.PrimaryReads - st0.ReplicaReads - st0.PrimaryReads; n != 1 {
		t.Errorf("a hit made %d reads through the router, want 1 (the city)", n)
	}

	polled := ts.PollStats().Rows
	_, missed := svc.Stats()
	tag, err := tdb.Pool.Exec(ctx, `UPDATE community_age_population SET population = population + 100, updated_at = now()
		WHERE band = '6-12' AND community_id = (SELECT min(id) FROM communities WHERE city_id = $1)`, city)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("age edit: %v (%d rows)", err, tag.RowsAffected())
	}
	after := checkOracle(t, ctx, tdb, svc, city, c)
	if _, m := svc.Stats(); after == before || m != missed+1 {
		t.Fatalf("the request after the age edit: %d misses, want %d (same report: %t)", m, missed+1, after == before)
	}
	if v := reads.take(); len(v) == 0 || !slices.Equal(v[0], []string{"community_age_population"}) {
		t.Errorf("the version readings %v, want the first of [community_age_population] alone", v)
	}
	if math.Abs(after.Totals.Demand-before.Totals.Demand-100) > 1e-6 {
		t.Errorf("demand %v → %v, want +100", before.Totals.Demand, after.Totals.Demand)
	}
	if st2 := r.Stats(); st2.ReplicaReads == st1.ReplicaReads {
		t.Error("nothing was read on the replica")
	}
	// The change row travels with the edit: the poller on the replica applies it.
	for deadline := time.Now().Add(10 * time.Second); ts.PollStats().Rows == polled; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica's change log never showed the age edit")
		}
	}
}
