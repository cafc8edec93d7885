package db_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/testdb"
)

// probe reads the largest n of rw_probe through q and says whether the server that
// answered is a standby.
func probe(t *testing.T, ctx context.Context, q db.Reader) (n int, standby bool) {
	t.Helper()
	if err := q.QueryRow(ctx, "SELECT coalesce(max(n), 0), pg_is_in_recovery() FROM rw_probe").Scan(&n, &standby); err != nil {
		t.Fatalf("read: %v", err)
	}
	return n, standby
}

// TestRouterOnAStreamingReplica runs the router against the real replica of the test
// server (scripts/replica.sh): reads with the client's commit position see its writes and
// are served by the replica; strong reads see every committed write; a stopped replica is
// dropped while reads go on, on the primary; started again, it is re-added. The expected
// values are the numbers the test itself wrote on the primary.
func TestRouterOnAStreamingReplica(t *testing.T) {
	tdb := testdb.New(t)
	replicaURL := testdb.ReplicaURL(t, tdb, true)
	ctx := context.Background()
	r, err := db.NewRouter(ctx, tdb.Pool, []string{replicaURL}, db.Options{MaxConns: 4}, db.RouterOptions{Wait: 5 * time.Second, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := tdb.Pool.Exec(ctx, "CREATE TABLE rw_probe (n int)"); err != nil {
		t.Fatal(err)
	}
	// The table reaches the replica; the first checks admit it.
	if _, err := r.CommitLSN(ctx); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, r, replicaURL)

	// Read-your-writes: each read carries the position taken after its write committed.
	for i := 1; i <= 20; i++ {
		if _, err := tdb.Pool.Exec(ctx, "INSERT INTO rw_probe VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
		lsn, err := r.CommitLSN(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, standby := probe(t, db.WithMinLSN(ctx, lsn), r.Reads())
		if n != i || !standby {
			t.Fatalf("write %d then read with its position %s: read max %d on standby=%v; want %d on the replica", i, lsn, n, standby, i)
		}
	}
	// Strong reads need no token.
	if _, err := tdb.Pool.Exec(ctx, "INSERT INTO rw_probe VALUES (21)"); err != nil {
		t.Fatal(err)
	}
	if n, standby := probe(t, ctx, r.StrongReads()); n != 21 || !standby {
		t.Fatalf("strong read after write 21: max %d on standby=%v; want 21 on the replica", n, standby)
	}
	// ReadTx: one read-only transaction on the replica; an error of fn that is not the
	// replica's is returned as it is, not retried on the primary.
	var inTx int
	var txStandby bool
	if err := r.StrongReads().ReadTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT max(n), pg_is_in_recovery() FROM rw_probe").Scan(&inTx, &txStandby)
	}); err != nil || inTx != 21 || !txStandby {
		t.Fatalf("ReadTx after write 21: max %d on standby=%v (%v); want 21 on the replica", inTx, txStandby, err)
	}
	fb := r.Stats().Fallbacks
	errMine := errors.New("fn's own error")
	runs := 0
	if err := r.Reads().ReadTx(ctx, func(pgx.Tx) error { runs++; return errMine }); !errors.Is(err, errMine) || runs != 1 || r.Stats().Fallbacks != fb {
		t.Fatalf("ReadTx with fn failing: %v after %d runs, %d fallbacks; want fn's error after one run, none", err, runs, r.Stats().Fallbacks-fb)
	}
	// A write attempted through the reader's QueryRow runs on the replica, fails there as
	// read-only, and is retried on the primary.
	var got int
	if err := r.Reads().QueryRow(ctx, "INSERT INTO rw_probe VALUES (22) RETURNING n").Scan(&got); err != nil || got != 22 {
		t.Fatalf("write through QueryRow: %d, %v; want 22 written on the primary", got, err)
	}

	pausedReplay(t, r, replicaURL, tdb.Pool.Exec)

	if os.Geteuid() != 0 {
		t.Log("not root: the stop/start part needs scripts/replica.sh stop|start")
		return
	}
	t.Cleanup(func() { _, _ = testdb.ReplicaScript("start") })
	if out, err := testdb.ReplicaScript("stop"); err != nil {
		t.Fatalf("replica.sh stop: %v\n%s", err, out)
	}
	// Before any check has noticed: a read transaction fails on the replica and runs again
	// on the primary, which drops the replica.
	if err := r.Reads().ReadTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT max(n), pg_is_in_recovery() FROM rw_probe").Scan(&inTx, &txStandby)
	}); err != nil || inTx != 23 || txStandby {
		t.Fatalf("ReadTx with the replica stopped: max %d on standby=%v (%v); want 23 from the primary", inTx, txStandby, err)
	}
	// The replica stays dropped: the read goes to the primary.
	if n, standby := probe(t, ctx, r.Reads()); n != 23 || standby {
		t.Fatalf("read with the replica stopped: max %d on standby=%v; want 23 from the primary", n, standby)
	}
	if h := r.Healthy(); len(h) != 0 {
		t.Fatalf("stopped replica still healthy: %v", h)
	}
	r.Check(ctx)
	if h := r.Healthy(); len(h) != 0 {
		t.Fatalf("stopped replica re-added by a check: %v", h)
	}
	if n, standby := probe(t, ctx, r.StrongReads()); n != 23 || standby {
		t.Fatalf("strong read with the replica stopped: max %d on standby=%v; want 23 from the primary", n, standby)
	}
	if out, err := testdb.ReplicaScript("start"); err != nil {
		t.Fatalf("replica.sh start: %v\n%s", err, out)
	}
	waitHealthy(t, r, replicaURL)
	if n, standby := probe(t, ctx, r.StrongReads()); n != 23 || !standby {
		t.Fatalf("strong read with the replica back: max %d on standby=%v; want 23 on the replica", n, standby)
	}
}

// waitHealthy runs checks until the replica serves reads (a minute at most).
func waitHealthy(t *testing.T, r *db.Router, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(r.Healthy()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("replica %s never became healthy", url)
		}
		r.Check(context.Background())
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.ContainsFunc(r.Healthy(), func(s string) bool { return s != "" }) {
		t.Fatal("healthy replica without a name")
	}
}

// TestParseLSNAgreesWithPostgreSQL compares ParseLSN with PostgreSQL's own reading of the
// same pg_lsn texts (pg_lsn minus 0/0 is the position in bytes).
func TestParseLSNAgreesWithPostgreSQL(t *testing.T) {
	tdb := testdb.New(t)
	for _, s := range []string{"0/0", "0/16B3748", "16/B374D848", "FFFFFFFF/FFFFFFFF", "1/0"} {
		var want string
		if err := tdb.Pool.QueryRow(context.Background(), "SELECT ($1::pg_lsn - '0/0'::pg_lsn)::text", s).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, err := db.ParseLSN(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if g := formatUint(uint64(got)); g != want {
			t.Errorf("ParseLSN(%q) = %s; PostgreSQL says %s", s, g, want)
		}
		var back string
		if err := tdb.Pool.QueryRow(context.Background(), "SELECT $1::pg_lsn::text", got.String()).Scan(&back); err != nil || back != s {
			t.Errorf("%q → %s → PostgreSQL %q (%v)", s, got, back, err)
		}
	}
}

func formatUint(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// FuzzParseLSN: any text either fails or reads back to itself through String (in the
// canonical upper-case form without leading zeros).
func FuzzParseLSN(f *testing.F) {
	for _, s := range []string{"0/0", "16/B374D848", "ffffffff/ffffffff", "1/", "/1", "100000000/0", "-1/0", " 0/1 ", "0/+1", "0x1/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := db.ParseLSN(s)
		if err != nil {
			return
		}
		again, err := db.ParseLSN(l.String())
		if err != nil || again != l {
			t.Fatalf("%q → %v → %q → %v, %v", s, l, l.String(), again, err)
		}
	})
}

// pausedReplay pauses the replica's replay (pg_wal_replay_pause, for under two seconds so
// that other tests on the replica only wait) and writes 23 on the primary: a read without
// a token is served by the replica and sees 22 (bounded staleness); a read with the
// write's token, and a strong read, wait their bound and get 23 from the primary; a
// router whose lag bound is shorter than the pause drops the replica, and re-adds it once
// replay resumes.
func pausedReplay(t *testing.T, r *db.Router, replicaURL string, exec func(context.Context, string, ...any) (pgconn.CommandTag, error)) {
	t.Helper()
	ctx := context.Background()
	rc, err := pgx.Connect(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx) //nolint:errcheck // test clean-up
	strict, err := db.NewRouter(ctx, r.Primary(), []string{replicaURL}, db.Options{MaxConns: 2},
		db.RouterOptions{Wait: 200 * time.Millisecond, MaxLag: 300 * time.Millisecond, Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	waitHealthy(t, strict, replicaURL)
	// Everything written so far is replayed before the pause (a loaded machine lags).
	before, err := strict.CommitLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var caught bool
		if err := rc.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", before.String()).Scan(&caught); err != nil {
			t.Fatal(err)
		}
		if caught {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica has not replayed %s in a minute", before)
		}
	}
	if _, err := rc.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_, _ = rc.Exec(ctx, "SELECT pg_wal_replay_resume()")
		}
	}
	defer resume()
	if _, err := exec(ctx, "INSERT INTO rw_probe VALUES (23)"); err != nil {
		t.Fatal(err)
	}
	lsn, err := strict.CommitLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, standby := probe(t, ctx, strict.Reads()); n != 22 || !standby {
		t.Fatalf("read without a token during the pause: max %d on standby=%v; want 22 (stale) from the replica", n, standby)
	}
	if n, standby := probe(t, db.WithMinLSN(ctx, lsn), strict.Reads()); n != 23 || standby {
		t.Fatalf("read with the token during the pause: max %d on standby=%v; want 23 from the primary", n, standby)
	}
	if n, standby := probe(t, ctx, strict.StrongReads()); n != 23 || standby {
		t.Fatalf("strong read during the pause: max %d on standby=%v; want 23 from the primary", n, standby)
	}
	// Checks sample the primary's position; past MaxLag the replica is dropped.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for len(strict.Healthy()) > 0 && time.Now().Before(deadline) {
		strict.Check(ctx)
		time.Sleep(100 * time.Millisecond)
	}
	if h := strict.Healthy(); len(h) != 0 {
		t.Fatalf("a replica paused past the lag bound is still healthy: %v", h)
	}
	resume()
	waitHealthy(t, strict, replicaURL)
	if n, standby := probe(t, ctx, strict.Reads()); n != 23 || !standby {
		t.Fatalf("read after the replay resumed: max %d on standby=%v; want 23 from the replica", n, standby)
	}
}
